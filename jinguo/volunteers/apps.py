from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "jinguo.volunteers"
    label = "volunteers"
    verbose_name = "志愿者"

    def ready(self):
        from jinguo.orgs import hooks
        from jinguo.orgs import services as org_services

        from . import services

        hooks.register_holder(services.data_held_at)
        hooks.register_merge_handler(services.on_team_merge)
        hooks.register_dissolve_handler(services.on_team_dissolve)
        org_services.register_counter_source(services.counter_truth)
        org_services.register_anchor_provider(services.volunteer_anchor_paths)
        from . import exports  # noqa: F401  job handlers: the task worker loads no urls, so register them here
        from .imports import handlers  # noqa: F401

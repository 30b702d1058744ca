from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jinguo.orgs"
    label = "orgs"
    verbose_name = "组织与队伍"

    def ready(self):
        from jinguo.core.scope import register_resolver

        from .scope import resolve_scope

        register_resolver(resolve_scope)
        from . import exports  # noqa: F401  job handlers: the task worker loads no urls, so register them here
        from .imports import handlers  # noqa: F401

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jinguo.certificates"
    label = "certificates"
    verbose_name = "志愿服务记录证明"

    def ready(self):
        from jinguo.hours import hooks as hour_hooks

        from . import services

        hour_hooks.register_record_changed(services.on_record_changed)
        from . import tasks  # noqa: F401  job handlers: the task worker loads no urls, so register them here

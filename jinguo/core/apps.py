from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jinguo.core"
    label = "core"
    verbose_name = "基础"

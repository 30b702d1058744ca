from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "jinguo.demands"
    label = "demands"
    verbose_name = "供需对接"

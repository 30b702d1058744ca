from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "jinguo.activities"
    label = "activities"
    verbose_name = "活动与招募"

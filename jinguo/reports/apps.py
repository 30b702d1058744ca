from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jinguo.reports"
    label = "reports"
    verbose_name = "统计与报表"

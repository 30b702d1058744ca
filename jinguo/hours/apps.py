from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "jinguo.hours"
    label = "hours"
    verbose_name = "服务记录与星级"

    def ready(self):
        from jinguo.activities import hooks as activity_hooks
        from jinguo.volunteers import hooks as volunteer_hooks

        from . import ledger, services

        activity_hooks.register_attendance_closed(services.on_attendance_closed)
        volunteer_hooks.register_confirmed(ledger.release_for_confirmed)

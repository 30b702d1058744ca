"""Django admin for platform administrators: a read-only window on the ledger. The ledger is append-only and every
write goes through jinguo.hours.ledger (corrections as new entries, caches and star levels kept in step), so the
admin changes nothing; `manage.py rebuild_hours` recomputes the caches."""

from django.contrib import admin

from jinguo.core.admin import ReadOnlyAdmin

from .models import CorrectionRequest, NodeHours, ServiceRecord, StarChange, VolunteerHours


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ("service_date", "volunteer", "organiser", "hours", "hours_delta", "method", "entered_by_other",
                    "kind", "status", "recorded_by", "recorded_at")
    list_filter = ("status", "kind", "method", "entered_by_other")
    search_fields = ("volunteer__number", "volunteer__name")
    list_select_related = ("volunteer", "organiser", "recorded_by")
    raw_id_fields = ("volunteer", "activity", "attendance", "organiser", "corrects", "superseded_by", "recorded_by")
    show_full_result_count = False
    date_hierarchy = "service_date"


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "volunteer", "kind", "organiser", "status", "decided_by", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("volunteer__number", "volunteer__name")
    list_select_related = ("volunteer", "organiser", "decided_by")
    raw_id_fields = ("volunteer", "record", "activity", "organiser", "result", "decided_by")


@admin.register(StarChange)
class StarChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "volunteer", "from_level", "to_level", "total_hours")
    search_fields = ("volunteer__number", "volunteer__name")
    list_select_related = ("volunteer",)
    raw_id_fields = ("volunteer", "record")


@admin.register(VolunteerHours)
class VolunteerHoursAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "year", "hours", "records")
    list_filter = ("year",)
    search_fields = ("volunteer__number",)
    raw_id_fields = ("volunteer",)


@admin.register(NodeHours)
class NodeHoursAdmin(ReadOnlyAdmin):
    list_display = ("node", "year", "hours", "records")
    list_filter = ("year",)
    raw_id_fields = ("node",)

"""Django admin for platform administrators: a read-only window on supply and demand. Every change goes through the
services and the pages built on them (which lock, check scope, write the ledger and audit). Each part registers its
own models below."""

from django.contrib import admin

from jinguo.core.admin import ReadOnlyAdmin

from .models import (
    Assignment,
    CarePairing,
    CareRecipient,
    CloseOut,
    Complaint,
    Delivery,
    DispatchRule,
    Evaluation,
    MenuItem,
    Need,
    VisitLog,
)

# ---- needs and menus ------------------------------------------------------------------------------------------------


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    # No requester name, phone or address in the list (R23): the admin opens one record when she must.
    list_display = ("number", "category", "node", "urgency", "source", "status", "created_at")
    list_filter = ("status", "source", "urgency", "category")
    search_fields = ("number",)
    list_select_related = ("node",)
    raw_id_fields = ("node", "requester_user", "menu_item", "reviewed_by", "escalated_to", "created_by")
    show_full_result_count = False


@admin.register(MenuItem)
class MenuItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "team", "category", "area", "monthly_capacity", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("title",)
    list_select_related = ("team", "area")
    raw_id_fields = ("team", "area", "created_by")
    show_full_result_count = False


# ---- care pairings (结对) ----------------------------------------------------------------------------------------


@admin.register(CareRecipient)
class CareRecipientAdmin(ReadOnlyAdmin):
    # No phone, address or notes in the list (R23): the admin opens one record when she must.
    list_display = ("name", "category", "node", "is_active", "created_at")
    list_filter = ("category", "is_active")
    search_fields = ("name",)
    list_select_related = ("node",)
    raw_id_fields = ("node", "consent_recorded_by", "created_by")
    show_full_result_count = False


@admin.register(CarePairing)
class CarePairingAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "organiser", "start_date", "frequency", "status", "next_due")
    list_filter = ("status", "kind", "frequency")
    list_select_related = ("recipient", "organiser")
    raw_id_fields = ("recipient", "organiser", "ended_by", "created_by")
    show_full_result_count = False


@admin.register(VisitLog)
class VisitLogAdmin(ReadOnlyAdmin):
    list_display = ("pairing", "start_at", "end_at", "follow_up_needed", "created_at")
    list_filter = ("follow_up_needed",)
    raw_id_fields = ("pairing", "recorded_by")
    show_full_result_count = False


# ---- delivery and evaluation --------------------------------------------------------------------------------------


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("need", "volunteer", "method", "checked_in_at", "checked_out_at", "record")
    list_filter = ("method",)
    raw_id_fields = ("need", "assignment", "volunteer", "record", "recorded_by")
    show_full_result_count = False


@admin.register(CloseOut)
class CloseOutAdmin(ReadOnlyAdmin):
    list_display = ("need", "submitted_at", "submitted_by")
    raw_id_fields = ("need", "submitted_by")
    show_full_result_count = False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("need", "rating", "by_requester", "review", "created_at")
    list_filter = ("rating", "review", "by_requester")
    raw_id_fields = ("need", "entered_by", "reviewed_by")
    show_full_result_count = False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    # No complainant or text in the list: the admin opens one record when she must.
    list_display = ("need", "status", "created_at", "concluded_at")
    list_filter = ("status",)
    raw_id_fields = ("need", "entered_by", "handled_by")
    show_full_result_count = False


# ---- dispatch -----------------------------------------------------------------------------------------------------


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("need", "assignee_kind", "team", "volunteer", "mode", "status", "offered_at", "respond_by")
    list_filter = ("status", "mode", "assignee_kind")
    search_fields = ("need__number",)
    list_select_related = ("need", "team", "volunteer")
    raw_id_fields = ("need", "team", "volunteer", "offered_by", "responded_by")
    show_full_result_count = False


@admin.register(DispatchRule)
class DispatchRuleAdmin(ReadOnlyAdmin):
    list_display = ("node", "category", "urgency", "team", "is_active", "created_at")
    list_filter = ("is_active", "category", "urgency")
    list_select_related = ("node", "team")
    raw_id_fields = ("node", "team", "created_by")

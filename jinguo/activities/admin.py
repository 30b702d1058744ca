"""Django admin for platform administrators: a read-only window on activities, shifts, sign-ups, attendance,
declarations, policies and qualifications. Every change goes through the services and the pages built on them
(which lock, check scope, apply R7/R9/R10/R29/R30 and audit)."""

from django.contrib import admin

from jinguo.core.admin import ReadOnlyAdmin

from .models import Activity, Attendance, HoursDeclaration, InsurancePolicy, Qualification, Shift, SignUp


class ShiftInline(admin.TabularInline):
    model = Shift
    fields = ("name", "start_at", "end_at", "capacity")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "organiser", "start_at", "status", "capacity", "audience", "campaign", "is_risky")
    list_filter = ("status", "audience", "campaign", "is_risky", "category")
    search_fields = ("title", "service_site")
    list_select_related = ("organiser",)
    raw_id_fields = ("organiser", "approval_node", "approved_by", "created_by")
    show_full_result_count = False
    inlines = [ShiftInline]


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ("activity", "shift", "volunteer", "status", "no_show", "created_at")
    list_filter = ("status", "no_show")
    search_fields = ("activity__title", "volunteer__number")
    list_select_related = ("activity", "shift", "volunteer")
    raw_id_fields = ("activity", "shift", "volunteer", "decided_by")
    show_full_result_count = False


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ("activity", "volunteer", "status", "check_in_at", "check_out_at", "in_method", "out_method")
    list_filter = ("status", "in_method", "out_method")
    search_fields = ("activity__title", "volunteer__number")
    list_select_related = ("activity", "volunteer")
    raw_id_fields = ("activity", "shift", "volunteer", "signup", "recorded_by")
    show_full_result_count = False


@admin.register(HoursDeclaration)
class HoursDeclarationAdmin(ReadOnlyAdmin):
    list_display = ("activity", "volunteer", "start_at", "end_at", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("activity", "volunteer")
    raw_id_fields = ("activity", "shift", "volunteer", "decided_by")


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(ReadOnlyAdmin):
    list_display = ("insurer", "policy_number", "holder", "starts_on", "ends_on")
    search_fields = ("insurer", "policy_number")
    list_select_related = ("holder",)
    raw_id_fields = ("holder", "volunteers", "created_by")


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "name", "certificate_number", "valid_until", "verified_by")
    search_fields = ("name", "volunteer__number")
    list_select_related = ("volunteer", "verified_by")
    raw_id_fields = ("volunteer", "verified_by")

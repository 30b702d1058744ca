"""Django admin for platform administrators: a read-only window on volunteers, memberships, consents and
identity disputes. Every change goes through the services (and the pages built on them), which lock, check scope
and audit; the admin never shows an ID number in full (only the masked copy, never the ciphertext or its index)."""

from django.contrib import admin

from jinguo.core.admin import ReadOnlyAdmin

from .models import Consent, IdentityDispute, Membership, Volunteer


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("team", "status", "is_backbone", "applied_at", "joined_at", "ended_at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ("number", "name", "id_number_masked", "sex", "home_node", "status", "source", "created_at")
    list_filter = ("status", "source", "sex")
    # Search by our number or by name only: the phone and ID number are not searchable here (no enumeration).
    search_fields = ("number", "name")
    list_select_related = ("home_node",)
    show_full_result_count = False  # the count is capped on the pages; here it is simply not shown
    exclude = ("id_number_enc", "id_number_hash", "phone")
    readonly_fields = ("phone_masked",)
    raw_id_fields = ("home_node", "registered_via", "user", "created_by")
    inlines = [MembershipInline]

    @admin.display(description="手机号")
    def phone_masked(self, obj):
        return obj.phone_masked


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "team", "status", "is_backbone", "joined_at", "ended_at")
    list_filter = ("status", "is_backbone")
    search_fields = ("volunteer__number", "team__name")
    list_select_related = ("volunteer", "team")
    show_full_result_count = False
    raw_id_fields = ("volunteer", "team", "decided_by")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("volunteer", "kind", "version", "granted_at", "withdrawn_at")
    list_filter = ("kind", "version")
    search_fields = ("volunteer__number",)
    list_select_related = ("volunteer",)
    exclude = ("guardian_phone",)
    raw_id_fields = ("volunteer", "recorded_by")


@admin.register(IdentityDispute)
class IdentityDisputeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "volunteer", "claimant_name", "handling_node", "status", "handled_at")
    list_filter = ("kind", "status")
    search_fields = ("volunteer__number", "claimant_name")
    list_select_related = ("volunteer", "handling_node")
    exclude = ("claimant_phone",)
    raw_id_fields = ("volunteer", "handling_node", "handled_by")

from django.contrib import admin

from .models import Certificate, IssuerProfile


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read-only: a certificate is a snapshot; it is issued and revoked through the services (audited)."""

    list_display = ["number", "volunteer", "issuer", "period_start", "period_end", "total_hours", "status", "issued_at"]
    list_filter = ["status"]
    search_fields = ["number", "short_code", "volunteer__number"]
    raw_id_fields = ["volunteer", "issuer", "issued_by", "replaced_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IssuerProfile)
class IssuerProfileAdmin(admin.ModelAdmin):
    list_display = ["node", "person_in_charge", "handler", "contact_phone", "updated_at"]
    search_fields = ["node__name", "person_in_charge"]
    raw_id_fields = ["node", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    # Read-only here too: the node's admins set it on the certificate pages, where it is audited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Django admin for platform administrators only: a read-only window on the core tables.

Every change goes through services (and the pages built on them); the admin is for looking, so these models are
view-only here. The admin site itself refuses anyone who is not a superuser (platform administrator), whatever
their `is_staff` flag says.
"""

from django.contrib import admin

from .models import ApiToken, AuditLog, Job, Sequence


def _superusers_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = "巾帼志愿服务平台 · 平台管理"
admin.site.site_title = "平台管理"
admin.site.index_title = "数据浏览（只读）"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: writes belong to services, which lock, check scope and audit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _superusers_only(request)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "target_repr", "summary", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "target_repr", "summary", "node_path")
    date_hierarchy = "created_at"


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "title", "user", "status", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    exclude = ("input_path", "result_path")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ("name", "value")
    search_fields = ("name",)

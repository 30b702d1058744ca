"""Django admin (platform administrators only): read-mostly views of the tree, teams, roles and accounts.

The only writes offered are account activation and deactivation, and they go through the service, which checks
rights and writes the audit entry.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model

from jinguo.core.admin import ReadOnlyAdmin
from jinguo.core.errors import DomainError

from . import services
from .models import AnnualReport, BackboneMember, Node, NodeCounter, ReportingYear, RoleAssignment, Team

User = get_user_model()


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "code", "status", "path", "depth", "created_at")
    list_filter = ("kind", "status", "depth")
    search_fields = ("name", "code", "path")
    ordering = ("path",)


class BackboneInline(admin.TabularInline):
    model = BackboneMember
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("team_number", "name", "tier", "filing_status", "archive_number", "leader_name", "updated_at")
    list_filter = ("filing_status", "tier", "level", "is_registered")
    search_fields = ("team_number", "archive_number", "node__name", "leader_name")
    list_select_related = ("node",)
    inlines = [BackboneInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "node", "personal_data", "granted_at", "revoked_at")
    list_filter = ("role", "personal_data")
    search_fields = ("user__username", "user__display_name", "node__name")
    list_select_related = ("user", "node")


@admin.register(NodeCounter)
class NodeCounterAdmin(ReadOnlyAdmin):
    list_display = ("node", "volunteers", "members", "teams")
    search_fields = ("node__name",)
    list_select_related = ("node",)


@admin.register(ReportingYear)
class ReportingYearAdmin(ReadOnlyAdmin):
    list_display = ("node", "year", "deadline", "opened_at", "closed_at")
    list_filter = ("year",)


@admin.register(AnnualReport)
class AnnualReportAdmin(ReadOnlyAdmin):
    list_display = ("team", "reporting_year", "status", "member_count", "activity_count", "service_hours")
    list_filter = ("status",)
    list_select_related = ("team__node", "reporting_year__node")


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = (
        "username",
        "display_name",
        "phone",
        "is_active",
        "is_superuser",
        "must_change_password",
        "last_login",
    )
    list_filter = ("is_active", "is_superuser", "must_change_password")
    search_fields = ("username", "display_name", "phone")
    exclude = ("password", "user_permissions", "groups")
    actions = ["deactivate", "activate"]

    def _set_active(self, request, queryset, active: bool) -> None:
        done = 0
        for user in queryset:
            try:
                services.account_set_active(actor=request.user, user=user, active=active)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user}：{exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"已{'启用' if active else '停用'} {done} 个账号。", messages.SUCCESS)

    @admin.action(description="停用所选账号")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="启用所选账号")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

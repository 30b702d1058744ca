from django import forms, template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from jinguo.core.scope import get_scope

register = template.Library()


@register.filter
def add_class(field, css):
    widget = field.field.widget
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        css = css.replace("form-control", "form-select")
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field):
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field):
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (keeps filters when paging)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


# The main menu, grouped by capability so that it fits on one line: (label, icon, url name or sub-items, who).
# "who": all, staff (any role that can see a subtree), admin (can change a subtree), volunteer (has a record).
MENU = [
    ("工作台", "speedometer2", "home", "all"),
    ("组织与队伍", "diagram-3", [
        ("组织架构", "diagram-3", "orgs:tree", "staff"),
        ("队伍", "people", "orgs:team_list", "staff"),
        ("备案审核", "clipboard-check", "orgs:filing_queue", "admin"),
        ("年报", "journal-text", "orgs:reporting_list", "staff"),
    ], "staff"),
    ("志愿者", "person-hearts", [
        ("志愿者信息库", "person-hearts", "volunteers:list", "staff"),
        ("批量导入", "upload", "volunteers:import_start", "admin"),
        ("身份申诉", "shield-exclamation", "volunteers:dispute_list", "admin"),
    ], "staff"),
    ("活动与时长", "calendar-event", [
        ("活动", "calendar-event", "activities:list", "staff"),
        ("服务记录", "clock-history", "hours:records", "staff"),
        ("志愿服务记录证明", "award", "certificates:list", "staff"),
    ], "staff"),
    ("供需对接", "hand-thumbs-up", [
        ("服务需求", "inbox", "demands:need_list", "staff"),
        ("需求审核", "clipboard-check", "demands:review_queue", "admin"),
        ("派单待办", "send", "demands:dispatch_overview", "staff"),
        ("自动派单规则", "sliders", "demands:dispatch_rules", "admin"),
        ("队伍派单", "inbox-fill", "demands:inbox", "staff"),
        ("服务菜单", "card-list", "demands:menu_list", "staff"),
        ("待接需求", "hand-index", "demands:open_needs", "staff"),
        ("队伍上门服务", "house-heart", "demands:delivery_mine", "staff"),
        ("服务评价", "star-half", "demands:evaluation_list", "staff"),
        ("服务投诉", "chat-left-dots", "demands:complaint_list", "staff"),
        ("结对帮扶", "heart", "demands:care_recipient_list", "staff"),
    ], "staff"),
    ("管理", "gear", [
        ("账号与角色", "person-gear", "orgs:account_list", "admin"),
        ("审计日志", "card-list", "audit_log", "admin"),
    ], "admin"),
    ("我的", "person-badge", [
        ("我的档案", "person-badge", "volunteers:me", "volunteer"),
        ("找活动", "search-heart", "activities:browse", "volunteer"),
        ("我的报名", "list-check", "activities:my_signups", "volunteer"),
        ("我的时长", "clock-history", "hours:mine", "volunteer"),
        ("我的证明", "award", "certificates:mine", "volunteer"),
        ("待接需求", "hand-index", "demands:open_needs", "volunteer"),
        ("我的派单", "inbox-fill", "demands:inbox", "volunteer"),
        ("上门服务", "house-heart", "demands:delivery_mine", "volunteer"),
        ("我的结对", "heart", "demands:care_mine", "volunteer"),
        ("加入队伍", "people-fill", "volunteers:team_search", "volunteer"),
    ], "volunteer"),
]


def _visible(who: str, roles: dict) -> bool:
    return who == "all" or roles.get(who, False)


@register.simple_tag(takes_context=True)
def main_menu(context):
    request = context["request"]
    user = request.user
    scope = get_scope(user)
    roles = {
        "staff": scope.is_staff_anywhere,
        "admin": scope.platform or bool(scope.change_paths),
        "volunteer": hasattr(user, "volunteer") and user.volunteer is not None,
    }
    current = getattr(request.resolver_match, "view_name", "")
    entries = []
    for label, icon, target, who in MENU:
        if not _visible(who, roles):
            continue
        if isinstance(target, str):
            active = " active" if current == target else ""
            entries.append(format_html(
                '<li class="nav-item"><a class="nav-link{}" href="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</a></li>',
                active, reverse(target), icon, label,
            ))
            continue
        items = [(sub_label, sub_icon, name) for sub_label, sub_icon, name, sub_who in target if _visible(sub_who, roles)]
        if not items:
            continue
        # A volunteer without staff roles gets her own items on the bar itself: fewer taps on a phone.
        if who == "volunteer" and not roles["staff"]:
            for sub_label, sub_icon, name in items:
                active = " active" if current == name else ""
                entries.append(format_html(
                    '<li class="nav-item"><a class="nav-link{}" href="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</a></li>',
                    active, reverse(name), sub_icon, sub_label,
                ))
            continue
        group_active = " active" if any(current == name for _l, _i, name in items) else ""
        links = format_html_join(
            "",
            '<li><a class="dropdown-item{}" href="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</a></li>',
            ((" active" if current == name else "", reverse(name), sub_icon, sub_label) for sub_label, sub_icon, name in items),
        )
        entries.append(format_html(
            '<li class="nav-item dropdown"><a class="nav-link dropdown-toggle{}" href="#" role="button" '
            'data-bs-toggle="dropdown" aria-expanded="false"><i class="bi bi-{}" aria-hidden="true"></i> {}</a>'
            '<ul class="dropdown-menu">{}</ul></li>',
            group_active, icon, label, links,
        ))
    return format_html('<ul class="navbar-nav me-auto mb-2 mb-lg-0">{}</ul>', format_html_join("", "{}", ((e,) for e in entries)))


@register.simple_tag(takes_context=True)
def notification_bell(context):
    """The navbar bell with her unread count (one indexed COUNT); links to her notifications."""
    from jinguo.core.views_notifications import own_notifications

    user = context["request"].user
    unread = own_notifications(user).unread().count()
    shown = "99+" if unread > 99 else unread
    badge = format_html('<span class="badge rounded-pill text-bg-danger jg-bell-count">{}</span>', shown) if unread else ""
    label = f"通知（{unread} 条未读）" if unread else "通知"
    return format_html(
        '<a class="nav-link jg-bell" href="{}" title="{}" aria-label="{}"><i class="bi bi-bell"></i>{}</a>',
        reverse("notification_list"), label, label, badge,
    )

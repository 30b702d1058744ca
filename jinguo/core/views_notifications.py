"""In-app notifications: the list, marking one or all read, and the navbar bell's count.

A message is its recipient's alone: `restrict` passes everything for a platform administrator (scope.platform), so
the owner filter below is not a second permission mechanism but the definition of "mine" for everyone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Notification
from .paging import paginate


def own_notifications(user):
    return Notification.objects.restrict(user).filter(user_id=user.pk)


@login_required
def notification_list(request):
    rows = own_notifications(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        rows = rows.unread()
    page = paginate(request, rows.order_by("-created_at", "-id"), per_page=20)
    return render(request, "core/notifications.html", {
        "page_obj": page, "unread_only": unread_only, "unread": own_notifications(request.user).unread().count(),
    })


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one read and follow its link (a local one only)."""
    note = get_object_or_404(own_notifications(request.user), pk=pk)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if request.POST.get("follow") and note.link and url_has_allowed_host_and_scheme(
        note.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(note.link)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    count = own_notifications(request.user).unread().update(read_at=timezone.now())
    messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
    return redirect("notification_list")

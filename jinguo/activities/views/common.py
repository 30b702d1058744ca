"""What the activity pages share: finding an activity the user may see, running a service with its errors shown."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.volunteers.models import Volunteer

from .. import selectors
from ..models import Activity, SignUp


def visible_activity(request, pk) -> Activity:
    """Staff see the activities of their subtree; a volunteer those open to her or that she signed up for."""
    return get_object_or_404(selectors.visible_activities(request.user), pk=pk)


def staff_activity(request, pk, action: str = "view") -> Activity:
    """An activity of her subtree, for staff pages. `restrict` also lets a volunteer see the activities she signed
    up for; staff pages (roster, export, cover) are not hers, so the organiser must lie in her staff scope."""
    activity = get_object_or_404(Activity.objects.restrict(request.user, action).select_related("organiser"), pk=pk)
    if not get_scope(request.user).covers(activity.organiser.path, action):
        raise Http404
    return activity


def staff_signup(request, pk) -> SignUp:
    signup = get_object_or_404(
        SignUp.objects.restrict(request.user, "view").select_related("activity__organiser", "volunteer", "shift"),
        pk=pk,
    )
    if not get_scope(request.user).covers(signup.activity.organiser.path, "view"):
        raise Http404
    return signup


def require_staff(request):
    scope = get_scope(request.user)
    if not scope.is_staff_anywhere:
        raise Http404
    return scope


def own_volunteer(request) -> Volunteer | None:
    if not request.user.is_authenticated:
        return None
    return Volunteer.objects.select_related("home_node").filter(user=request.user).first()


def can_change(request, activity: Activity) -> bool:
    return get_scope(request.user).covers(activity.organiser.path, "change")


def run(request, func, done: str = "", **kwargs):
    """Call a service: a refusal of scope is a 403; any other refusal is shown as a message. Returns the result or
    None when refused."""
    try:
        result = func(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    if done:
        messages.success(request, done)
    return result if result is not None else True

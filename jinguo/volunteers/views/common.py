"""What the volunteer pages share: the proved phone in the session, who counts as staff, her own record."""

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jinguo.core.scope import get_scope

from ..models import Volunteer

User = get_user_model()

LOGIN_BACKEND = "jinguo.core.auth.PhoneOrUsernameBackend"

# How long a phone proved by an SMS code stays proved in her session (kept there, never in a URL).
PROOF_TTL_SECONDS = 30 * 60

CARD_SALT = "jinguo.volunteers.card"

ERROR_ALIASES = {"consent": "consent_personal", "guardian": "guardian_name"}


def prove_phone(request, purpose: str, phone: str) -> None:
    request.session[f"jg_phone_{purpose}"] = {"phone": phone, "at": time.time()}


def proved_phone(request, purpose: str) -> str | None:
    proof = request.session.get(f"jg_phone_{purpose}")
    if not proof or time.time() - proof.get("at", 0) > PROOF_TTL_SECONDS:
        return None
    return proof.get("phone")


def forget_phone(request, purpose: str) -> None:
    request.session.pop(f"jg_phone_{purpose}", None)


def require_staff(request):
    """Staff pages: someone without any scope gets a 404, as for an object outside her scope."""
    scope = get_scope(request.user)
    if not scope.is_staff_anywhere:
        raise Http404
    return scope


def require_changer(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能进行此操作。")
    return scope


def own_volunteer(request) -> Volunteer | None:
    return Volunteer.objects.select_related("home_node").filter(user=request.user).first()

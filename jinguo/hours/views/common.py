"""What the ledger pages share: who counts as staff, finding a record in scope, running a service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope

from ..models import CorrectionRequest, ServiceRecord


def require_staff(request):
    """Staff pages: someone without any role gets a 404, as for an object outside her scope."""
    scope = get_scope(request.user)
    if not scope.is_staff_anywhere:
        raise Http404
    return scope


def subnav_counts(request) -> dict:
    """The badges of the ledger pages' tabs: held records waiting for her, open correction requests."""
    from .. import selectors

    scope = get_scope(request.user)
    can_change = scope.platform or bool(scope.change_paths)
    return {
        "review_count": selectors.review_queue(request.user).count() if can_change else 0,
        "open_requests": selectors.correction_requests(request.user, status="open").count() if can_change else 0,
    }


def visible_record(request, pk, action: str = "view") -> ServiceRecord:
    return get_object_or_404(
        ServiceRecord.objects.restrict(request.user, action).select_related(
            "volunteer", "organiser", "activity", "recorded_by", "attendance"
        ),
        pk=pk,
    )


def managed_request(request, pk) -> CorrectionRequest:
    return get_object_or_404(
        CorrectionRequest.objects.restrict(request.user, "change").select_related(
            "volunteer", "organiser", "record", "activity", "decided_by", "result"
        ),
        pk=pk,
    )


def run(request, func, /, **kwargs):
    """Call a service for a button: out of scope is a 403; any other refusal is shown as a message (None)."""
    try:
        return func(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return None


def form_error(form, exc: DomainError) -> None:
    """A service's refusal on the field it names (or on the form), keeping the user's input."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)

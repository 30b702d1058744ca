"""Small helpers that every app's views share."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .errors import DomainError, PermissionDeniedError
from .scope import UserScope, get_scope


def require_staff(request) -> UserScope:
    """The caller's scope, or 404 for someone who holds no staff role anywhere (the page does not exist for her)."""
    scope = get_scope(request.user)
    if not scope.is_staff_anywhere:
        raise Http404
    return scope


def run_service(request, func, done: str = "", **kwargs):
    """Call a service as the request's user, from a page's button or form.

    A refusal of scope is a 403; any other refusal (a DomainError) becomes an error message and the result is None.
    On success `done`, when given, becomes a success message, and the service's result is returned (True when the
    service itself returns nothing, so that callers can test the outcome)."""
    try:
        result = func(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    if done:
        messages.success(request, done)
    return True if result is None else result

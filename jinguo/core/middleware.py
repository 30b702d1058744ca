from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .context import current_ip


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class PasswordChangeRequiredMiddleware:
    """A password set by the level above is temporary: the user must choose her own before going on."""

    allowed_names = {"password_change", "password_change_done", "logout", "login"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(("/static/", "/api/"))
        ):
            match = getattr(request, "resolver_match", None)
            allowed = {reverse(name) for name in self.allowed_names}
            if request.path not in allowed and (match is None or match.url_name not in self.allowed_names):
                return redirect("password_change")
        return self.get_response(request)


class SlidingSessionMiddleware:
    """Idle sessions end after SESSION_COOKIE_AGE; an active one keeps going, at the cost of a write now and then.

    Django's SESSION_SAVE_EVERY_REQUEST rewrites the session row on every request (an UPDATE and a commit that waits
    for the disk: costly in a QR check-in burst). Here the session is saved only when its last refresh, kept in the
    session itself, is older than a tenth of SESSION_COOKIE_AGE; saving it moves its expiry to now + the age. So an
    idle session ends 27 to 30 minutes (by default) after its last request, and an active one is written at most
    once every three minutes. Sessions holding nothing (anonymous visitors) are left alone: none is created here.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # SessionBase has keys() but no __iter__.
        if session is None or session.is_empty() or not (session.keys() - {self.KEY}):
            return response
        now = int(timezone.now().timestamp())
        refreshed = session.get(self.KEY)
        stale = not isinstance(refreshed, int) or now - refreshed >= settings.SESSION_COOKIE_AGE // 10
        if stale or session.modified:
            # Setting it marks the session modified: SessionMiddleware saves it, and its expiry moves to now + age.
            # A session saved anyway (a login, a message) records that save as its refresh.
            session[self.KEY] = now
        return response

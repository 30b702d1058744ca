from django.shortcuts import redirect
from django.urls import reverse

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

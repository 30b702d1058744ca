from django.conf import settings

from .scope import get_scope


def platform(request):
    user = getattr(request, "user", None)
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "user_scope": get_scope(user) if user is not None else None,
    }

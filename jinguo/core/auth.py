from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .text import is_mobile, normalise_phone


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with the mobile number or the username, whichever the person remembers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        phone = normalise_phone(username)
        user = None
        if is_mobile(phone):
            user = User.objects.filter(phone=phone).first()
        if user is None:
            user = User.objects.filter(username=username.strip()).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint that the account exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

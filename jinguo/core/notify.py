"""Messages to people: in-app always, plus e-mail and SMS through one interface (DESIGN: the development backends
write to the console). Call `notify(...)` inside a transaction: the copies leave only after it commits."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from . import sms
from .models import Notification

logger = logging.getLogger("jinguo.notify")
INAPP, EMAIL, SMS = "inapp", "email", "sms"


def _send_copies(user_ids: list[int], title: str, body: str, channels: tuple[str, ...]) -> None:
    from .models import User

    for user in User.objects.filter(pk__in=user_ids, is_active=True).only("email", "phone"):
        try:
            if EMAIL in channels and user.email:
                send_mail(title, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            if SMS in channels and user.phone:
                sms.get_backend().send(user.phone, f"【巾帼志愿】{title}：{body}"[:300])
        except Exception:  # a gateway failure must not undo what the message is about
            logger.exception("could not send a copy of %r to user %s", title, user.pk)


def notify(users: Iterable, title: str, body: str = "", *, link: str = "", channels: tuple[str, ...] = (INAPP,)) -> int:
    """Send a message to each user (objects or ids). Returns how many in-app messages were written."""
    ids = sorted({getattr(u, "pk", u) for u in users if u is not None})
    if not ids:
        return 0
    Notification.objects.bulk_create(
        [Notification(user_id=pk, title=title[:120], body=body, link=link[:300]) for pk in ids]
    )
    extra = tuple(c for c in channels if c != INAPP)
    if extra:
        transaction.on_commit(lambda: _send_copies(ids, title, body, extra))
    return len(ids)

"""Writing audit entries. Services call `record`; nothing else writes AuditLog."""

from .context import current_ip
from .models import AuditLog


def _actor_name(actor) -> str:
    if actor is None:
        return "系统"
    return str(actor)


def record(
    actor,
    action: str,
    *,
    target=None,
    node_path: str = "",
    summary: str = "",
    detail: dict | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=_actor_name(actor),
        action=action,
        node_path=node_path,
        summary=summary[:500],
        detail=detail or {},
        ip=current_ip.get(),
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:200]
    entry.save()
    return entry


def history(target):
    """Entries about one object, newest first."""
    return AuditLog.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))

"""Who is acting, from where: set per request by middleware, read by the audit log."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)

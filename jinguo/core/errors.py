"""The one error type that services raise: a machine-readable code and a message in Chinese for the user."""


class DomainError(Exception):
    def __init__(self, code: str, message: str, *, field: str | None = None, detail: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.detail = detail or {}

    def __str__(self) -> str:
        return self.message


class PermissionDeniedError(DomainError):
    """Raised when the acting user's data scope does not cover what the service would change."""

    def __init__(self, message: str = "您没有权限进行此操作。"):
        super().__init__("permission_denied", message)

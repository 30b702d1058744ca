"""REST API: delivery (issue 4)."""


def register(router) -> None:
    """Register this part's viewsets on the /api/v1/ router."""

"""Pages: needs (issue 4)."""

urlpatterns: list = []

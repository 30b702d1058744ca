"""Pages: dispatch (issue 4)."""

urlpatterns: list = []

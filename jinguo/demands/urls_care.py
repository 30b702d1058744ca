"""Pages: care (issue 4)."""

urlpatterns: list = []

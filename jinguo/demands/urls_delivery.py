"""Pages: delivery (issue 4)."""

urlpatterns: list = []

"""The pages of supply and demand, one module per part (each with its own owner): needs and menus, dispatch and
acceptance, delivery and evaluation, care pairings."""

from . import urls_care, urls_delivery, urls_dispatch, urls_needs

app_name = "demands"

urlpatterns = [
    *urls_needs.urlpatterns,
    *urls_dispatch.urlpatterns,
    *urls_delivery.urlpatterns,
    *urls_care.urlpatterns,
]

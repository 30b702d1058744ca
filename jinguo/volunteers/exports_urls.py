from django.urls import path

from . import exports

urlpatterns = [
    path("roster/", exports.roster_export, name="roster_export"),
]

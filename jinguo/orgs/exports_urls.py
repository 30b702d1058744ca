from django.urls import path

from . import exports

urlpatterns = [
    path("teams/", exports.team_export, name="team_export"),
]

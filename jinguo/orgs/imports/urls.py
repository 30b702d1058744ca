from django.urls import path

from . import views

urlpatterns = [
    path("teams/", views.team_import_start, name="team_import_start"),
    path("teams/template.xlsx", views.team_import_template, name="team_import_template"),
    path("teams/<int:pk>/commit/", views.team_import_commit, name="team_import_commit"),
    path("teams/<int:pk>/cancel/", views.team_import_cancel, name="team_import_cancel"),
    path("teams/<int:pk>/problems/", views.team_import_problems, name="team_import_problems"),
    path("teams/<int:pk>/problems.xlsx", views.team_import_problems_xlsx, name="team_import_problems_xlsx"),
]

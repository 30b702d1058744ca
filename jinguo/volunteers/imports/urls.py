from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_start, name="import_start"),
    path("template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("<int:pk>/problems/", views.import_problems, name="import_problems"),
    path("<int:pk>/problems.xlsx", views.import_problems_xlsx, name="import_problems_xlsx"),
]

from django.urls import include, path

from . import views

app_name = "orgs"

urlpatterns = [
    # the tree and federation nodes
    path("tree/", views.tree, name="tree"),
    path("tree/<int:pk>/children/", views.tree_children, name="tree_children"),
    path("nodes/options/", views.node_options, name="node_options"),
    path("nodes/<int:pk>/", views.node_detail, name="node_detail"),
    path("nodes/<int:pk>/new/", views.node_create, name="node_create"),
    path("nodes/<int:pk>/edit/", views.node_edit, name="node_edit"),
    path("nodes/<int:pk>/move/", views.node_move, name="node_move"),
    path("nodes/<int:pk>/dissolve/", views.node_dissolve, name="node_dissolve"),
    path("nodes/<int:pk>/delete/", views.node_delete, name="node_delete"),
    path("nodes/<int:pk>/teams/new/", views.team_create, name="team_create"),
    # teams and filing
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/print/", views.team_print, name="team_print"),
    path("teams/<int:pk>/submit/", views.team_submit, name="team_submit"),
    path("teams/<int:pk>/file/", views.team_file, name="team_file"),
    path("teams/<int:pk>/return/", views.team_return, name="team_return"),
    path("teams/<int:pk>/merge/", views.team_merge, name="team_merge"),
    path("filing/", views.filing_queue, name="filing_queue"),
    # yearly reports
    path("reports/", views.reporting_list, name="reporting_list"),
    path("reports/<int:pk>/", views.reporting_year_detail, name="reporting_year_detail"),
    path("reports/<int:pk>/teams/<int:team>/", views.annual_report, name="annual_report"),
    path("reports/annual/<int:pk>/confirm/", views.annual_report_confirm, name="annual_report_confirm"),
    path("reports/annual/<int:pk>/return/", views.annual_report_return, name="annual_report_return"),
    # accounts and roles
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/password/", views.account_password_reset, name="account_password_reset"),
    path("accounts/<int:pk>/active/", views.account_set_active, name="account_set_active"),
    path("accounts/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    # imports and exports (another part of the work)
    path("import/", include("jinguo.orgs.imports.urls")),
    path("export/", include("jinguo.orgs.exports_urls")),
]

from django.urls import include, path

from .views import me, phone, staff, teams

app_name = "volunteers"

urlpatterns = [
    # staff: search, rosters, records
    path("", staff.volunteer_list, name="list"),
    path("new/", staff.volunteer_create, name="create"),
    path("<int:pk>/", staff.volunteer_detail, name="detail"),
    path("<int:pk>/edit/", staff.volunteer_edit, name="edit"),
    path("<int:pk>/reveal-id/", staff.volunteer_reveal_id, name="reveal_id"),
    path("teams/<int:pk>/roster/", teams.team_roster, name="team_roster"),
    path("teams/<int:pk>/roster/add/", teams.roster_add, name="roster_add"),
    path("memberships/<int:pk>/approve/", teams.membership_approve, name="membership_approve"),
    path("memberships/<int:pk>/reject/", teams.membership_reject, name="membership_reject"),
    path("memberships/<int:pk>/remove/", teams.membership_remove, name="membership_remove"),
    path("memberships/<int:pk>/backbone/", teams.membership_backbone, name="membership_backbone"),
    path("disputes/", staff.dispute_list, name="dispute_list"),
    path("disputes/<int:pk>/", staff.dispute_detail, name="dispute_detail"),
    # her own registration, confirmation (R25) and claim (R26), on a phone
    path("register/", phone.register, name="register"),
    path("register/details/", phone.register_details, name="register_details"),
    path("register/claim/", phone.claim, name="claim"),
    path("confirm/", phone.confirm_start, name="confirm_start"),
    path("confirm/records/", phone.confirm_list, name="confirm_list"),
    path("confirm/records/<int:pk>/", phone.confirm_record, name="confirm_record"),
    path("confirm/records/<int:pk>/deny/", phone.confirm_deny, name="confirm_deny"),
    path("regions/", phone.region_options, name="region_options"),
    path("id-check/", phone.id_check, name="id_check"),
    # her own pages
    path("me/", me.me, name="me"),
    path("me/card/", me.me_card, name="me_card"),
    path("me/edit/", me.me_edit, name="me_edit"),
    path("me/export/", me.me_export, name="me_export"),
    path("me/consent/", me.me_consent, name="me_consent"),
    path("me/memberships/<int:pk>/leave/", me.membership_leave, name="membership_leave"),
    path("teams/", me.team_search, name="team_search"),
    path("teams/<int:pk>/apply/", me.team_apply, name="team_apply"),
    path("card/<str:token>/", me.card_check, name="card_check"),
    path("import/", include("jinguo.volunteers.imports.urls")),
    path("export/", include("jinguo.volunteers.exports_urls")),
]

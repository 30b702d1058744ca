"""Pages: care pairings (结对, F9)."""

from django.urls import path

from . import views_care as views

urlpatterns = [
    # staff: recipients, pairings, the overdue list
    path("care/recipients/", views.recipient_list, name="care_recipient_list"),
    path("care/recipients/new/", views.recipient_create, name="care_recipient_create"),
    path("care/recipients/<int:pk>/", views.recipient_detail, name="care_recipient_detail"),
    path("care/recipients/<int:pk>/edit/", views.recipient_edit, name="care_recipient_edit"),
    path("care/recipients/<int:pk>/pair/", views.pairing_create, name="care_pairing_create"),
    path("care/pairings/", views.pairing_list, name="care_pairing_list"),
    path("care/overdue/", views.overdue_list, name="care_overdue"),
    path("care/pairings/<int:pk>/", views.pairing_detail, name="care_pairing_detail"),
    path("care/pairings/<int:pk>/end/", views.pairing_end, name="care_pairing_end"),
    path("care/pairings/<int:pk>/volunteers/add/", views.pairing_add_volunteer, name="care_pairing_add_volunteer"),
    path(
        "care/pairings/<int:pk>/volunteers/<int:volunteer_pk>/remove/", views.pairing_remove_volunteer,
        name="care_pairing_remove_volunteer",
    ),
    path(
        "care/pairings/<int:pk>/volunteers/<int:volunteer_pk>/lead/", views.pairing_set_lead,
        name="care_pairing_set_lead",
    ),
    # her phone: 我的结对 and the visit log form
    path("care/mine/", views.my_pairings, name="care_mine"),
    path("care/pairings/<int:pk>/visit/", views.visit_create, name="care_visit_create"),
]

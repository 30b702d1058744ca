"""Pages: dispatch (派单), the provider's inbox (接单), each node's overview of waiting needs, dispatch rules."""

from django.urls import path

from . import views_dispatch as views

urlpatterns = [
    # staff: one need's dispatch page (ranked candidates), and the commands on it
    path("dispatch/need/<int:pk>/", views.dispatch_page, name="dispatch"),
    path("dispatch/need/<int:pk>/assign/", views.dispatch_assign, name="dispatch_assign"),
    path("dispatch/assignment/<int:pk>/withdraw/", views.assignment_withdraw, name="dispatch_withdraw"),
    path("dispatch/assignment/<int:pk>/confirm/", views.offer_confirm, name="dispatch_confirm_offer"),
    path("dispatch/assignment/<int:pk>/reject/", views.offer_reject, name="dispatch_reject_offer"),
    # staff: open, overdue and escalated needs of a node's subtree
    path("dispatch/", views.overview, name="dispatch_overview"),
    # staff: automatic dispatch rules
    path("dispatch/rules/", views.rule_list, name="dispatch_rules"),
    path("dispatch/rules/new/", views.rule_create, name="dispatch_rule_create"),
    path("dispatch/rules/<int:pk>/", views.rule_edit, name="dispatch_rule_edit"),
    path("dispatch/rules/<int:pk>/toggle/", views.rule_toggle, name="dispatch_rule_toggle"),
    # providers (phone): the inbox of a team's leader or a volunteer, accept / decline (claims and offers start
    # from the open-needs list of part A, which calls services_dispatch.need_offer)
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/accept/", views.inbox_accept, name="inbox_accept"),
    path("inbox/<int:pk>/decline/", views.inbox_decline, name="inbox_decline"),
]

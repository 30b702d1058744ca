"""Pages: needs and service menus (part A). The resident's pages under help/ are public (no login, 适老化)."""

from django.urls import path

from . import views_needs as v

urlpatterns = [
    # the resident (public): three steps, her status page, the menus of her community
    path("help/", v.help_home, name="help"),
    path("help/done/", v.help_done, name="help_done"),
    path("help/status/", v.help_status, name="help_status"),
    path("help/status/cancel/", v.help_cancel, name="help_cancel"),
    path("help/menu/", v.help_menu, name="help_menu"),
    path("help/menu/<int:pk>/", v.help_order, name="help_order"),
    path("help/<slug:category>/", v.help_form, name="help_form"),
    # staff: needs of her subtree, proxy entry, review (R8), detail (R23), cancel
    path("needs/", v.need_list, name="need_list"),
    path("needs/new/", v.need_create, name="need_create"),
    path("needs/review/", v.review_queue, name="review_queue"),
    path("needs/<int:pk>/", v.need_detail, name="need_detail"),
    path("needs/<int:pk>/review/", v.need_review, name="need_review"),
    path("needs/<int:pk>/cancel/", v.need_cancel, name="need_cancel"),
    path("needs/poster/<int:pk>/", v.help_poster, name="help_poster"),
    # team leaders: service menus (no price: R11)
    path("menus/", v.menu_list, name="menu_list"),
    path("menus/new/", v.menu_create, name="menu_create"),
    path("menus/<int:pk>/edit/", v.menu_edit, name="menu_edit"),
    path("menus/<int:pk>/active/", v.menu_set_active, name="menu_set_active"),
    # volunteers and teams: open needs, anonymised, and 我想接单
    path("open/", v.open_needs, name="open_needs"),
    path("open/<int:pk>/take/", v.open_need_take, name="open_need_take"),
]

"""Pages: delivery (上门服务签到签退、结案) and evaluation (评价、复核、投诉) (issue 4)."""

from django.urls import path

from . import views_delivery as v

urlpatterns = [
    path("serve/", v.delivery_mine, name="delivery_mine"),
    path("serve/<int:pk>/", v.delivery_need, name="delivery_need"),
    path("serve/<int:pk>/check/", v.delivery_check, name="delivery_check"),
    path("serve/<int:pk>/team/", v.delivery_leader, name="delivery_leader"),
    path("serve/<int:pk>/team/roster/", v.delivery_roster, name="delivery_roster"),
    path("serve/<int:pk>/closeout/", v.closeout_form, name="closeout_form"),
    path("closeout-photos/<int:pk>/", v.closeout_photo, name="closeout_photo"),
    path("rate/", v.rate, name="rate"),
    path("needs/<int:pk>/evaluate/", v.evaluation_form, name="evaluation_form"),
    path("needs/<int:pk>/complain/", v.complaint_create, name="complaint_create"),
    path("evaluations/", v.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/review/", v.evaluation_review, name="evaluation_review"),
    path("complaints/", v.complaint_list, name="complaint_list"),
    path("complaints/<int:pk>/", v.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/handle/", v.complaint_handle, name="complaint_handle"),
    path("complaints/<int:pk>/conclude/", v.complaint_conclude, name="complaint_conclude"),
]

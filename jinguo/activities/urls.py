from django.urls import include, path

from .views import insurance, roster, staff, volunteer

app_name = "activities"

urlpatterns = [
    # staff: the activities of her scope, publishing and approval (R7, R30), site load (R29)
    path("", staff.activity_list, name="list"),
    path("new/", staff.activity_create, name="create"),
    path("approvals/", staff.approvals, name="approvals"),
    path("sites/", staff.site_load, name="site_load"),
    path("<int:pk>/edit/", staff.activity_edit, name="edit"),
    path("<int:pk>/publish/", staff.activity_publish, name="publish"),
    path("<int:pk>/approve/", staff.activity_approve, name="approve"),
    path("<int:pk>/reject/", staff.activity_reject, name="reject"),
    path("<int:pk>/withdraw/", staff.activity_withdraw, name="withdraw"),
    path("<int:pk>/cancel/", staff.activity_cancel, name="cancel"),
    path("<int:pk>/archive/", staff.activity_archive, name="archive"),
    # the roster
    path("<int:pk>/roster/", roster.roster, name="roster"),
    path("<int:pk>/roster/export/", roster.roster_export, name="roster_export"),
    path("<int:pk>/roster/message/", roster.roster_message, name="message"),
    path("<int:pk>/cover/", roster.cover, name="cover"),
    path("signups/<int:pk>/approve/", roster.signup_approve, name="signup_approve"),
    path("signups/<int:pk>/reject/", roster.signup_reject, name="signup_reject"),
    path("signups/<int:pk>/remove/", roster.signup_remove, name="signup_remove"),
    path("signups/<int:pk>/no-show/", roster.signup_no_show, name="signup_no_show"),
    # insurance (R10) and qualifications (R9)
    path("insurance/", insurance.policy_list, name="policy_list"),
    path("insurance/new/", insurance.policy_create, name="policy_create"),
    path("insurance/<int:pk>/", insurance.policy_detail, name="policy_detail"),
    path("qualifications/", insurance.qualifications, name="qualifications"),
    path("qualifications/volunteer/<int:pk>/", insurance.volunteer_qualifications, name="volunteer_qualifications"),
    path("qualifications/<int:pk>/delete/", insurance.qualification_delete, name="qualification_delete"),
    # her pages (phone): find, see, sign up, cancel, her sign-ups
    path("find/", volunteer.browse, name="browse"),
    path("<int:pk>/", volunteer.detail, name="detail"),
    path("<int:pk>/signup/", volunteer.signup, name="signup"),
    path("mine/", volunteer.my_signups, name="my_signups"),
    path("mine/<int:pk>/cancel/", volunteer.my_cancel, name="my_cancel"),
    # check-in and check-out (their own module)
    path("checkin/", include("jinguo.activities.checkin_urls")),
]

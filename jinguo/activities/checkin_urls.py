"""Check-in and check-out pages, under /activities/checkin/ (names: activities:checkin_*)."""

from django.urls import path

from .views import checkin, checkin_staff

urlpatterns = [
    # her pages (phone): what the QR code opens, the numeric code, her status on the activity page, declared hours
    path("scan/<str:token>/", checkin.scan, name="checkin_scan"),
    path("code/", checkin.code, name="checkin_code"),
    path("<int:pk>/mine/", checkin.mine, name="checkin_mine"),
    path("signups/<int:pk>/declare/", checkin.declare, name="checkin_declare"),
    # the leader's pages: the rotating QR screen, the roster, confirmations and declarations
    path("<int:pk>/screen/", checkin_staff.screen, name="checkin_screen"),
    path("<int:pk>/screen/qr/", checkin_staff.screen_qr, name="checkin_screen_qr"),
    path("<int:pk>/roster/", checkin_staff.roster, name="checkin_roster"),
    path("<int:pk>/roster/action/", checkin_staff.roster_action, name="checkin_roster_action"),
    path("attendances/<int:pk>/confirm/", checkin_staff.attendance_confirm, name="checkin_attendance_confirm"),
    path("attendances/<int:pk>/reject/", checkin_staff.attendance_reject, name="checkin_attendance_reject"),
    path("declarations/<int:pk>/approve/", checkin_staff.declaration_approve, name="checkin_declaration_approve"),
    path("declarations/<int:pk>/reject/", checkin_staff.declaration_reject, name="checkin_declaration_reject"),
]

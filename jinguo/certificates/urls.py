from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    # staff
    path("", views.certificate_list, name="list"),
    path("issue/", views.certificate_issue, name="issue"),
    path("batch/", views.certificate_batch, name="batch"),
    path("<int:pk>/", views.certificate_detail, name="detail"),
    path("<int:pk>/pdf/", views.certificate_download, name="download"),
    path("<int:pk>/revoke/", views.certificate_revoke, name="revoke"),
    path("<int:pk>/reissue/", views.certificate_reissue, name="reissue"),
    path("settings/", views.issuer_settings, name="settings"),
    path("settings/go/", views.issuer_pick, name="issuer_pick"),
    path("settings/<int:pk>/", views.issuer_profile, name="issuer_profile"),
    # her own, on a phone
    path("mine/", views.mine, name="mine"),
]

from django.contrib import admin
from django.urls import include, path

from jinguo.certificates import views as certificate_views
from jinguo.reports.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("jinguo.core.urls")),
    path("orgs/", include("jinguo.orgs.urls")),
    path("volunteers/", include("jinguo.volunteers.urls")),
    path("activities/", include("jinguo.activities.urls")),
    path("certificates/", include("jinguo.certificates.urls")),
    path("hours/", include("jinguo.hours.urls")),
    path("demands/", include("jinguo.demands.urls")),
    path("v/", certificate_views.verify_start, name="certificate_verify_start"),
    path("v/<str:code>/", certificate_views.verify, name="certificate_verify"),
    path("api/", include("config.api_urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "jinguo.core.views.permission_denied"
handler404 = "jinguo.core.views.page_not_found"

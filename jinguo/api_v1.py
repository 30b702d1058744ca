"""The REST API, version 1, under /api/v1/ (URL names in the "api" namespace, e.g. "api:volunteer-list").

Authentication: the browser session, or `Authorization: Bearer jg_…` with a token made on /account/tokens/.
The OpenAPI schema is at /api/schema/ and the documentation at /api/docs/.
"""

from rest_framework.renderers import JSONRenderer
from rest_framework.routers import APIRootView, DefaultRouter

from jinguo.activities.api import ActivityViewSet, InsurancePolicyViewSet, ShiftViewSet, SignUpViewSet
from jinguo.activities.api_checkin import AttendanceViewSet, DeclarationViewSet
from jinguo.certificates.api import CertificateViewSet
from jinguo.core.api import ImportJobViewSet
from jinguo.demands import api as demands_api
from jinguo.hours.api import CorrectionRequestViewSet, ServiceRecordViewSet, StarDistributionViewSet
from jinguo.orgs.api import NodeViewSet, TeamViewSet
from jinguo.volunteers.api import MembershipViewSet, VolunteerViewSet

app_name = "api"


class RootView(APIRootView):
    """巾帼志愿服务平台 API 第 1 版：各类资源的入口。"""

    renderer_classes = [JSONRenderer]


class Router(DefaultRouter):
    APIRootView = RootView
    include_format_suffixes = False


router = Router()
router.register("nodes", NodeViewSet, basename="node")
router.register("teams", TeamViewSet, basename="team")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("import-jobs", ImportJobViewSet, basename="import-job")
# The service-hour loop (issue 3)
router.register("activities", ActivityViewSet, basename="activity")
router.register("shifts", ShiftViewSet, basename="shift")
router.register("signups", SignUpViewSet, basename="signup")
router.register("attendance", AttendanceViewSet, basename="attendance")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("records", ServiceRecordViewSet, basename="record")
router.register("correction-requests", CorrectionRequestViewSet, basename="correction-request")
router.register("star-distribution", StarDistributionViewSet, basename="star-distribution")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("insurance-policies", InsurancePolicyViewSet, basename="insurance-policy")

# Supply and demand, care pairings (issue 4)
demands_api.register(router)

urlpatterns = router.urls

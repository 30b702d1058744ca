"""Her own archive on the phone (section 6): sign-ups and check-ins, hours by year, every record under her name with
who recorded it and how (R27), her correction requests and their answers, her star level and its history, and the
same figures staff see. She asks for a correction here too (R16)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.volunteers.models import Volunteer

from .. import selectors, services
from ..forms import CorrectionRequestForm
from ..models import CorrectionKind, ServiceRecord
from .common import form_error


def _own_volunteer(request) -> Volunteer | None:
    return Volunteer.objects.select_related("home_node").filter(user=request.user).first()


@login_required
def mine(request):
    volunteer = _own_volunteer(request)
    if volunteer is None:
        return render(request, "hours/mine_none.html")
    context = {
        "volunteer": volunteer,
        "star_first": settings.STAR_THRESHOLDS[0],
        "can_report_omission": selectors.omission_choices(volunteer).exists(),
        **selectors.archive(volunteer),
    }
    return render(request, "hours/mine.html", context)


@login_required
def correction_new(request):
    """?record=<pk>: a record of hers is wrong; ?activity=<pk>: an activity she served in has no record."""
    volunteer = _own_volunteer(request)
    if volunteer is None:
        raise Http404
    record = activity = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("record"):
        record = get_object_or_404(
            ServiceRecord.objects.filter(volunteer=volunteer).select_related("organiser", "activity"),
            pk=source.get("record") if str(source.get("record")).isdigit() else 0,
        )
        initial = {"proposed_start": timezone.localtime(record.start_at), "proposed_end": timezone.localtime(record.end_at)}
    else:
        choices = selectors.omission_choices(volunteer)
        chosen = source.get("activity", "")
        signup = choices.filter(activity_id=chosen).first() if chosen.isdigit() else None
        if chosen and signup is None:
            raise Http404
        activity = signup.activity if signup else None
        initial = (
            {"proposed_start": timezone.localtime(signup.shift.start_at), "proposed_end": timezone.localtime(signup.shift.end_at)}
            if signup else {}
        )
        if activity is None:
            return render(request, "hours/correction_pick.html", {"choices": choices})
    form = CorrectionRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.correction_request_create(
                actor=request.user,
                kind=CorrectionKind.ERROR if record else CorrectionKind.OMISSION,
                record=record,
                activity=activity if record is None else None,
                proposed_start=data["proposed_start"],
                proposed_end=data["proposed_end"],
                reason=data["reason"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "申请已提交，组织单位核实后会答复您。")
            return redirect("hours:mine")
    return render(
        request,
        "hours/correction_new.html",
        {"form": form, "record": record, "activity": activity or (record.activity if record else None)},
    )


import datetime
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import audit, progress
from .forms import ApiTokenForm, AuditFilterForm, LoginForm
from .models import ApiToken, AuditLog, Job
from .paging import paginate
from .scope import get_scope


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        audit.record(user, "account.password_changed", target=user, summary="本人修改密码")
        messages.success(self.request, "密码已修改。")
        return response


@login_required
def audit_log(request):
    scope = get_scope(request.user)
    if not (scope.platform or scope.change_paths):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    entries = AuditLog.objects.restrict(request.user, "change")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            entries = entries.filter(
                Q(actor_name__icontains=data["q"])
                | Q(target_repr__icontains=data["q"])
                | Q(summary__icontains=data["q"])
            )
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(
                created_at__gte=datetime.datetime.combine(data["date_from"], datetime.time.min, tz)
            )
        if data["date_to"]:
            entries = entries.filter(
                created_at__lt=datetime.datetime.combine(
                    data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tz
                )
            )
    page = paginate(request, entries.order_by("-created_at", "-id"), per_page=50)
    return render(request, "core/audit_log.html", {"form": form, "page_obj": page})


@login_required
def api_tokens(request):
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_key = ApiToken.issue(request.user, form.cleaned_data["name"])
            audit.record(
                request.user, "account.api_token_issued", target=request.user, summary=f"创建 API 令牌 {token.prefix}…"
            )
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at")
    return render(request, "core/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        request.user, "account.api_token_revoked", target=request.user, summary=f"撤销 API 令牌 {token.prefix}…"
    )
    messages.success(request, "令牌已撤销。")
    return redirect("api_tokens")


def _job_for(request, pk) -> Job:
    return get_object_or_404(Job.objects.restrict(request.user), pk=pk)


def _job_context(job: Job) -> dict:
    state = progress.get_progress("job", job.pk)
    if job.is_finished and not state.get("total"):
        state = {"done": 1, "total": 1, "stage": ""}
    pct = 100 if job.is_finished else progress.percent(state)
    return {"job": job, "progress": state, "percent": pct}


@login_required
def job_detail(request, pk):
    job = _job_for(request, pk)
    context = _job_context(job)
    template = f"jobs/{job.kind}.html"
    return render(request, [template, "jobs/default.html"], context)


@login_required
def job_progress(request, pk):
    job = _job_for(request, pk)
    response = render(request, "includes/progress.html", _job_context(job))
    if job.is_finished and request.htmx:
        # The page was polling an unfinished job: reload it once to show the result.
        response["HX-Refresh"] = "true"
    return response


@login_required
def job_download(request, pk):
    job = _job_for(request, pk)
    if not job.result_path or job.status != Job.Status.SUCCEEDED:
        raise Http404
    path = Path(job.result_path)
    root = Path(settings.PRIVATE_FILES_ROOT).resolve()
    if not path.resolve().is_relative_to(root) or not path.exists():
        raise Http404
    audit.record(
        request.user,
        "export.downloaded",
        target=job,
        node_path=job.params.get("node_path", ""),
        summary=f"下载导出文件：{job.result_name}",
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)

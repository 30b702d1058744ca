"""Star levels (R19) in the user's scope: how many volunteers hold each level, as a table and an ECharts bar."""

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors
from ..forms import StarFilterForm
from .common import require_staff, subnav_counts


@login_required
def star_distribution(request):
    require_staff(request)
    form = StarFilterForm(request.GET or None, user=request.user)
    node = form.cleaned_data.get("node") if form.is_valid() else None
    rows = selectors.star_distribution(request.user, node=node)
    labels = ["未评星" if r["level"] == 0 else f"{r['level']}星" for r in rows]
    chart = {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 24, "bottom": 32},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1, "name": "人数"},
        "series": [{"type": "bar", "data": [r["count"] for r in rows], "itemStyle": {"color": "#b0245a"},
                    "label": {"show": True, "position": "top"}}],
    }
    context = {
        "form": form,
        "rows": rows,
        "total": sum(r["count"] for r in rows),
        "starred": sum(r["count"] for r in rows if r["level"] > 0),
        "chart": json.dumps(chart, ensure_ascii=False),
        "node": node,
        **subnav_counts(request),
    }
    return render(request, "hours/stars.html", context)

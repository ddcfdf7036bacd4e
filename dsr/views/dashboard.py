"""The dashboard for directors (their schools) and the privacy officer (all schools): R-AC-5 figures
as accessible SVG charts with table alternatives, and the same figures as CSV."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import charts
from ..services import manual_tasks, reports
from ..services.clock import local_today

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.before_request
@login_required
def _directors_and_privacy_officer_only():
    if not reports.may_view(current_user):
        abort(403)


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _school_arg() -> int | None:
    raw = request.args.get("school", "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _filters() -> tuple[reports.Period, int | None, str | None]:
    """The period and school from the query string; a bad period falls back to the last 12 months."""
    today = local_today()
    default = reports.Period.last_twelve_months(today)
    start, end = _date_arg("van"), _date_arg("tot")
    problem = None
    if (request.args.get("van") and start is None) or (request.args.get("tot") and end is None):
        problem = _("Een datum is niet geldig; de laatste twaalf maanden worden getoond.")
    try:
        period = reports.Period(start or default.start, end or default.end) if problem is None else default
    except ValueError:
        period = default
        problem = _("Die periode kan niet (einde vóór begin, of langer dan vijf jaar); "
                    "de laatste twaalf maanden worden getoond.")
    return period, _school_arg(), problem


def _dashboard() -> tuple[reports.Dashboard, str | None]:
    period, school_id, problem = _filters()
    return reports.build(current_user, period=period, school_id=school_id, today=local_today()), problem


@bp.route("/")
def index():
    """Charts and tables for the chosen period and school."""
    dashboard, problem = _dashboard()
    chart_svgs = {
        section.key: charts.bar_chart(
            f"chart-{section.key}", f"{section.title} ({dashboard.scope_label}, {dashboard.period.label})",
            [charts.Bar(row.label, row.value, row.text + ("" if section.unit != "%" else " %"))
             for row in section.rows],
            max_value=section.max_value,
        )
        for section in dashboard.sections if section.chart
    }
    overdue_tasks = manual_tasks.overdue_tasks(current_user, dashboard.today,
                                               dashboard.school.id if dashboard.school is not None else None)
    return render_template("dashboard/index.html", dashboard=dashboard, charts=chart_svgs, problem=problem,
                           schools=reports.selectable_schools(current_user),
                           csv_args=_csv_args(dashboard), overdue_tasks=overdue_tasks)


def _csv_args(dashboard: reports.Dashboard) -> dict[str, str | int]:
    args: dict[str, str | int] = {"van": dashboard.period.start.isoformat(), "tot": dashboard.period.end.isoformat()}
    if dashboard.school is not None:
        args["school"] = dashboard.school.id
    return args


@bp.route("/cijfers.csv")
def export_csv():
    """The figures of the page, with the same filters, as a spreadsheet file (R-AC-5)."""
    dashboard, _problem = _dashboard()
    name = f"avg-verzoeken-cijfers-{dashboard.period.start:%Y%m%d}-{dashboard.period.end:%Y%m%d}.csv"
    return Response(reports.to_csv(dashboard), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

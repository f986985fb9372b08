"""The leaders' dashboard: server-rendered pages (Jinja2, autoescaped), no script, no external asset.

Signing in: the bot's /dashboard link opens a page whose button redeems the one-time token (a GET alone does
not, so a messenger's link preview cannot use it up); the answer is a signed session cookie bound to the
official, re-checked against the database on every request (a revoked official is out at once). Scope comes
from bot.services.scope; a case outside it is a 404, like a case that does not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.domain.digest import OVERDUE_BANDS, Period, PeriodKind, last_days, parse_period
from bot.i18n import translator
from bot.services.chart import Bar, on_time_chart
from bot.services.context import AppContext
from bot.services.dashboard import DashboardLinks
from bot.services.digest_sql import DigestQueries
from bot.services.exports import (
    Table,
    cases_table,
    day,
    default_columns,
    figures_table,
    load_columns,
    to_csv,
    to_xlsx,
)
from bot.services.org_view import OrgSnapshot
from bot.services.scope import KINDS, STATUSES, CaseFilter, Scope, Viewer, parse_filter, viewer_for
from bot.web.pages import SECURITY_HEADERS, templates
from bot.web.signing import Signer
from storage.uow import Database

HERE = Path(__file__).resolve().parent
COOKIE = "tiepdan_dashboard"
SESSION, CSRF = "dashboard-session", "dashboard-csrf"
LANGUAGE = "vi"
MAX_PERIOD_DAYS = 366
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DashboardRoutes:
    def __init__(self, db: Database, app: AppContext, signer: Signer, *, session_hours: int = 8,
                 columns_file: Path | None = None, map_tiles: str | None = None, map_attribution: str = "") -> None:
        self.db, self.app, self.signer = db, app, signer
        self.map_tiles, self.map_attribution = map_tiles, map_attribution
        self.session_seconds = session_hours * 3600
        self.columns = load_columns(columns_file) if columns_file else default_columns()
        self.templates = templates()

    def install(self, app: web.Application) -> None:
        app.router.add_get("/dashboard/login", self.login_page)
        app.router.add_post("/dashboard/login", self.login)
        app.router.add_post("/dashboard/logout", self.logout)
        app.router.add_get("/dashboard/static/{name:(dashboard.css|map.js)}", self.asset)
        app.router.add_static("/dashboard/static/leaflet", HERE / "static" / "leaflet", show_index=False)
        app.router.add_get("/dashboard/map", self._signed(self.map))
        app.router.add_get("/dashboard/map.json", self._signed(self.map_points))
        app.router.add_get("/dashboard", self._signed(self.overview))
        app.router.add_get("/dashboard/chart.png", self._signed(self.chart))
        app.router.add_get("/dashboard/cases", self._signed(self.cases))
        app.router.add_get("/dashboard/cases/{code}", self._signed(self.case))
        app.router.add_post("/dashboard/cases/{code}/public", self._signed(self.publish))
        app.router.add_get("/dashboard/export/{what:(cases|figures)}.{fmt:(csv|xlsx)}", self._signed(self.export))

    # --- signing in ----------------------------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        return self._page(request, "login.html", token=request.query.get("token", "")[:100])

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(form.get("token", ""))[:100]
        async with self.db.unit_of_work() as uow:
            official_id = await DashboardLinks(uow.session, self.app).redeem(token, self.app.clock.now())
            await uow.commit()
        if official_id is None:
            return self._page(request, "login.html", status=403, refused=True, token="")
        nonce = secrets.token_urlsafe(12)
        value = self.signer.sign(SESSION, f"{official_id}|{nonce}")
        response = web.HTTPSeeOther("/dashboard")
        response.set_cookie(COOKIE, value, max_age=self.session_seconds, path="/dashboard", httponly=True,
                            samesite="Strict", secure=request.secure)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        response = web.HTTPSeeOther("/dashboard/login")
        response.del_cookie(COOKIE, path="/dashboard")
        raise response

    def _session(self, request: web.Request) -> tuple[int, str] | None:
        value = self.signer.unsign(SESSION, request.cookies.get(COOKIE), timedelta(seconds=self.session_seconds))
        if value is None or value.count("|") != 1:
            return None
        official, nonce = value.split("|")
        return (int(official), nonce) if official.isdigit() else None

    def _signed(self, handler: Callable[[web.Request, Scope, str], Awaitable[web.StreamResponse]]) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            session = self._session(request)
            if session is None:
                return self._page(request, "login.html", status=401, token="", signed_out=True)
            official_id, nonce = session
            async with self.db.unit_of_work() as uow:
                org = await self.app.org.get(uow.session, self._today())
                viewer = await viewer_for(uow.session, org, official_id)
                if viewer is None:
                    return self._page(request, "login.html", status=401, token="", signed_out=True)
                scope = Scope(uow.session, org, viewer, self.app.clock.now())
                response = await handler(request, scope, self.signer.digest(CSRF, nonce))
                if request.method == "POST":
                    await uow.commit()
                return response
        return wrapped

    # --- pages ---------------------------------------------------------------------------------------------

    async def overview(self, request: web.Request, scope: Scope, csrf: str) -> web.Response:
        period = self._period(request, scope)
        figures = await figures_table(scope.session, scope.org, scope.viewer, period, scope.now)
        overdue = await scope.overdue()
        return self._page(request, "overview.html", scope=scope, period=period, figures=figures,
                          period_title=period_title(period),
                          overdue=overdue, bands=OVERDUE_BANDS, period_query=self._period_query(request),
                          csrf=csrf)

    async def chart(self, request: web.Request, scope: Scope, _csrf: str) -> web.Response:
        period = self._period(request, scope)
        facts = await DigestQueries(scope.session, scope.org).facts(period, scope.now)
        t = translator(LANGUAGE)
        bars = sorted((Bar(scope.org.units_by_id[u].name(t.language), f.resolved, f.on_time)
                       for u in scope.viewer.units if (f := facts.by_unit.get(u)) is not None and f.resolved),
                      key=lambda bar: (-bar.rate, -bar.answered, bar.label))
        return web.Response(body=on_time_chart(period_title(period), bars, t("digest.chart_empty")),
                            content_type="image/png",
                            headers={"Cache-Control": "no-store"})

    async def cases(self, request: web.Request, scope: Scope, csrf: str) -> web.Response:
        if scope.viewer.aggregates_only:
            raise web.HTTPNotFound()
        chosen = parse_filter(request.query, scope.org, scope.viewer)
        page = await scope.cases(chosen, _int(request.query.get("page"), 1) - 1)
        return self._page(request, "cases.html", scope=scope, chosen=chosen, page=page, csrf=csrf,
                          statuses=("open", "closed", "overdue", *STATUSES), kinds=KINDS,
                          units=[scope.org.units_by_id[u] for u in scope.viewer.units],
                          areas=sorted(scope.org.areas.values(), key=lambda a: (a.parent_code or a.code, a.code)),
                          categories=scope.org.active_categories(), query=chosen.query())

    async def map(self, request: web.Request, scope: Scope, csrf: str) -> web.Response:
        """Open reports on a map (Leaflet, served from here); tiles only when configured."""
        if scope.viewer.aggregates_only:
            raise web.HTTPNotFound()
        response = self._page(request, "map.html", scope=scope, tiles=self.map_tiles or "",
                              attribution=self.map_attribution, centre=self._centre(scope.org))
        if self.map_tiles:  # the tile server's images, and nothing else from outside
            origin = "/".join(self.map_tiles.split("/")[:3])
            response.headers["Content-Security-Policy"] = response.headers["Content-Security-Policy"].replace(
                "img-src 'self'", f"img-src 'self' {origin}")
        return response

    async def map_points(self, _request: web.Request, scope: Scope, _csrf: str) -> web.Response:
        if scope.viewer.aggregates_only:
            raise web.HTTPNotFound()
        return web.json_response(await scope.map_points(), headers={"Cache-Control": "no-store"})

    def _centre(self, org: OrgSnapshot) -> tuple[float, float]:
        located = [(a.lat, a.lon) for a in org.wards() if a.lat is not None and a.lon is not None]
        if not located:
            return (21.0278, 105.8342)
        return (sum(p[0] for p in located) / len(located), sum(p[1] for p in located) / len(located))

    async def case(self, request: web.Request, scope: Scope, csrf: str) -> web.Response:
        detail = await scope.detail(request.match_info["code"])
        if detail is None:
            return self._page(request, "not_found.html", status=404, scope=scope)
        return self._page(request, "case.html", scope=scope, detail=detail, csrf=csrf)

    async def publish(self, request: web.Request, scope: Scope, csrf: str) -> web.StreamResponse:
        form = await request.post()
        code = request.match_info["code"]
        if not secrets.compare_digest(str(form.get("csrf", "")), csrf):
            raise web.HTTPForbidden()
        if not await scope.set_public(code, form.get("public") == "1"):
            return self._page(request, "not_found.html", status=404, scope=scope)
        # Returned, not raised: the change commits when the handler returns (an exception rolls it back).
        return web.Response(status=303, headers={"Location": f"/dashboard/cases/{code}"})

    async def export(self, request: web.Request, scope: Scope, _csrf: str) -> web.Response:
        what, fmt = request.match_info["what"], request.match_info["fmt"]
        if what == "cases":
            if scope.viewer.aggregates_only:
                raise web.HTTPNotFound()
            chosen = parse_filter(request.query, scope.org, scope.viewer)
            table = cases_table(await scope.all_cases(chosen), self.columns, scope.org.calendar.tz)
            name = f"ho-so-{scope.now.astimezone(scope.tz):%Y%m%d}"
        else:
            period = self._period(request, scope)
            table = await figures_table(scope.session, scope.org, scope.viewer, period, scope.now)
            name = "so-lieu-" + "".join(c if c.isalnum() or c == "-" else "_" for c in period.label)
        return _download(table, fmt, name)

    # --- helpers -------------------------------------------------------------------------------------------

    def _period(self, request: web.Request, scope: Scope) -> Period:
        """`period=2026-W09|2026-03`, or `from`/`to` days, or the last seven days."""
        tz = scope.tz
        start, end = _date(request.query.get("from")), _date(request.query.get("to"))
        if start and end and start <= end and (end - start).days <= MAX_PERIOD_DAYS:
            return Period(PeriodKind.DAYS, datetime.combine(start, datetime.min.time(), tzinfo=tz),
                          datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz))
        text = request.query.get("period", "")[:32]
        return parse_period(text, scope.now, tz) or last_days(scope.now, tz)  # unreadable: the last seven days

    def _period_query(self, request: web.Request) -> dict[str, str]:
        return {k: request.query[k][:32] for k in ("period", "from", "to") if request.query.get(k)}

    def _today(self) -> Any:
        return self.app.clock.now().astimezone(self.app.tz).date()

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return web.Response(body=(HERE / "static" / name).read_bytes(), content_type=kind,
                            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})

    def _page(self, request: web.Request, name: str, *, status: int = 200, **values: Any) -> web.Response:
        t = translator(LANGUAGE)
        scope: Scope | None = values.get("scope")
        body = self.templates.get_template(name).render(
            t=t, tz=self.app.tz, day=day, moment=lambda m: t.moment(m, self.app.tz) if m else "",
            viewer=scope.viewer if scope else None, org=scope.org if scope else None, **values)
        return web.Response(body=body.encode("utf-8"), status=status, content_type="text/html", charset="utf-8",
                            headers=SECURITY_HEADERS)


def period_title(period: Period) -> str:
    """2026-W09, 2026-03, or the first and last day of any other span."""
    if period.kind is PeriodKind.DAYS:
        return f"{period.start:%d/%m/%Y} - {period.last_day:%d/%m/%Y}"
    return period.label


def _download(table: Table, fmt: str, name: str) -> web.Response:
    body, kind = (to_csv(table), "text/csv") if fmt == "csv" else (to_xlsx(table), XLSX)
    return web.Response(body=body, headers={
        "Content-Type": kind + ("; charset=utf-8" if fmt == "csv" else ""),
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else default


def _date(raw: str | None) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def scope_label(org: OrgSnapshot, viewer: Viewer) -> str:
    return org.units_by_id[viewer.unit_id].name(LANGUAGE)


__all__ = ["CaseFilter", "DashboardRoutes", "scope_label"]

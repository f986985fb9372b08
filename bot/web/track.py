"""The tracking page: GET/POST /track (code + PIN -> the case as its citizen may see it) and POST /track/rate.

Works without any messenger. A right PIN gives a signed token valid for a short while, so the rating form that
follows does not carry the PIN; a wrong PIN, an unknown code and a malformed one all read the same. The signed
link of the receipt (`/track?t=...`) opens the case without the PIN and is never held back by wrong PINs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web

from bot.i18n import Translator, translator
from bot.services import Services
from bot.services.context import AppContext
from bot.services.track_links import TrackLinks
from bot.services.tracking import (
    MAX_CODE,
    MAX_COMMENT,
    TrackedCase,
    Tracking,
    TrackingLocked,
    look_up,
    normal_code,
)
from bot.web.addresses import ClientAddress
from bot.web.pages import html_response, language_links, page_language, render, text
from bot.web.signing import Signer
from storage.uow import Database

RATE_PURPOSE = "track-rate"
TOKEN_LIFETIME = timedelta(minutes=30)
MAX_FORM_BYTES = 8 * 1024


class TrackingRoutes:
    def __init__(self, db: Database, app: AppContext, signer: Signer, links: TrackLinks,
                 addresses: ClientAddress | None = None) -> None:
        self.db, self.app, self.signer, self.links = db, app, signer, links
        self.addresses = addresses or ClientAddress()

    def install(self, app: web.Application) -> None:
        app.router.add_get("/track", self.form)
        app.router.add_post("/track", self.look_up)
        app.router.add_post("/track/rate", self.rate)

    async def form(self, request: web.Request) -> web.Response:
        language = page_language(request, self.app.default_language)
        token = request.query.get("t")
        if token is not None:  # the receipt's signed link: no PIN, no guessing count
            code = self.links.code_of(token)
            if code is None:
                t = translator(language)
                return self._page(request, language, status=403, notice=_alert(text(t, "web.track.bad_link")))
            async with self.db.unit_of_work(readonly=True) as uow:
                org = await self.app.org.get(uow.session, self._today())
                case = await Tracking(uow.session, self.app, org).view(code, language)
            return self._page(request, language, code=code, case=case)
        return self._page(request, language, code=normal_code(request.query.get("code", "")))

    async def look_up(self, request: web.Request) -> web.Response:
        language = page_language(request, self.app.default_language)
        t = translator(language)
        form = await _form(request)
        code, pin = normal_code(form.get("code", "")), "".join(form.get("pin", "").split())
        if not code or not pin:
            return self._page(request, language, code=code, notice=_alert(text(t, "web.track.missing")))
        try:
            found = await look_up(self.db, self.app, code, pin, self.addresses.key(request), language)
        except TrackingLocked as locked:
            notice = (text(t, "web.track.wait", until=t.moment(locked.until, self.app.tz)) if locked.until
                      else text(t, "web.track.locked"))
            return self._page(request, language, code=code, status=429, notice=_alert(notice))
        if found.case is None:
            warning = f' {text(t, "web.track.last_try")}' if found.last_free_try else ""
            return self._page(request, language, code=code,
                              notice=_alert(text(t, "web.track.wrong") + warning))
        return self._page(request, language, code=code, case=found.case)

    async def rate(self, request: web.Request) -> web.Response:
        language = page_language(request, self.app.default_language)
        t = translator(language)
        form = await _form(request)
        code = self._token_code(form.get("token", ""))
        if code is None:
            return self._page(request, language, status=403, notice=_alert(text(t, "web.track.expired")))
        async with self.db.unit_of_work() as uow:
            org = await self.app.org.get(uow.session, self._today())
            tracking = Tracking(uow.session, self.app, org)
            verdict = await tracking.rate(code, form.get("verdict", ""), form.get("comment", "")[:MAX_COMMENT],
                                          Services(uow, self.app, org).case_actions)
            await uow.commit()
            case = await tracking.view(code, language)
        if verdict is None:
            notice = _alert(text(t, "web.track.not_rated"))
        elif verdict.outcome == "second_level":
            unit = verdict.unit.name(language) if verdict.unit else t("common.none")
            notice = _note(text(t, "web.track.rated.second_level", unit=unit))
        elif verdict.outcome in ("reopened", "sent_up"):
            due = t.due(verdict.due_at, self.app.tz) if verdict.due_at else t("common.none")
            notice = _note(text(t, "web.track.rated.reopened", due=due))
        else:
            notice = _note(text(t, "web.track.rated.closed"))
        return self._page(request, language, code=code, case=case, notice=notice)

    # --- rendering ---------------------------------------------------------------------------------------

    def _page(self, request: web.Request, language: str, *, code: str = "", case: TrackedCase | None = None,
              notice: Notice | None = None, status: int = 200) -> web.Response:
        t = translator(language)
        body = render("track.html", language, languages=language_links("/track", language), notice=notice,
                      code=code, max_code=MAX_CODE, max_comment=MAX_COMMENT,
                      **(self._case(case, t) if case is not None else {}))
        return html_response(body, request, language, status=status)

    def _case(self, case: TrackedCase, t: Translator) -> dict[str, object]:
        """What templates/track.html shows of a case: its facts, its public history, the rating form."""
        tz = self.app.tz
        facts = [
            ("web.track.kind", t(f"kind.{case.kind}")),
            ("web.track.status", t(f"status.{case.status}")),
            ("web.track.category", case.category or t("common.none")),
            ("web.track.unit", case.unit),
            ("web.track.received", t.moment(case.created_at, tz)),
            ("web.track.due", t.due(case.due_at, tz) if case.due_at else t("common.none")),
        ]
        history = [HistoryLine(e.at, t.moment(e.at, tz), _event(t, e.action), e.note) for e in case.history]
        return {
            "case": case, "facts": facts, "history": history,
            "answered": t.moment(case.answered_at, tz) if case.answered_at else "",
            "rate_token": self.signer.sign(RATE_PURPOSE, case.code) if case.can_rate else None,
        }

    def _token_code(self, token: str) -> str | None:
        return self.signer.unsign(RATE_PURPOSE, token, TOKEN_LIFETIME)

    def _today(self) -> date:
        return self.app.clock.now().astimezone(self.app.tz).date()


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_FORM_BYTES, actual_size=request.content_length)
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _event(t: Translator, action: str) -> str:
    label = t(f"event.{action}")
    return label if label != f"event.{action}" else text(t, "web.track.event_other")


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    ok: bool = False  # a confirmation (role=status); otherwise an error (role=alert)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    when: str
    label: str
    note: str | None


def _alert(message: str) -> Notice:
    return Notice(message)


def _note(message: str) -> Notice:
    return Notice(message, ok=True)

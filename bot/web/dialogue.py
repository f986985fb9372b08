"""GET /dialogue/<id>: a dialogue session's public minutes - when and where, who attended, each question (most
supported first) with its answer and who answered, or the case it became - readable without any messenger.

Only the words of the questions are shown, never who asked them; every value is HTML-escaped.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.i18n import translator
from bot.services.context import AppContext
from bot.services.dialogues import Dialogues
from bot.services.intake import Intake
from bot.services.notices import Notifier
from bot.web.pages import esc, html_response, language_links, page_language, render, text
from storage.models import Case, Official
from storage.uow import Database


class DialogueRoutes:
    def __init__(self, db: Database, app: AppContext) -> None:
        self.db, self.app = db, app

    def install(self, app: web.Application) -> None:
        app.router.add_get(r"/dialogue/{id:\d+}", self.minutes)

    async def minutes(self, request: web.Request) -> web.Response:
        language = page_language(request, self.app.default_language)
        t = translator(language)
        session_id = int(request.match_info["id"])
        path = f"/dialogue/{session_id}"
        async with self.db.unit_of_work(readonly=True) as uow:
            org = await self.app.org.get(uow.session, self.app.clock.now().astimezone(self.app.tz).date())
            dialogues = Dialogues(uow.session, self.app, org, Intake(uow.session, self.app, org,
                                                                     Notifier(uow.session, self.app, org)))
            row = await dialogues.get(session_id)
            if row is None:
                body = f"<p class=\"alert\">{esc(text(t, 'web.dialogue.not_found'))}</p>"
                return html_response(render("dialogue.html", language, {
                    "lang": language, "languages": language_links(path, language), "body": body}),
                    request, language, status=404)
            details = await dialogues.details(t, row)
            questions = await dialogues.ranked(session_id)
            names = dict((await uow.session.execute(select(Official.id, Official.name))).all())
            codes = dict((await uow.session.execute(select(Case.id, Case.code).where(
                Case.id.in_([q.case_id for q in questions if q.case_id])))).all())
        items = []
        for q in questions:
            parts = [f"<p class=\"question\">{esc(q.text)}</p>",
                     f"<p class=\"hint\">{esc(text(t, 'web.dialogue.supports', count=q.supports))}</p>"]
            if q.answer is not None:
                who = names.get(q.answered_by or 0, "")
                parts.append(f"<p class=\"answer\"><strong>{esc(text(t, 'web.dialogue.answer', who=who))}</strong> "
                             f"{esc(q.answer)}</p>")
            elif q.case_id is not None:
                parts.append(f"<p class=\"hint\">{esc(text(t, 'web.dialogue.became_case', code=codes.get(q.case_id)))}</p>")
            else:
                parts.append(f"<p class=\"hint\">{esc(text(t, 'web.dialogue.unanswered'))}</p>")
            items.append("<li>" + "".join(parts) + "</li>")
        body = (f"<section class=\"card\"><p class=\"details\">{esc(details).replace(chr(10), '<br>')}</p></section>"
                f"<section class=\"card\"><h2>{esc(text(t, 'web.dialogue.questions'))}</h2>"
                f"<ol class=\"questions\">{''.join(items)}</ol></section>")
        return html_response(render("dialogue.html", language, {
            "lang": language, "languages": language_links(path, language), "body": body}), request, language)

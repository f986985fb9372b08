"""GET /dialogue/<id>: a dialogue session's public minutes - when and where, who attended, each question (most
supported first) with its answer and who answered, or the case it became - readable without any messenger.

Only the words of the questions are shown, never who asked them; templates/dialogue.html escapes every value.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import select

from bot.i18n import translator
from bot.services.context import AppContext
from bot.services.dialogues import Dialogues
from bot.services.intake import Intake
from bot.services.notices import Notifier
from bot.web.pages import html_response, language_links, page_language, render
from storage.models import Case, Official
from storage.models_civic import DialogueQuestion
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
        languages = language_links(f"/dialogue/{session_id}", language)
        async with self.db.unit_of_work(readonly=True) as uow:
            org = await self.app.org.get(uow.session, self.app.clock.now().astimezone(self.app.tz).date())
            dialogues = Dialogues(uow.session, self.app, org, Intake(uow.session, self.app, org,
                                                                     Notifier(uow.session, self.app, org)))
            row = await dialogues.get(session_id)
            if row is None:
                return html_response(render("dialogue.html", language, languages=languages, minutes=None),
                                     request, language, status=404)
            details = await dialogues.details(t, row)
            questions = await dialogues.ranked(session_id)
            names = dict((await uow.session.execute(select(Official.id, Official.name))).all())
            codes = dict((await uow.session.execute(select(Case.id, Case.code).where(
                Case.id.in_([q.case_id for q in questions if q.case_id])))).all())
        minutes = Minutes(details, questions, names, codes)
        return html_response(render("dialogue.html", language, languages=languages, minutes=minutes),
                             request, language)


@dataclass(frozen=True, slots=True)
class Minutes:
    details: str  # when and where, who attended: lines
    questions: list[DialogueQuestion]  # most supported first
    names: dict[int, str]  # official id -> name, for who answered
    codes: dict[int, str]  # case id -> code, for the questions that became cases

"""Use cases over one unit of work. Flows reach them as `turn.services`; they hold no SQL themselves."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, translator
from bot.services.announcements import Announcements
from bot.services.case_actions import CaseActions
from bot.services.cases import CaseQueries
from bot.services.context import AppContext
from bot.services.dashboard import DashboardLinks
from bot.services.dialogues import Dialogues
from bot.services.digest import Digests
from bot.services.drafts import Drafts
from bot.services.escalation import Escalations
from bot.services.evidence import Evidence
from bot.services.following import Following
from bot.services.identities import Identities
from bot.services.intake import Intake
from bot.services.notices import Notifier
from bot.services.officials import Officials
from bot.services.org_view import OrgSnapshot
from bot.services.oversight import Oversight
from bot.services.privacy import Privacy
from bot.services.work import Work
from storage.uow import UnitOfWork


class Services:
    def __init__(self, uow: UnitOfWork, app: AppContext, org: OrgSnapshot) -> None:
        self.uow, self.app, self.org = uow, app, org

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    def translator(self, language: str) -> Translator:
        return translator(language)

    @cached_property
    def identities(self) -> Identities:
        return Identities(self.session)

    @cached_property
    def notifier(self) -> Notifier:
        return Notifier(self.session, self.app, self.org)

    @cached_property
    def intake(self) -> Intake:
        return Intake(self.session, self.app, self.org, self.notifier)

    @cached_property
    def cases(self) -> CaseQueries:
        return CaseQueries(self.session, self.app, self.org)

    @cached_property
    def evidence(self) -> Evidence:
        return Evidence(self.session)

    @cached_property
    def drafts(self) -> Drafts:
        return Drafts(self.session, self.app, self.org, self.intake, self.evidence)

    @cached_property
    def privacy(self) -> Privacy:
        return Privacy(self.session, self.app, self.org)

    @cached_property
    def officials(self) -> Officials:
        return Officials(self.session, self.app, self.org)

    @cached_property
    def case_actions(self) -> CaseActions:
        return CaseActions(self.session, self.app, self.org, self.notifier, self.officials, self.intake)

    @cached_property
    def escalations(self) -> Escalations:
        return Escalations(self.session, self.app)

    @cached_property
    def digests(self) -> Digests:
        return Digests(self.session, self.org)

    @cached_property
    def dashboard(self) -> DashboardLinks:
        return DashboardLinks(self.session, self.app)

    @cached_property
    def work(self) -> Work:
        return Work(self.session, self.app, self.org, self.notifier)

    @cached_property
    def oversight(self) -> Oversight:
        return Oversight(self.session, self.app, self.org, self.notifier, self.work)

    @cached_property
    def following(self) -> Following:
        return Following(self.session, self.app, self.org)

    @cached_property
    def announcements(self) -> Announcements:
        return Announcements(self.session, self.app, self.org, self.intake)

    @cached_property
    def dialogues(self) -> Dialogues:
        return Dialogues(self.session, self.app, self.org, self.intake)

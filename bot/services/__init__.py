"""Use cases over one unit of work. Flows reach them as `turn.services`; they hold no SQL themselves."""

from __future__ import annotations

from functools import cached_property

from bot.i18n import Translator, translator
from bot.services.cases import CaseQueries
from bot.services.context import AppContext
from bot.services.identities import Identities
from bot.services.intake import Intake
from bot.services.notify import Notifier
from bot.services.org_view import OrgSnapshot
from storage.uow import UnitOfWork


class Services:
    def __init__(self, uow: UnitOfWork, app: AppContext, org: OrgSnapshot) -> None:
        self.uow, self.app, self.org = uow, app, org

    @property
    def session(self):
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

"""Use cases over one unit of work. Flows reach them as `turn.services`; they hold no SQL themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

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

T = TypeVar("T")


class Lazy(Generic[T]):
    """A service built on first use, then kept on the instance (as functools.cached_property does); the builder
    takes the Services, so mypy checks each constructor call against what it is given."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self.build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, services: Services, owner: type | None = None) -> T:
        value: T = self.build(services)
        services.__dict__[self.name] = value
        return value


class Services:
    def __init__(self, uow: UnitOfWork, app: AppContext, org: OrgSnapshot) -> None:
        self.uow, self.app, self.org = uow, app, org

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    def translator(self, language: str) -> Translator:
        return translator(language)

    # Each service over this unit of work: its session, the app, the org snapshot and the services it needs.
    identities = Lazy(lambda s: Identities(s.session))
    notifier = Lazy(lambda s: Notifier(s.session, s.app, s.org))
    intake = Lazy(lambda s: Intake(s.session, s.app, s.org, s.notifier))
    cases = Lazy(lambda s: CaseQueries(s.session, s.app, s.org))
    evidence = Lazy(lambda s: Evidence(s.session))
    drafts = Lazy(lambda s: Drafts(s.session, s.app, s.org, s.intake, s.evidence))
    privacy = Lazy(lambda s: Privacy(s.session, s.app, s.org))
    officials = Lazy(lambda s: Officials(s.session, s.app, s.org))
    case_actions = Lazy(lambda s: CaseActions(s.session, s.app, s.org, s.notifier, s.officials, s.intake))
    escalations = Lazy(lambda s: Escalations(s.session, s.app))
    digests = Lazy(lambda s: Digests(s.session, s.org))
    dashboard = Lazy(lambda s: DashboardLinks(s.session, s.app))
    work = Lazy(lambda s: Work(s.session, s.app, s.org, s.notifier))
    oversight = Lazy(lambda s: Oversight(s.session, s.app, s.org, s.notifier, s.work))
    following = Lazy(lambda s: Following(s.session, s.app, s.org))
    announcements = Lazy(lambda s: Announcements(s.session, s.app, s.org, s.intake))
    dialogues = Lazy(lambda s: Dialogues(s.session, s.app, s.org, s.intake))

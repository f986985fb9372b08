"""The ordered registry of conversation flows and the commands that work at every step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.channels.model import InboundKind
from bot.i18n import LANGUAGES
from bot.services.action_keys import OFFICIAL_VERBS, parse
from handlers.acknowledge import Acknowledge
from handlers.announcement_reply import AnnouncementReply
from handlers.base import Flow, Turn
from handlers.case_lookup import show_case
from handlers.case_prompts import CasePrompts
from handlers.case_reply import CaseReplyFlow
from handlers.common import help_for, offer_next_steps, show_menu
from handlers.dashboard import open_dashboard
from handlers.dialogue import DialogueFlow
from handlers.digest import DigestFlow
from handlers.follow import FollowFlow, stop_following
from handlers.language import LanguageFlow
from handlers.menu import MenuFlow
from handlers.my_cases import MyCasesFlow
from handlers.officials import OfficialsDesk
from handlers.onboarding import OnboardingFlow
from handlers.privacy import PrivacyFlow
from handlers.rating import RatingFlow
from handlers.reception import show_receptions
from handlers.report import ReportFlow, cancel_with_draft

Command = Callable[[Turn], Awaitable[None]]


class Intercept(Protocol):
    """Asked before anything else: answers to messages another transaction sent (an overdue report's «Đã
    nắm»), and official tools that work from any step (/digest)."""

    async def claims(self, turn: Turn) -> bool: ...

    async def handle(self, turn: Turn) -> None: ...


class Router:
    """Commands first (they work at every step), then the chat's current flow, then the menu."""

    def __init__(self, flows: list[Flow], commands: dict[str, Command], officials: OfficialsDesk | None = None,
                 case_prompts: CasePrompts | None = None, intercepts: Sequence[Intercept] = ()) -> None:
        self.flows = {f.name: f for f in flows}
        self.commands = commands
        self.officials, self.case_prompts = officials, case_prompts
        self.intercepts = list(intercepts)

    async def dispatch(self, turn: Turn) -> None:
        await self._dispatch(turn)
        offer_next_steps(turn)  # every message that ends a step offers what to do next

    async def _dispatch(self, turn: Turn) -> None:
        for intercept in self.intercepts:
            if await intercept.claims(turn):
                await intercept.handle(turn)
                return
        if self.officials is not None and await self.officials.dispatch(turn):
            return  # an invite code from anyone, and every turn of an official's chat
        if await _former_official_pressed(turn):
            turn.say(turn.t("officials.access_ended_press"))  # not the citizen welcome: say what happened
            return
        command = turn.inbound.command
        onboarding = self.flows[OnboardingFlow.name]
        if command == "/start":
            await onboarding.begin(turn)
            return
        switch = turn.inbound.argument.lower() if command == "/lang" else ""
        if switch in LANGUAGES and turn.actor.citizen_id is not None and not turn.actor.consented:
            turn.state.language = switch  # the web page's switch before consent: the greeting in that language
            await onboarding.begin(turn)
            return
        if turn.actor.citizen_id is not None and not turn.actor.consented and command != "/help":
            if turn.state.flow == OnboardingFlow.name:
                await onboarding.handle(turn)
            else:
                await onboarding.begin(turn)
            return
        if self.case_prompts is not None and await self.case_prompts.dispatch(turn):
            return  # a rating, or an answer to an official's question, about one of the citizen's cases
        if command is not None:
            handler = self.commands.get(command)
            if handler is None:
                turn.say(turn.t("error.unknown_command", command=command[:32]))
                await show_menu(turn)
            else:
                await handler(turn)
            return
        flow = self.flows.get(turn.state.flow or "")
        await (flow.handle(turn) if flow is not None else self.flows[MenuFlow.name].handle(turn))


async def _former_official_pressed(turn: Turn) -> bool:
    """An official's button pressed by an account whose official access was revoked."""
    if turn.actor.official_id is not None or turn.inbound.kind is not InboundKind.CHOICE:
        return False
    if parse(turn.inbound.choice, OFFICIAL_VERBS) is None:
        return False
    return await turn.services.officials.was_linked(turn.actor.identity_id)


def build_router() -> Router:
    report, my_cases = ReportFlow(), MyCasesFlow()
    language = LanguageFlow(ask_again={ReportFlow.name: report.ask_again})
    menu = MenuFlow({"report": report, "my": my_cases, "lang": language})
    privacy, follow, dialogue = PrivacyFlow(), FollowFlow(), DialogueFlow()
    flows: list[Flow] = [OnboardingFlow(), menu, report, my_cases, language, privacy, follow, dialogue]
    by_name = {f.name: f for f in flows}

    commands: dict[str, Command] = {
        "/help": help_for,
        "/cancel": cancel_with_draft,  # also drops the chat's unfinished draft
        "/menu": show_menu,
        "/my": by_name[MyCasesFlow.name].begin,
        "/report": by_name[ReportFlow.name].begin,
        "/lang": by_name[LanguageFlow.name].begin,
        "/case": show_case,
        "/privacy": privacy.begin,
        "/follow": follow.begin,  # which area and topics to hear about (consent to be written to)
        "/stop": stop_following,  # ends following in one message
        "/dialogue": dialogue.begin,  # questions in advance for the leaders' dialogue sessions
        "/reception": show_receptions,  # the next fixed citizen-reception days (the law's schedule)
        "/dashboard": open_dashboard,  # officials: a one-time sign-in link to the leaders' dashboard
    }
    officials, rating, reply = OfficialsDesk(), RatingFlow(), CaseReplyFlow()
    digest = DigestFlow()
    flows += [*officials.flows, rating, reply, digest]
    intercepts = (Acknowledge(), digest, AnnouncementReply())
    return Router(flows, commands, officials, CasePrompts(rating, reply), intercepts=intercepts)

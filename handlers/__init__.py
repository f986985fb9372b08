"""The ordered registry of conversation flows and the commands that work at every step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.channels.model import InboundKind
from bot.domain.action_keys import OFFICIAL_VERBS, parse
from bot.i18n import LANGUAGES
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
from handlers.routing import Entry, Middleware, Route, RoutingTable, Then, always

Command = Callable[[Turn], Awaitable[None]]


class Router:
    """The routing table (handlers/routing.py, printed by `tiepdan routes`); every message that ends a step
    then offers what to do next."""

    def __init__(self, entries: Sequence[Entry], flows: Sequence[Flow]) -> None:
        self.table = RoutingTable(entries)
        self.flows = {f.name: f for f in flows}  # every flow a route may hand a turn to (drawn in <module>.mmd)

    async def dispatch(self, turn: Turn) -> None:
        await self.table.take(turn)
        offer_next_steps(turn)

    def describe(self) -> list[str]:
        return self.table.describe()


def _citizen_routes(flows: dict[str, Flow], commands: dict[str, Command]) -> tuple[list[Entry], list[Entry]]:
    """After the officials: the citizen's way in (welcome, consent), their commands, their flow, the menu."""
    onboarding, menu = flows[OnboardingFlow.name], flows[MenuFlow.name]

    async def is_start(turn: Turn) -> bool:
        return turn.inbound.command == "/start"

    async def language_before_consent(turn: Turn) -> bool:
        switch = turn.inbound.argument.lower() if turn.inbound.command == "/lang" else ""
        return switch in LANGUAGES and turn.actor.citizen_id is not None and not turn.actor.consented

    async def greet_in_language(turn: Turn) -> None:
        turn.state.language = turn.inbound.argument.lower()  # the web page's switch: the greeting in that language
        await onboarding.begin(turn)

    async def consent(turn: Turn, then: Then) -> None:
        if turn.actor.citizen_id is None or turn.actor.consented or turn.inbound.command == "/help":
            await then(turn)
        elif turn.state.flow == OnboardingFlow.name:
            await onboarding.handle(turn)
        else:
            await onboarding.begin(turn)

    async def is_command(turn: Turn) -> bool:
        return turn.inbound.command is not None

    async def run_command(turn: Turn) -> None:
        command = turn.inbound.command or ""
        handler = commands.get(command)
        if handler is None:
            turn.say(turn.t("error.unknown_command", command=command[:32]))
            await show_menu(turn)
        else:
            await handler(turn)

    async def in_flow(turn: Turn) -> bool:
        return (turn.state.flow or "") in flows

    async def continue_flow(turn: Turn) -> None:
        await flows[turn.state.flow or ""].handle(turn)

    return [
        Route("start", "/start: the welcome and the privacy notice, from the beginning", is_start, onboarding.begin),
        Route("language before consent", "/lang vi|en before consent: the welcome in that language",
              language_before_consent, greet_in_language),
        Middleware("consent", "a citizen who has not agreed to the privacy notice gets it (only /help passes)",
                   consent),
    ], [
        Route("commands", "a command (works at every step); an unknown one is named, with the menu", is_command,
              run_command, commands=tuple(commands)),
        Route("current flow", "the flow in progress takes the message", in_flow, continue_flow),
        Route("menu", "otherwise, the menu", always, menu.handle),
    ]


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
    acknowledge, announcement_reply = Acknowledge(), AnnouncementReply()
    by_name = {f.name: f for f in flows}
    way_in, citizen_own = _citizen_routes(by_name, commands)
    return Router([
        # Intercepts: answers to messages another transaction sent, and tools that work from any step.
        Route("acknowledge", "«Đã nắm» on an overdue report or escalation, from any step", acknowledge.claims,
              acknowledge.handle),
        Route("digest", "/digest and its period question, from any step (officials)", digest.claims, digest.handle),
        Route("announcement reply", "a reply to an announcement: a question to the sending unit",
              announcement_reply.claims, announcement_reply.handle),
        Route("officials", "invite codes from anyone; every turn of an official's chat", officials.table.claims_any,
              officials.table.take_turn, sub=officials.table.entries),
        Route("former official", "an official's button pressed after the access was revoked: say so",
              _former_official_pressed, _access_ended),
        *way_in,
        *CasePrompts(rating, reply).routes(),
        *citizen_own,
    ], flows)


async def _access_ended(turn: Turn) -> None:
    turn.say(turn.t("officials.access_ended_press"))  # not the citizen welcome: say what happened

"""The ordered registry of conversation flows and the commands that work at every step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.base import Flow, Turn
from handlers.case_lookup import show_case
from handlers.common import cancel, help_for, show_menu
from handlers.language import LanguageFlow
from handlers.menu import MenuFlow
from handlers.my_cases import MyCasesFlow
from handlers.onboarding import OnboardingFlow
from handlers.report import ReportFlow

Command = Callable[[Turn], Awaitable[None]]


class Router:
    """Commands first (they work at every step), then the chat's current flow, then the menu."""

    def __init__(self, flows: list[Flow], commands: dict[str, Command]) -> None:
        self.flows = {f.name: f for f in flows}
        self.commands = commands

    async def dispatch(self, turn: Turn) -> None:
        command = turn.inbound.command
        onboarding = self.flows[OnboardingFlow.name]
        if command == "/start":
            await onboarding.begin(turn)
            return
        if turn.actor.citizen_id is not None and not turn.actor.consented and command != "/help":
            if turn.state.flow == OnboardingFlow.name:
                await onboarding.handle(turn)
            else:
                await onboarding.begin(turn)
            return
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


def build_router() -> Router:
    report, my_cases, language = ReportFlow(), MyCasesFlow(), LanguageFlow()
    menu = MenuFlow({"report": report, "my": my_cases, "lang": language})
    flows: list[Flow] = [OnboardingFlow(), menu, report, my_cases, language]
    by_name = {f.name: f for f in flows}

    commands: dict[str, Command] = {
        "/help": help_for,
        "/cancel": cancel,
        "/menu": show_menu,
        "/my": by_name[MyCasesFlow.name].begin,
        "/report": by_name[ReportFlow.name].begin,
        "/lang": by_name[LanguageFlow.name].begin,
        "/case": show_case,
    }
    return Router(flows, commands)

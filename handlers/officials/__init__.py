"""Everything an official's chat does, and invite codes from anyone.

The router hands each turn here first. An invite code links the account (any sender); an official's turn is
handled here whole: commands, then a choice about a case, then the flow in progress, then the desk menu.

A choice about a case carries its key (`acc:123`) and comes back as a button press, a typed number or a label
(see handlers/case_keys.py). The key is untrusted: the service re-checks the official against the case as it
is now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.channels.model import Choice, InboundKind
from bot.domain.action_keys import OFFICIAL_VERBS, ActionKey, Verb
from bot.domain.authz import Refused
from bot.services.notices import action_choices
from bot.services.officials import looks_like_code
from handlers.base import OFFERED, Flow, Turn
from handlers.case_keys import chosen_key
from handlers.dashboard import open_dashboard
from handlers.leaders import LeadersDesk
from handlers.officials.announce import AnnounceFlow
from handlers.officials.answer import AnswerFlow
from handlers.officials.ask import AskFlow
from handlers.officials.assign import AssignFlow
from handlers.officials.common import done, say_refusal
from handlers.officials.desk import DeskFlow
from handlers.officials.dialogue_session import DialogueDeskFlow
from handlers.officials.extend import ExtendFlow
from handlers.officials.invite import InviteFlow
from handlers.officials.link import LinkFlow
from handlers.officials.questions import show_questions
from handlers.officials.recategorise import RecategoriseFlow
from handlers.officials.record import RecordFlow
from handlers.officials.reject import RejectFlow
from handlers.officials.transfer import TransferFlow
from handlers.routing import Entry, Route, RoutingTable, always

ACTION = "official_action"  # what the case-action route found, for its handler

Command = Callable[[Turn], Awaitable[None]]
MAX_ARGUMENT = 64


async def _is_command(turn: Turn) -> bool:
    return turn.inbound.command is not None


async def _pressed_stale(turn: Turn) -> bool:
    return turn.stale_choice


class OfficialsDesk:
    def __init__(self) -> None:
        self.desk = DeskFlow()
        self.link = LinkFlow(self.desk.show_menu)
        self.ask, self.transfer, self.extend = AskFlow(), TransferFlow(), ExtendFlow()
        self.answer, self.reject = AnswerFlow(), RejectFlow()
        self.record, self.invite = RecordFlow(), InviteFlow()
        self.recategorise, self.announce = RecategoriseFlow(), AnnounceFlow()
        self.assign, self.dialogue = AssignFlow(), DialogueDeskFlow()
        self.desk.targets = {"record": self.record.begin, "invite": self.invite.begin,
                             "dialogue": self.dialogue.begin, "announce": self.announce.begin}
        self.flows: list[Flow] = [self.desk, self.link, self.ask, self.transfer, self.extend, self.answer,
                                  self.reject, self.record, self.invite, self.recategorise, self.assign,
                                  self.announce, self.dialogue, self.dialogue.schedule]
        self.leaders = LeadersDesk()  # leaders' own work: tasks, programmes, oversight
        self.flows += self.leaders.flows
        self._by_name = {f.name: f for f in self.flows}
        self._open_work = {f.name for f in (self.ask, self.transfer, self.extend, self.answer, self.reject)}
        self._starts = {Verb.ASK: self.ask, Verb.TRANSFER: self.transfer, Verb.EXTEND: self.extend,
                        Verb.ANSWER: self.answer, Verb.REJECT: self.reject, Verb.ASSIGN: self.assign}
        self.commands: dict[str, Command] = {
            "/start": self._welcome, "/menu": self.desk.show_menu, "/help": self._help,
            "/cancel": self._cancel, "/queue": self._queue, "/case": self._case, "/record": self.record.begin,
            "/invite": self.invite.begin, "/lang": self._language, "/dashboard": open_dashboard,
            "/category": self._category,
            **self.leaders.commands,
            "/announce": self.announce.begin,
            "/questions": show_questions,  # the office: coming dialogue sessions, their questions ranked
            "/dialogue": self.dialogue.begin,  # the office: schedule a session, rank, assign, answer, close
        }
        self._official_table = RoutingTable(self._official_routes())
        self.table = RoutingTable(self.routes())

    # --- routing (handlers/routing.py) ----------------------------------------------------------------------

    def routes(self) -> list[Entry]:
        """The officials' part of the routing table: invite codes from anyone, then an official's every turn."""
        return [
            Route("invite code", "an invite code, typed by anyone, links the account", self._is_code,
                  self._link_code),
            Route("linking", "the linking in progress (a shared phone number)", self._is_linking, self.link.handle),
            Route("official's chat", "every turn of a linked official's chat", self._is_official,
                  self._official_table.take_turn, sub=self._official_table.entries),
        ]

    def _official_routes(self) -> list[Entry]:
        return [
            Route("commands", "an official's command; an unknown one is named, with the work left open",
                  _is_command, self._command, commands=tuple(self.commands)),
            Route("case action", "a choice about a case (button, number or label): re-authorised as it is now",
                  self._chose_action, self._act_on_choice),
            Route("stale button", "a button this chat was not offered and that names no case",
                  _pressed_stale, self._stale),
            Route("current flow", "the action in progress", self._in_flow, self._continue_flow),
            Route("desk menu", "otherwise, the official's menu", always, self.desk.show_menu),
        ]

    async def dispatch(self, turn: Turn) -> bool:
        """True when this turn was an official's (or an invite code): the router stops here."""
        return await self.table.take(turn)

    async def _is_code(self, turn: Turn) -> bool:
        return turn.inbound.kind is InboundKind.TEXT and looks_like_code(turn.inbound.text) is not None

    async def _link_code(self, turn: Turn) -> None:
        code = looks_like_code(turn.inbound.text)
        assert code is not None
        await self.link.start(turn, code)

    async def _is_linking(self, turn: Turn) -> bool:
        return turn.state.flow == self.link.name

    async def _is_official(self, turn: Turn) -> bool:
        return turn.actor.official_id is not None

    def _offered(self, turn: Turn) -> list[Choice]:
        return [Choice(k, label) for k, label in turn.state.data.get(OFFERED) or []]

    async def _command(self, turn: Turn) -> None:
        command = turn.inbound.command
        handler = self.commands.get(command or "")
        if handler is not None:
            await handler(turn)
            return
        offered = self._offered(turn)
        turn.say(turn.t("officials.unknown_command", command=(command or "")[:32]))
        if not self._remind(turn, offered):
            await self.desk.show_menu(turn)

    async def _chose_action(self, turn: Turn) -> bool:
        turn.found[ACTION] = await chosen_key(turn, OFFICIAL_VERBS)
        return turn.found[ACTION] is not None

    async def _act_on_choice(self, turn: Turn) -> None:
        await self.act(turn, turn.found[ACTION])

    async def _stale(self, turn: Turn) -> None:
        offered = self._offered(turn)
        turn.say(turn.t("officials.stale_button"))
        if not self._remind(turn, offered):
            await self.desk.show_menu(turn)

    async def _in_flow(self, turn: Turn) -> bool:
        return (turn.state.flow or "") in self._by_name

    async def _continue_flow(self, turn: Turn) -> None:
        await self._by_name[turn.state.flow or ""].handle(turn)

    async def act(self, turn: Turn, action: ActionKey) -> None:
        """One case action from a card, a notice or a case view; every one re-authorised by the service."""
        offered_before = list(turn.state.data.get(OFFERED) or [])
        if action.verb in self._starts:  # once allowed, it takes over from whatever was open
            took_over = await self._starts[action.verb].start(turn, action.case_id)
        else:
            took_over = await self._instant(turn, action)
        if not took_over:  # what was open stays open
            if not turn.state.data.get(OFFERED):
                turn.state.data[OFFERED] = offered_before  # a refusal is not a question: keep the last one's
            self._remind(turn, [Choice(k, label) for k, label in offered_before])

    async def _instant(self, turn: Turn, action: ActionKey) -> bool:
        """View, take, or decide an extension: done at once, no question asked; the flow left open (if any)
        stays open (False)."""
        actions = turn.services.case_actions
        official = turn.actor.official_id
        try:
            if action.verb is Verb.VIEW:
                brief = await actions.check(official, action.case_id, Verb.VIEW)
                await self.desk.show_case(turn, brief.code)
            elif action.verb is Verb.ACCEPT:
                taken = await actions.accept(official, action.case_id)
                due = turn.t.due(taken.due_at, turn.services.app.tz) if taken.due_at else turn.t("common.none")
                turn.say(turn.t("officials.accepted", code=taken.code, due=due),
                         action_choices(turn.t, taken.case_id, taken.actions))
            else:
                approve = action.verb is Verb.APPROVE_EXTENSION
                result = await actions.decide_extension(official, action.case_id, approve)
                due = turn.t.due(result.new_due, turn.services.app.tz)
                turn.say(turn.t("officials.extension.you_approved", code=result.code, due=due) if approve
                         else turn.t("officials.extension.you_declined", code=result.code))
        except Refused as refusal:
            say_refusal(turn, refusal)
        return False

    def _remind(self, turn: Turn, offered: list[Choice]) -> bool:
        """Work left open (an answer half written) stays open: say so, with the question's choices again."""
        open_case = turn.state.data.get("code") if turn.state.flow in self._open_work else None
        if open_case:
            turn.say(turn.t("officials.still_open", code=open_case), offered)
        return bool(open_case)

    # --- commands --------------------------------------------------------------------------------------------

    async def _help(self, turn: Turn) -> None:
        await self.leaders.say_help(turn)  # leaders' work, for the roles that have it
        await self.desk.show_help(turn)

    async def _welcome(self, turn: Turn) -> None:
        turn.say(turn.t("officials.welcome_back"))
        await self.desk.show_menu(turn)

    async def _cancel(self, turn: Turn) -> None:
        had_flow = turn.state.flow not in (None, self.desk.name)
        done(turn)
        turn.say(turn.t("common.cancelled" if had_flow else "common.nothing_to_cancel"))
        await self.desk.show_menu(turn)

    async def _queue(self, turn: Turn) -> None:
        done(turn)
        await self.desk.show_queue(turn, 0)

    async def _case(self, turn: Turn) -> None:
        argument = turn.inbound.argument
        if not argument or len(argument) > MAX_ARGUMENT or len(argument.split()) != 1:
            turn.say(turn.t("officials.case.usage"))
            return
        done(turn)
        await self.desk.show_case(turn, argument)

    async def _category(self, turn: Turn) -> None:
        argument = turn.inbound.argument
        if not argument or len(argument) > MAX_ARGUMENT or len(argument.split()) != 1:
            turn.say(turn.t("officials.category.usage"))
            return
        await self.recategorise.start(turn, argument)

    async def _language(self, turn: Turn) -> None:
        done(turn)
        self.desk.ask_language(turn)

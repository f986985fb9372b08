"""Reading which choice about a case a message made, however it came back.

Messages about a case (an official's card, a citizen's rating prompt) are written from another chat's
transaction, so this chat's flow did not offer their choices. Their keys name the case (`acc:123`, `rs:45`):
- a button press brings the raw key back (the engine calls it stale; it is still ours to check);
- a typed number or label means a choice of the last message with choices this chat received, when that
  message was about a case - it is the one the person is looking at.
Keys are untrusted: whoever acts on one re-checks it against the case as it is now.
"""

from __future__ import annotations

from bot.channels.model import InboundKind
from bot.domain.action_keys import ActionKey, Verb, parse
from bot.domain.matching import parse_choice
from handlers.base import OFFERED, Turn


async def chosen_key(turn: Turn, verbs: frozenset[Verb]) -> ActionKey | None:
    if turn.inbound.kind is InboundKind.CHOICE:
        return parse(turn.inbound.choice, verbs)
    if turn.inbound.kind is not InboundKind.TEXT or turn.inbound.command:
        return None
    # The moments after a citizen's answer (handlers/case_reply.py, "more") still read a typed number as a
    # choice of the last prompt: only a step that asked for text takes it as it is.
    in_text_step = (turn.state.flow is not None and turn.state.step != "more"
                    and not turn.state.data.get(OFFERED))
    if not in_text_step:  # a question waiting for typed text takes the text as it is
        prompt = await turn.services.notifier.latest_prompt(turn.inbound.channel, turn.inbound.chat_id)
        if prompt:
            return parse(parse_choice(turn.inbound.text, prompt), verbs)
    return parse(turn.choice, verbs)

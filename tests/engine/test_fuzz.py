"""Fuzz: mutated Telegram and Zalo updates and callback data through the real webhooks and the engine.

Hypothesis mutates recorded update shapes (texts, contacts, photos, button presses, Zalo messages): values
replaced by other JSON, keys dropped or added, texts and callback data rewritten. Every payload goes through
POST /telegram/webhook or /zalo/webhook of the real web application, then through the consumer. Nothing may
answer 500 or raise; what the edge refuses leaves no trace; at least half of the payloads reach the flow.
"""

from __future__ import annotations

import copy
import logging
import os
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.container import Container
from storage.models import Conversation, InboxItem
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import fake_telegram, settings_for

# The 10,000 pass (TIEPDAN_FUZZ_PAYLOADS=10000: about 3.5 min on SQLite on a busy 2-core machine);
# by default each backend gets a share that keeps `make test` within its budget.
PAYLOADS = int(os.environ.get("TIEPDAN_FUZZ_PAYLOADS", "1500"))
BATCH = 500  # payloads between two runs of the consumer
TG_SECRET = "fuzz-Webhook_secret-1"
ZALO_SECRET = "fuzz-zalo-Webhook-2"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TEXTS = ["/start", "1", "/report", "Đèn đường hỏng cả tuần nay ở ngõ 5 phố Lê Lợi.", "gui", "/my", "không"]
CALLBACKS = ["agree", "report", "rac_thai", "send", "menu", "lang:vi", "case:PA-2026-000001"]


def _telegram_seeds() -> list[dict[str, Any]]:
    user = {"id": 1, "is_bot": False, "first_name": "An", "language_code": "vi"}
    chat = {"id": 1, "type": "private", "first_name": "An"}
    message = {"message_id": 1, "date": 1772416800, "chat": chat, "from": user}
    photo = [{"file_id": "p1s", "file_unique_id": "up1s", "width": 90, "height": 60, "file_size": 100},
             {"file_id": "p1", "file_unique_id": "up1", "width": 800, "height": 600, "file_size": 900}]
    seeds = [{"update_id": 1, "message": {**message, "text": t}} for t in TEXTS]
    seeds.append({"update_id": 1, "message": {**message, "contact": {"phone_number": "+84912345678",
                                                                      "first_name": "An", "user_id": 1}}})
    seeds.append({"update_id": 1, "message": {**message, "photo": photo, "caption": "ảnh hiện trường"}})
    seeds.append({"update_id": 1, "message": {**message, "location": {"latitude": 21.03, "longitude": 105.85}}})
    seeds += [{"update_id": 1, "callback_query": {"id": "cq1", "chat_instance": "ci", "data": d, "from": user,
                                                  "message": {"message_id": 1, "date": 1772416800, "chat": chat}}}
              for d in CALLBACKS]
    return seeds


def _zalo_seeds() -> list[dict[str, Any]]:
    def message(event: str, **content: Any) -> dict[str, Any]:
        return {"event_name": event, "message": {
            "message_id": "in1", "date": 1772416800000, "chat": {"id": "u1", "chat_type": "PRIVATE"},
            "from": {"id": "u1", "display_name": "Nguyễn Văn An", "is_bot": False}, **content}}

    seeds = [message("message.text.received", text=t) for t in TEXTS]
    seeds.append(message("message.image.received", photo="https://example.invalid/p.jpg", caption="ảnh"))
    seeds.append({"ok": True, "result": message("message.text.received", text="/start")})  # the wrapped shape
    return seeds


SEEDS = [("telegram", s) for s in _telegram_seeds()] + [("zalo", s) for s in _zalo_seeds()]
PER_EXAMPLE = 25  # mutants drawn from one example's random source: hypothesis's overhead is per example
ODD_TEXTS = ["", " ", "/", "/start@TiepDanTestBot extra", "0", "-1", "99999999999999999999", "1.5", "\u0000",
             "\u202e\u200b", "🙂" * 50, "x" * 5000, "<b>bold</b>", "' OR 1=1 --", "null", "gửi", "GUI", "Không"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _parent(payload: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        payload = payload[step]
    return payload


def _junk(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value: the wrong type where a field is expected, huge numbers, odd strings, nesting."""
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, -(2**63), 2**70, rng.randint(-10**6, 10**6)])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, 3.14])
    if kind in (4, 5):
        return rng.choice(ODD_TEXTS) if rng.random() < 0.5 else _text(rng)
    if kind == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {_text(rng, 8): _junk(rng, depth + 1) for _ in range(rng.randrange(3))}


def _text(rng: random.Random, longest: int = 60) -> str:
    alphabet = "abcxyz019 /@_-đĐăâêôơưạảãáàỹ\n\t\"'{}[]🙂\u200b"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(longest + 1)))


def mutate(rng: random.Random, seed: dict[str, Any]) -> dict[str, Any]:
    """A recorded update with 0-3 mutations: texts and button data rewritten (still valid, mostly), values
    replaced by other JSON, keys dropped or added."""
    payload = copy.deepcopy(seed)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        paths = _paths(payload)
        if not paths:
            break
        op = rng.choice(("text", "text", "text", "replace", "drop", "add"))
        path = rng.choice(paths)
        parent = _parent(payload, path)
        if op == "text":  # a citizen's words or a button's data: anything at all, still a string
            texts = [p for p in paths if p[-1] in ("text", "data", "caption")]
            if texts:
                target = rng.choice(texts)
                _parent(payload, target)[target[-1]] = rng.choice(ODD_TEXTS + CALLBACKS + TEXTS + [_text(rng, 300)])
        elif op == "replace":
            parent[path[-1]] = _junk(rng)
        elif op == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[_text(rng, 12)] = _junk(rng)
    return payload


def _corpus(count: int) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []

    @settings(max_examples=max(1, count // PER_EXAMPLE), derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.randoms(use_true_random=True))
    def collect(rng: random.Random) -> None:
        for _ in range(PER_EXAMPLE):
            channel, seed = rng.choice(SEEDS)
            out.append((channel, mutate(rng, seed)))

    collect()
    return out[:count]


def _number(channel: str, payload: dict[str, Any], n: int) -> None:
    """A fresh update id and chat for every payload (before the mutations see them, so they may break them)."""
    if channel == "telegram":
        if "update_id" in payload:
            payload["update_id"] = n
        for key in ("message", "callback_query"):
            part = payload.get(key)
            if isinstance(part, dict):
                for holder in (part, part.get("message")):
                    if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                        holder["chat"]["id"] = 900000 + n % 400
                if isinstance(part.get("from"), dict):
                    part["from"]["id"] = 900000 + n % 400
    else:
        inner = payload.get("result", payload)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, dict):
            message["message_id"] = f"in{n}"


async def test_mutated_updates_never_break_the_edge_or_the_engine(db_url: str, backend: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    count = PAYLOADS
    corpus = _corpus(count)
    assert len(corpus) >= 0.9 * count, len(corpus)
    clock = FakeClock(START)
    zalo = await FakeZaloBot().start()
    caplog.set_level(logging.ERROR)
    async with fake_telegram() as tg:
        container = Container(settings_for(
            db_url, tg, webhook_secret=TG_SECRET, zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url,
            zalo_webhook_secret=ZALO_SECRET), clock=clock)
        await container.start_channels()
        client = TestClient(TestServer(container.web_app()))
        await client.start_server()
        statuses: dict[int, int] = {}
        accepted: list[tuple[str, dict[str, Any]]] = []
        try:
            for n, (channel, payload) in enumerate(corpus, start=1):
                _number(channel, payload, n)
                if channel == "telegram":
                    path, headers = "/telegram/webhook", {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
                else:
                    path, headers = "/zalo/webhook", {"X-Bot-Api-Secret-Token": ZALO_SECRET}
                response = await client.post(path, json=payload, headers=headers)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                assert response.status < 500, (response.status, payload)
                if response.status == 200:
                    accepted.append((channel, payload))
                if n % BATCH == 0 or n == len(corpus):
                    await container.consumer.drain()
                    clock.advance(seconds=120)  # past the flood window, as if citizens paused
            async with container.db.unit_of_work(readonly=True) as uow:
                s = uow.session
                inbox = (await s.execute(select(InboxItem.status, InboxItem.attempts, func.count())
                                         .group_by(InboxItem.status, InboxItem.attempts))).all()
                troubled = (await s.execute(select(InboxItem.error, InboxItem.payload)
                                            .where(InboxItem.attempts > 0))).all()
                conversations = set((await s.execute(select(Conversation.channel, Conversation.chat_id))).all())
        finally:
            await client.close()
            await container.stop()
            await zalo.stop()

    reached, chats = 0, set()
    for channel, payload in accepted:
        inbound = container.channels.get(channel).to_inbound(payload)
        if inbound is not None:
            reached += 1
            chats.add((inbound.channel, inbound.chat_id))
    print(f"\n[fuzz] {backend}: {len(corpus)} payloads, responses {statuses}, {reached} reached the flow")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert {(status, attempts) for status, attempts, _ in inbox} <= {("done", 0)}, troubled[:5]  # nothing failed
    stored = sum(c for *_, c in inbox)
    assert stored <= len(accepted)  # a refused payload leaves no row
    assert conversations <= chats  # and a payload the flow cannot read changes no conversation
    assert reached >= len(corpus) / 2, (reached, len(corpus))

"""Logging set-up: one line per record, and no secret ever reaches a log (tokens sit in Bot API URLs).

Nor does personal data: chat and user ids are logged as keyed hashes (`hashed_id`: the same id gives the same
hash, so an operator can follow one chat, but the hash does not give the id back without the key), and an
exception is logged as its type and a correlation id, with its traceback's frames but never its message (a
database error's message carries the statement's parameters: names, phone numbers, texts).
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
import secrets as random
import sys
import traceback
from urllib.parse import quote

MASK = "***"
_ID_KEY = [random.token_bytes(32)]  # replaced by setup_logging's key, so hashes are stable across restarts
CORRELATION: contextvars.ContextVar[str] = contextvars.ContextVar("correlation", default="-")


def hashed_id(value: object) -> str:
    """A chat or user id as it may appear in a log line."""
    digest = hmac.new(_ID_KEY[0], str(value).encode(), hashlib.sha256).hexdigest()
    return f"#{digest[:12]}"


def new_correlation() -> str:
    """A fresh correlation id for the work in hand (a request, a job); log lines and errors carry it."""
    value = random.token_hex(6)
    CORRELATION.set(value)
    return value


class SafeExceptions(logging.Filter):
    """Every record gets a correlation id; an exception keeps its frames and type, never its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        cid = CORRELATION.get()
        if record.exc_info and record.exc_info[1] is not None:
            if cid == "-":
                cid = random.token_hex(6)
            record.exc_text = f"[error {cid}]\n" + safe_traceback(record.exc_info[1])
            record.exc_info = None
        record.cid = cid
        return True


def safe_traceback(exc: BaseException) -> str:
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
                  for f in traceback.extract_tb(current.__traceback__)]  # no source lines: they may hold values
        lines[:0] = ["Traceback (most recent call last):\n", *frames,
                     f"{kind.__module__}.{kind.__qualname__} (message withheld)\n"]
        current = current.__cause__ or current.__context__
    return "".join(lines).rstrip("\n")
PERSONAL_DATA_LOGGERS = ("httpx", "httpcore", "telegram", "aiosqlite", "asyncpg", "sqlalchemy.engine",
                         "PIL")  # Pillow logs EXIF values (a name, GPS) at DEBUG


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Each secret as typed and as it appears percent-encoded in a URL (a token's ":" becomes "%3A").
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote(s))}
        self.secrets = sorted(forms, key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self._mask(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str, secrets: list[str], *, id_key: bytes | None = None) -> None:
    if id_key:
        _ID_KEY[0] = hmac.new(id_key, b"log ids", hashlib.sha256).digest()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(cid)s]: %(message)s"))
    handler.addFilter(SafeExceptions())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that log request URLs (the bot token), chat ids or SQL parameters stay quiet even at DEBUG:
    # a denouncer's chat id must never reach a log line, whatever the level.
    for name in PERSONAL_DATA_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

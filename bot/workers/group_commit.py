"""Group commit: the steps of several chats that are ready together, run in one transaction.

Each worker of a pool asks for its chat's step (`ask`) and waits for the outcome. A batch starts as soon as
fewer than `parallel` batches run: it takes every step asked for by then (up to `size`), and never waits for
more - the steps asked while it runs make the next batch. So a step alone costs what it did before, and under a
crowd one BEGIN/COMMIT carries several chats' steps. A chat is asked for by one worker at a time (the pool's
rule), so a batch holds at most one step of a chat and a chat's steps keep their order.

`run` gets the keys of one batch and returns one outcome per key, in the same order. If it raises, nothing of
the batch was committed: an error `split` accepts (one that a step may have caused, not an outage) runs the
batch's steps again one at a time, so a step that breaks its batch fails alone and the others go on; any other
error goes to every step of the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Outcome = TypeVar("Outcome")


class GroupCommit(Generic[Key, Outcome]):
    def __init__(self, run: Callable[[list[Key]], Awaitable[Sequence[Outcome]]], *, size: int,
                 parallel: int = 1, split: Callable[[Exception], bool] = lambda _exc: True) -> None:
        if size < 1 or parallel < 1:
            raise ValueError("a batch holds one step or more, and one batch at least runs at a time")
        self._run, self.size, self.parallel, self._split = run, size, parallel, split
        self._asked: list[tuple[Key, asyncio.Future[Outcome]]] = []
        self._batches: set[asyncio.Task[None]] = set()
        self._gathering = False  # a batch is started and has not taken its steps yet
        self.committed = 0  # batches run to their end (tests and figures)
        self.largest = 0

    async def ask(self, key: Key) -> Outcome:
        """Run `key`'s step in the next batch; its outcome once that batch has committed."""
        outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._asked.append((key, outcome))
        self._start()
        return await outcome

    def _start(self) -> None:
        if self._asked and not self._gathering and len(self._batches) < self.parallel:
            # The batch takes its steps when it first runs, after the tasks ready now have asked: what is ready
            # together goes together, at no added wait.
            self._gathering = True
            task = asyncio.create_task(self._batch(), name="group-commit")
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _batch(self) -> None:
        taken, self._asked = self._asked[:self.size], self._asked[self.size:]
        self._gathering = False
        taken = [(key, future) for key, future in taken if not future.cancelled()]
        try:
            if taken:
                await self._one_batch(taken)
        finally:
            # A step asked meanwhile starts the next batch; the finished task leaves the set on its callback,
            # so count it out here already.
            self._batches.discard(asyncio.current_task())
            self._start()

    async def _one_batch(self, taken: list[tuple[Key, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._run([key for key, _ in taken])
        except asyncio.CancelledError:
            for _, future in taken:
                future.cancel()
            raise
        except Exception as exc:
            if len(taken) > 1 and self._split(exc):
                for step in taken:
                    await self._one_batch([step])
                return
            for _, future in taken:
                if not future.done():
                    future.set_exception(exc)
            return
        self.committed += 1
        self.largest = max(self.largest, len(taken))
        for (_, future), outcome in zip(taken, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)

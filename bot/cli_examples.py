"""`tiepdan examples list|remove`: what officials taught the matcher by re-categorising cases.

    tiepdan examples list [--category dat_dai]
    tiepdan examples remove 12 13

The matcher uses the examples from the next read of the organisation snapshot on (a running bot re-reads it
within seconds of a change); removing one takes the lesson back the same way.
"""

from __future__ import annotations

import argparse

from bot.config import Settings
from bot.services.examples import list_examples, remove_examples
from storage.uow import Database

EXCERPT = 70


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    examples = sub.add_parser("examples", help="the matcher's examples taught by officials")
    examples_sub = examples.add_subparsers(dest="examples_command", required=True)
    listing = examples_sub.add_parser("list", help="every example: id, category, from which case, the text")
    listing.add_argument("--category", help="only this category's code")
    remove = examples_sub.add_parser("remove", help="take examples back (the matcher forgets them)")
    remove.add_argument("ids", nargs="+", type=int)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    try:
        if args.examples_command == "list":
            async with db.unit_of_work(readonly=True) as uow:
                found = await list_examples(uow.session, args.category)
            for e in found:
                text = " ".join(e.text.split())
                text = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
                print(f"{e.id:>5}  {e.category:<14} {e.reason:<13} {e.case_code or '-':<16} "
                      f"(was {e.previous or '-'})  {text}")
            print(f"{len(found)} example(s)")
            return 0
        async with db.unit_of_work() as uow:
            removed = await remove_examples(uow.session, args.ids)
            await uow.commit()
        missing = sorted(set(args.ids) - set(removed))
        print(f"removed {len(removed)} example(s)" + (f"; no example {missing}" if missing else ""))
        return 0 if not missing else 1
    finally:
        await db.dispose()

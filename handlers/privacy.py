"""/privacy: the citizen's rights over their data - see it, export it, correct the phone number, withdraw
consent for optional data, delete the account (the cases stay, under a pseudonym)."""

from __future__ import annotations

from bot.channels.model import Choice, InboundKind
from bot.domain.intake import normalise_phone
from bot.domain.matching import parse_yes_no
from bot.i18n import N_
from bot.services.privacy import Overview
from handlers.base import DeclaredFlow, Turn
from handlers.common import citizen_or_menu, citizens_only, show_menu

ACTIONS = ("see", "export", "phone", "withdraw", "delete", "back")


class PrivacyFlow(DeclaredFlow, name="privacy", states=("choose", "phone", "delete_confirm")):
    async def begin(self, turn: Turn) -> None:
        if not citizens_only(turn, N_("privacy.citizens_only")):
            return
        turn.goto(self.name, "choose")
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        t = turn.t
        turn.say(t("privacy.prompt"), [Choice(key, t(f"privacy.{key}")) for key in ACTIONS])

    async def handle(self, turn: Turn) -> None:
        citizen_id = await citizen_or_menu(turn)
        if citizen_id is None:
            return
        step = turn.state.step
        if step == "phone":
            await self._on_phone(turn, citizen_id)
        elif step == "delete_confirm":
            await self._on_delete(turn, citizen_id)
        else:
            await self._on_choose(turn, citizen_id)

    async def _on_choose(self, turn: Turn, citizen_id: int) -> None:
        t, privacy = turn.t, turn.services.privacy
        if turn.choice == "see":
            seen = await privacy.overview(citizen_id)
            # The phone is shown, then masked at rest (outbox, web transcript) like a PIN.
            turn.say(self._overview(turn, seen), secrets=(seen.phone,) if seen.phone else ())
        elif turn.choice == "export":
            attachment = await privacy.export(citizen_id, turn.now)
            turn.say(t("privacy.exported"), attachment_ids=(attachment,))
        elif turn.choice == "phone":
            turn.goto(self.name, "phone")
            self._ask_phone(turn, (await privacy.overview(citizen_id)).phone)
            return
        elif turn.choice == "withdraw":
            withdrawn = await privacy.withdraw_optional(citizen_id, turn.now)
            turn.say(t("privacy.withdrawn" if withdrawn else "privacy.nothing_to_withdraw"))
        elif turn.choice == "delete":
            turn.goto(self.name, "delete_confirm")
            self._ask_delete(turn, (await privacy.overview(citizen_id)).pseudonym)
            return
        elif turn.choice == "back":
            turn.finish()
            await show_menu(turn)
            return
        else:
            turn.say(t("common.choose_from_list"))
        self._ask(turn)

    def _overview(self, turn: Turn, seen: Overview) -> str:
        t, tz = turn.t, turn.services.app.tz
        consents = "\n".join(
            t("privacy.consent_line", purpose=t(f"privacy.purpose.{c.purpose}"), version=c.version,
              at=t.moment(c.granted_at, tz))
            + (t("privacy.consent_withdrawn", at=t.moment(c.withdrawn_at, tz)) if c.withdrawn_at else "")
            for c in seen.consents
        ) or t("common.none")
        return t("privacy.overview", pseudonym=seen.pseudonym, phone=seen.phone or t("common.none"),
                 channels=", ".join(seen.channels) or t("common.none"), consents=consents,
                 cases=", ".join(seen.case_codes) or t("common.none"), drafts=seen.drafts)

    def _ask_phone(self, turn: Turn, current: str | None) -> None:
        t = turn.t
        turn.say(t("privacy.ask_phone", current=current or t("common.none")),
                 [Choice("remove", t("privacy.phone_remove")), Choice("back", t("privacy.phone_back"))],
                 request="contact", request_label=t("privacy.share_phone"), secrets=(current,) if current else ())

    async def _on_phone(self, turn: Turn, citizen_id: int) -> None:
        t, privacy = turn.t, turn.services.privacy
        if turn.choice == "back":
            turn.goto(self.name, "choose")
            self._ask(turn)
            return
        if turn.choice == "remove":
            await privacy.withdraw_optional(citizen_id, turn.now)
            turn.say(t("privacy.phone_removed"))
            turn.goto(self.name, "choose")
            self._ask(turn)
            return
        given = turn.inbound.phone if turn.inbound.kind is InboundKind.CONTACT else turn.text
        phone = normalise_phone(given or "")
        if phone is None:
            turn.say(t("privacy.phone_invalid"))
            self._ask_phone(turn, (await privacy.overview(citizen_id)).phone)
            return
        await privacy.set_phone(citizen_id, phone, turn.now)
        turn.say(t("privacy.phone_saved", phone=phone), secrets=(phone,))  # masked at rest once shown
        turn.goto(self.name, "choose")
        self._ask(turn)

    def _ask_delete(self, turn: Turn, pseudonym: str) -> None:
        t = turn.t
        turn.say(t("privacy.ask_delete", pseudonym=pseudonym),
                 [Choice("erase", t("privacy.delete_yes")), Choice("keep", t("privacy.delete_no"))])

    async def _on_delete(self, turn: Turn, citizen_id: int) -> None:
        t = turn.t
        answer = parse_yes_no(turn.text) if turn.choice is None and turn.text else None
        if turn.choice == "erase" or answer is True:
            pseudonym = await turn.services.privacy.delete_account(citizen_id, turn.now)
            turn.finish()
            turn.say(t("privacy.deleted", pseudonym=pseudonym))
            return
        if turn.choice == "keep" or answer is False:
            turn.say(t("privacy.kept"))
            turn.goto(self.name, "choose")
            self._ask(turn)
            return
        turn.say(t("common.choose_from_list"))
        self._ask_delete(turn, (await turn.services.privacy.overview(citizen_id)).pseudonym)

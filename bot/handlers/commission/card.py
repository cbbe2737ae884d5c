"""The case card a commission sees in its Telegram group: readable at a glance on a phone, and
never showing who reported unless the citizen shared a contact.

The outbox sends it (the alert); the group handlers re-render it as the case moves on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.commission.texts import words
from intake.category import label
from intake.gazetteer import load as load_gazetteer
from intake.routing import CENTRAL
from models.tables import Attachment, Case, CaseStatus, Reporter

TEXT_SHOWN = 2500  # the card stays one message (4,096) with room for everything else
RELATED_SHOWN = 5


@dataclass(slots=True)
class CardData:
    case: Case
    attachments: int = 0
    related: list[str] = field(default_factory=list)
    contact: str | None = None  # only when the citizen chose to share one
    rerouted_from: str | None = None  # the name of the commission that passed it on
    reason: str | None = None


@cache
def _regions() -> dict[str, tuple[str, str]]:
    return dict(load_gazetteer().regions)


def place_name(code: str | None, language: str) -> str:
    if not code:
        return words(language)["unplaced"]
    ru, kk = _regions().get(code, (code, code))
    return kk if language == "kk" and kk else ru


def commission_label(code: str, language: str) -> str:
    return words(language)["central"] if code == CENTRAL else place_name(code, language)


def _local(moment: dt.datetime, zone: ZoneInfo, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return moment.astimezone(zone).strftime(fmt)


def _heading(
    case: Case, title: str, received: dt.datetime, language: str, zone: ZoneInfo
) -> list[str]:
    """A card's first lines: its title, the category, the place, when it came and the due date."""
    w = words(language)
    place = escape(place_name(case.region, language))
    if case.district:
        place += f", {escape(case.district)}"
    return [
        title,
        f"🏷 {escape(label(case.category, language))}",
        f"📍 {place}",
        f"🕒 {w['received']} {_local(received, zone)} · "
        f"{w['due']} <b>{_local(case.due_at, zone, '%d.%m.%Y')}</b>",
    ]


def _number(number: str, url: str | None) -> str:
    if url is None:
        return escape(number)
    return f'<a href="{escape(url, quote=True)}">{escape(number)}</a>'


def render_card(
    data: CardData, language: str, zone: ZoneInfo, status_line: str | None = None,
    case_url: str | None = None,
) -> str:
    """Telegram HTML of the card; every value from the case is escaped. With `case_url` (from
    WEB_BASE_URL) the case number links to its page in the web console."""
    w, case = words(language), data.case
    title = w["rerouted_case"] if data.rerouted_from else w["new_case"]
    text = case.text if len(case.text) <= TEXT_SHOWN else case.text[:TEXT_SHOWN] + w["cut"]
    lines = _heading(
        case, f"🆕 <b>{_number(case.number, case_url)}</b> · {escape(title)}", case.created_at,
        language, zone,
    )
    if data.rerouted_from:
        moved = w["rerouted"].format(source=data.rerouted_from, reason=data.reason or "—")
        lines.append(f"↪️ {escape(moved)}")
    if case.subject:
        lines.append(f"<b>{escape(case.subject)}</b>")
    lines.append(f"<blockquote>{escape(text)}</blockquote>")
    if data.attachments:
        lines.append("📎 " + escape(w["files"].format(n=data.attachments)))
    if data.related:
        lines.append(f"🔗 {w['related']}: " + ", ".join(escape(n) for n in data.related))
    if data.contact:
        lines.append(f"👤 {w['contact']}: {escape(data.contact)}")
    lines.append(status_line or w["status_new"])
    return "\n".join(lines)


def render_followup_card(
    data: CardData, added: str, added_at: dt.datetime, language: str, zone: ZoneInfo
) -> str:
    """Telegram HTML of a citizen's follow-up to a case: what they added (escaped), under the
    case's heading; `data.attachments` counts only the files this follow-up brought."""
    w, case = words(language), data.case
    added = added if len(added) <= TEXT_SHOWN else added[:TEXT_SHOWN] + w["cut"]
    title = f"➕ <b>{escape(case.number)}</b> · {escape(w['followup'])}"
    lines = _heading(case, title, added_at, language, zone)
    if case.subject:
        lines.append(f"<b>{escape(case.subject)}</b>")
    lines.append(f"<blockquote>{escape(added or w['followup_empty'])}</blockquote>")
    if data.attachments:
        lines.append("📎 " + escape(w["followup_files"].format(n=data.attachments)))
    if data.contact:
        lines.append(f"👤 {w['contact']}: {escape(data.contact)}")
    state = w.get(f"state_{case.status}", case.status)
    lines.append(escape(w["followup_status"].format(status=state)))
    if case.status == CaseStatus.resolved:
        lines.append("⚠️ " + escape(w["followup_closed"]))
    return "\n".join(lines)


async def load_card(session: AsyncSession, case: Case) -> CardData:
    """The card's data for a case as it is now (the handlers re-render with this)."""
    assert case.id is not None
    count = await session.exec(select(func.count()).where(Attachment.case_id == case.id))
    related: list[str] = []
    if case.cluster_id is not None:
        rows = await session.exec(
            select(Case.number)
            .where(Case.cluster_id == case.cluster_id, Case.id != case.id)
            .order_by(col(Case.id))
            .limit(RELATED_SHOWN)
        )
        related = list(rows.all())
    contact = None
    if case.contact_shared and case.reporter_id is not None:
        reporter = await session.get(Reporter, case.reporter_id)
        if reporter is not None:
            shared = [v for v in (reporter.contact_phone, reporter.contact_email) if v]
            contact = ", ".join(shared) or None
    return CardData(case, int(count.one()), related, contact)

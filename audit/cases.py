"""Findings become cases through intake's own `open_case` (the same routing, evidence,
related links and owed alerts as a citizen's report), all of one run in one transaction.
`audit_finding` remembers each (rule, identity): a second run over the same file opens
nothing, a later file with other rows updates the case's count and adds its evidence."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit import normalise as norm
from audit.findings import Finding, split_ref
from audit.scan import Record
from audit.texts import case_text, update_text
from intake.attachments import store_bytes
from intake.cases import IntakeContext, append_to_case, open_case
from intake.entities import Entities, extract_entities
from intake.raw import RawAttachment, RawReport
from intake.routing import CENTRAL
from models.tables import AuditFinding, AuditLog, Case, Channel, Commission
from models.types import utcnow

log = logging.getLogger(__name__)
FIELD_ORDER = ("iin", "full_name", "birth_date", "phone", "email", "region", "district",
               "organisation", "admitted_on", "status", "ip", "voted_at", "poll")
MAX_LINK_IINS = 500  # link keys per case: enough to find citizens' reports, bounded


@dataclass(slots=True)
class Outcome:
    opened: int = 0
    updated: int = 0
    unchanged: int = 0


def evidence_csv(finding: Finding, records: dict[int, Record], labels: list[str]) -> bytes:
    """The finding's rows as CSV, whole (IINs too): only those who may open evidence see it.
    The same rows always give the same bytes, so the same hash."""
    rows = [(r, records.get(r, {})) for r in finding.refs]
    present = [f for f in FIELD_ORDER if any(rec.get(f) for _, rec in rows)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "row", *present, "note"])
    for row_ref, rec in rows:
        index, number = split_ref(row_ref)
        writer.writerow([labels[index], number, *(rec.get(f, "") for f in present),
                         finding.notes.get(row_ref, "")])
    return out.getvalue().encode("utf-8-sig")  # a spreadsheet opens it as UTF-8


def link_entities(finding: Finding, records: dict[int, Record]) -> Entities:
    """What relates this case to citizens' reports: the shared phone or email, the IINs of
    its rows (whole: entity rows are link keys, never shown) and its organisations."""
    rows = [records[r] for r in finding.refs if r in records]
    iins = [i for i in dict.fromkeys(norm.clean_iin(r.get("iin", "")) for r in rows)
            if i and norm.iin_problem(i) is None][:MAX_LINK_IINS]
    phones = [finding.key] if finding.key.startswith("+") else []
    emails = [finding.key] if finding.rule == "shared_email" else []
    organisations = []
    for name in finding.organisations:
        named = extract_entities(name).organisations
        organisations += named or [f"ППО «{name}»"]
    return Entities(phones, iins, emails, list(dict.fromkeys(organisations)))


async def record_findings(
    session: AsyncSession, findings: list[Finding], records: dict[int, Record],
    labels: list[str], ctx: IntakeContext, *, votes: bool, actor: str,
) -> Outcome:
    """Open or update one case per finding in the session's transaction; the caller commits."""
    languages = {c.code: c.language for c in await session.exec(select(Commission))}
    outcome = Outcome()
    file = ", ".join(labels)
    for finding in findings:
        language = languages.get(finding.region or CENTRAL) or languages.get(CENTRAL, "ru")
        evidence = evidence_csv(finding, records, labels)
        attachment = RawAttachment(evidence, "text/csv", f"audit-{finding.rule}.csv")
        known = (await session.exec(select(AuditFinding).where(
            AuditFinding.rule == finding.rule, AuditFinding.key == finding.identity[:512]
        ))).first()
        case: Case | None
        if known is None:
            case = await _open(session, finding, records, ctx, language, file, votes, attachment)
            assert case.id is not None
            session.add(AuditFinding(rule=finding.rule, key=finding.identity[:512],
                                     case_id=case.id, count=finding.count,
                                     evidence=[store_bytes(ctx.attachments_dir, evidence).sha256]))
            outcome.opened += 1
        else:
            case = await _update(session, known, finding, ctx, language, file, attachment)
            outcome.updated += case is not None
            outcome.unchanged += case is None
            case = case or await session.get(Case, known.case_id)
        assert case is not None
        finding.case = case.number
        session.add(AuditLog(actor=actor, action="audit.finding", case_id=case.id,
                             details={"rule": finding.rule, "count": finding.count}))
    await session.flush()
    return outcome


async def _open(
    session: AsyncSession, finding: Finding, records: dict[int, Record], ctx: IntakeContext,
    language: str, file: str, votes: bool, attachment: RawAttachment,
) -> Case:
    subject, text = case_text(finding, language, file, votes)
    raw = RawReport(
        channel=Channel.audit, sender="audit", text=text, subject=subject,
        attachments=[attachment], language_hint=language, category_hint=finding.category,
        region_hint=finding.region, district_hint=finding.district, place_fixed=True,
        entities=link_entities(finding, records),
    )
    opened = await open_case(session, raw, ctx, acknowledge=False)
    return opened.case


async def _update(
    session: AsyncSession, known: AuditFinding, finding: Finding, ctx: IntakeContext,
    language: str, file: str, attachment: RawAttachment,
) -> Case | None:
    """A finding seen before: nothing when its evidence is the same; otherwise the new rows
    are added to its case (alerting its commission like a follow-up) and the count updated."""
    sha = store_bytes(ctx.attachments_dir, attachment.content).sha256
    if sha in known.evidence:
        return None
    case = await session.get(Case, known.case_id)
    if case is None:
        return None
    raw = RawReport(channel=Channel.audit, sender="audit",
                    text=update_text(finding, language, file, known.count),
                    attachments=[attachment], language_hint=language)
    await append_to_case(session, case, raw, ctx, author="audit")
    known.evidence = [*known.evidence, sha]
    known.count = finding.count
    known.updated_at = utcnow()
    session.add(known)
    return case

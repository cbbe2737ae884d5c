"""Audit findings as cases, on SQLite and PostgreSQL: routed, with evidence, alerts and related
links like any case; a second run opens nothing; more rows update the case."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import col, select

from audit.cases import record_findings
from audit.members import MemberOptions
from audit.run import Result, audit_members
from intake.attachments import read_attachment
from intake.cases import open_case
from intake.raw import RawReport
from models.tables import (
    Attachment,
    AuditFinding,
    Case,
    CaseLink,
    Message,
    Notification,
)
from tests.audit_fixtures import MEMBER_HEADERS, member, write_csv

PHONE = "+77015554433"


def registry(tmp_path, rows, name="members.csv") -> Result:
    path = write_csv(tmp_path / name, MEMBER_HEADERS, rows)
    return audit_members([path], MemberOptions(), progress=False)


async def write(sessions, result, ctx):
    async with sessions() as session:
        outcome = await record_findings(session, result.findings, result.records,
                                        result.run.labels, ctx, votes=False, actor="cli:test")
        await session.commit()
    return outcome


async def cases(sessions):
    async with sessions() as session:
        return (await session.exec(select(Case).order_by(col(Case.id)))).all()


def shared_phone_rows(n=6, region="Акмолинская область"):
    return [member(i, phone=PHONE, region=region) for i in range(n)]


async def test_it_opens_one_routed_case_per_finding_with_alerts_owed(sessions, intake_ctx, tmp_path):
    result = registry(tmp_path, shared_phone_rows())
    outcome = await write(sessions, result, intake_ctx)
    [case] = await cases(sessions)
    assert (outcome.opened, case.channel, case.category, case.region, case.commission_code) == (
        1, "audit", "shared_contacts", "AKM", "AKM")
    assert result.findings[0].case == case.number
    async with sessions() as session:
        alerts = (await session.exec(select(Notification))).all()
    assert {n.kind for n in alerts} == {"alert"} and all(n.case_id == case.id for n in alerts)


async def test_it_sends_a_finding_across_regions_to_central_triage(sessions, intake_ctx, tmp_path):
    rows = shared_phone_rows(3) + shared_phone_rows(3, region="г. Астана")[:3]
    rows[3:] = [member(10 + i, phone=PHONE, region="г. Астана") for i in range(3)]
    await write(sessions, registry(tmp_path, rows), intake_ctx)
    [case] = await cases(sessions)
    assert (case.region, case.commission_code) == (None, "CENTRAL")


async def test_it_attaches_the_rows_whole_as_csv_evidence_and_masks_iins_in_the_text(
    sessions, intake_ctx, tmp_path
):
    rows = [member(i) for i in range(3)] + [member(1)]
    await write(sessions, registry(tmp_path, rows), intake_ctx)
    [case] = await cases(sessions)
    async with sessions() as session:
        [file] = (await session.exec(select(Attachment))).all()
    content = read_attachment(intake_ctx.attachments_dir, file.path).decode("utf-8-sig")
    evidence = list(csv.DictReader(io.StringIO(content)))
    assert [(e["row"], e["iin"]) for e in evidence] == [("3", rows[1][0]), ("5", rows[1][0])]
    assert rows[1][0] not in case.text and rows[1][0][:4] + "******" in case.text
    assert file.mime_type == "text/csv"


async def test_it_opens_nothing_new_when_run_again_on_the_same_file(sessions, intake_ctx, tmp_path):
    await write(sessions, registry(tmp_path, shared_phone_rows()), intake_ctx)
    again = registry(tmp_path, shared_phone_rows())
    outcome = await write(sessions, again, intake_ctx)
    assert (outcome.opened, outcome.updated, outcome.unchanged) == (0, 0, 1)
    [case] = await cases(sessions)
    assert again.findings[0].case == case.number
    async with sessions() as session:
        assert len((await session.exec(select(Notification))).all()) == 2  # the first alerts only


async def test_it_updates_the_count_and_adds_evidence_when_a_later_file_has_more_rows(
    sessions, intake_ctx, tmp_path
):
    await write(sessions, registry(tmp_path, shared_phone_rows(6)), intake_ctx)
    outcome = await write(sessions, registry(tmp_path, shared_phone_rows(9), "later.csv"),
                          intake_ctx)
    [case] = await cases(sessions)
    async with sessions() as session:
        [finding] = (await session.exec(select(AuditFinding))).all()
        files = (await session.exec(select(Attachment))).all()
        messages = (await session.exec(select(Message).where(Message.case_id == case.id))).all()
        followups = [n for n in (await session.exec(select(Notification))).all()
                     if (n.payload or {}).get("followup")]
    assert (outcome.updated, finding.count, len(finding.evidence), len(files)) == (1, 9, 2, 2)
    assert "9" in messages[-1].text and "6" in messages[-1].text
    assert followups  # the commission hears of the new rows like of a citizen's follow-up


async def test_it_relates_the_finding_to_a_citizens_report_about_the_same_phone(
    sessions, intake_ctx, tmp_path
):
    async with sessions() as session:
        citizen = await open_case(session, RawReport(
            channel="telegram", sender="42",
            text=f"Всех записали в партию на один номер {PHONE}, никто не давал согласия"),
            intake_ctx)
        await session.commit()
    await write(sessions, registry(tmp_path, shared_phone_rows()), intake_ctx)
    async with sessions() as session:
        links = (await session.exec(select(CaseLink))).all()
    assert [(link.related_case_id, link.reason) for link in links] == [
        (citizen.case.id, "same_phone")]


async def test_it_relates_the_finding_to_a_report_naming_a_members_iin(
    sessions, intake_ctx, tmp_path
):
    rows = shared_phone_rows()
    async with sessions() as session:
        await open_case(session, RawReport(
            channel="telegram", sender="43",
            text=f"Меня записали в партию без согласия, мой ИИН {rows[2][0]}"), intake_ctx)
        await session.commit()
    await write(sessions, registry(tmp_path, rows), intake_ctx)
    async with sessions() as session:
        [link] = (await session.exec(select(CaseLink))).all()
    assert link.reason == "same_iin"


async def test_it_writes_no_case_of_a_run_when_one_fails(sessions, intake_ctx, tmp_path):
    result = registry(tmp_path, shared_phone_rows() + [member(1)])
    assert len(result.findings) == 2
    result.findings[1].identity = None  # type: ignore[assignment]  # fails after the first case
    with pytest.raises(Exception):  # noqa: B017 - any failure must roll the run back
        await write(sessions, result, intake_ctx)
    assert await cases(sessions) == []


async def test_its_alert_email_shows_the_masked_iin_and_lists_the_evidence(
    sessions, intake_ctx, tmp_path
):
    from notify.compose import MailConfig, compose
    from notify.content import load

    rows = [member(i) for i in range(3)] + [member(1)]
    await write(sessions, registry(tmp_path, rows), intake_ctx)
    async with sessions() as session:
        [alert] = [n for n in (await session.exec(select(Notification))).all()
                   if n.channel == "email"]
        alert.message_id = "<a@test>"
        draft = compose(await load(session, alert), MailConfig(
            "Shagym <h@example.kz>", intake_ctx.zone, intake_ctx.attachments_dir))
    whole = rows[1][0]
    assert whole[:4] + "******" + whole[-2:] in draft.text
    assert whole not in draft.text and whole not in draft.html
    assert "audit-duplicate_iin.csv (text/csv" in draft.text


async def test_it_counts_audit_cases_in_the_regions_digest(sessions, intake_ctx, tmp_path):
    import datetime as dt

    from models.tables import Commission
    from notify.digest.build import build
    from notify.digest.data import collect
    from notify.digest.queries import Window

    await write(sessions, registry(tmp_path, shared_phone_rows()), intake_ctx)
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        commission = await session.get(Commission, "AKM")
        data = await collect(session, commission, Window(now - dt.timedelta(days=1),
                                                         now + dt.timedelta(minutes=1),
                                                         intake_ctx.zone))
    [case] = await cases(sessions)
    assert [row.number for row in data.new] == [case.number]
    assert case.number in build(data, chart_src="chart.png").text

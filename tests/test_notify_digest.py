"""Daily digests: when they are owed (in Almaty time), exactly once, what they show, and how
they reach the commission."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from notify_helpers import outbox, report
from sqlmodel import col, select

from models.tables import DigestRun, NotificationStatus
from notify.clock import FakeClock
from notify.digest.schedule import DigestScheduler, due_period

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "commissions.example.toml"

pytest_plugins = ["notify_fixtures"]

ALMATY = ZoneInfo("Asia/Almaty")
NINE = dt.time(9, 0)
DAY = dt.date(2026, 3, 10)  # a Tuesday
AT_NINE_UTC = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty (UTC+5)


def scheduler(sessions, now: dt.datetime) -> DigestScheduler:
    return DigestScheduler(sessions, ALMATY, NINE, "shagym.test", FakeClock(now))


async def runs(sessions) -> list[DigestRun]:
    async with sessions() as session:
        query = select(DigestRun).order_by(col(DigestRun.commission_code), col(DigestRun.period))
        return list((await session.exec(query)).all())


def digest_text(rows, address, period=DAY):
    [row] = [r for r in rows if r.recipient == address and r.payload["period"] == str(period)]
    return row.payload["text"]


def test_it_counts_the_digest_day_in_the_configured_time_zone():
    assert due_period(AT_NINE_UTC - dt.timedelta(seconds=1), ALMATY, NINE) == DAY - dt.timedelta(1)
    assert due_period(AT_NINE_UTC, ALMATY, NINE) == DAY
    # 23:30 UTC on the 9th is already 04:30 on the 10th in Almaty, before nine
    assert due_period(
        dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC), ALMATY, NINE
    ) == DAY - dt.timedelta(1)


async def test_it_owes_digests_at_nine_in_almaty_not_nine_utc(sessions):
    before = scheduler(sessions, AT_NINE_UTC - dt.timedelta(seconds=1))
    await before.tick()
    assert {r.period for r in await runs(sessions)} == {DAY - dt.timedelta(days=1)}
    assert await before.tick() == []
    owed = await scheduler(sessions, AT_NINE_UTC).tick()
    assert "AKM" in owed and "CENTRAL" in owed
    assert {r.period for r in await runs(sessions)} == {DAY - dt.timedelta(days=1), DAY}


async def test_it_never_owes_a_digest_twice_across_restarts(sessions):
    await scheduler(sessions, AT_NINE_UTC).tick()
    first = await outbox(sessions, kind="digest")
    restarted = scheduler(sessions, AT_NINE_UTC + dt.timedelta(hours=3))
    assert await restarted.tick() == []
    racing = [scheduler(sessions, AT_NINE_UTC + dt.timedelta(hours=4)) for _ in range(2)]
    await asyncio.gather(*(s.tick() for s in racing))
    assert len(await outbox(sessions, kind="digest")) == len(first)
    assert len({(r.commission_code, r.period) for r in await runs(sessions)}) == len(
        await runs(sessions)
    )


async def test_it_sends_one_missed_digest_covering_the_days_it_was_down(sessions, intake_ctx):
    await scheduler(sessions, AT_NINE_UTC - dt.timedelta(days=3)).tick()
    for days_ago in (3, 2, 1):
        received = AT_NINE_UTC - dt.timedelta(days=days_ago) + dt.timedelta(hours=2)
        await report(sessions, intake_ctx, f"Нарушение номер {days_ago}", received_at=received)
    owed = await scheduler(sessions, AT_NINE_UTC + dt.timedelta(hours=5)).tick()
    assert "AKM" in owed
    akm = [r for r in await runs(sessions) if r.commission_code == "AKM"]
    assert [r.period for r in akm] == [DAY - dt.timedelta(days=3), DAY]
    text = digest_text(
        await outbox(sessions, kind="digest", commission_code="AKM"), "akm@example.kz"
    )
    assert "Новых: 3" in text
    assert all(f"Нарушение номер {n}" in text for n in (1, 2, 3))


async def test_it_lists_open_cases_overdue_first(sessions, intake_ctx):
    await report(
        sessions,
        intake_ctx,
        "Свежий случай давления",
        received_at=AT_NINE_UTC - dt.timedelta(days=2),
    )
    await report(
        sessions,
        intake_ctx,
        "Давний случай давления",
        received_at=AT_NINE_UTC - dt.timedelta(days=40),
    )
    await scheduler(sessions, AT_NINE_UTC).tick()
    text = digest_text(await outbox(sessions, kind="digest"), "akm@example.kz")
    assert "просрочено: 1" in text
    assert text.index("Давний случай") < text.index("Свежий случай")
    assert "просрочено на" in text.split("Давний случай")[0].splitlines()[-2]


async def test_it_groups_reports_sharing_one_phone(sessions, intake_ctx):
    for n in range(3):
        await report(
            sessions,
            intake_ctx,
            f"Жалоба {n}: 105 членов партии зарегистрированы на номер +7 701 555 44 33",
            sender=f"citizen{n}",
            received_at=AT_NINE_UTC - dt.timedelta(hours=5 + n),
        )
    await scheduler(sessions, AT_NINE_UTC).tick()
    text = digest_text(await outbox(sessions, kind="digest"), "akm@example.kz")
    cluster = text.split("Связанные обращения")[1]
    assert "3 обращений" in cluster and "+77015554433 (3)" in cluster


async def test_it_keeps_script_and_template_syntax_inert_in_digests(sessions, intake_ctx):
    text = "<script>alert(1)</script> {{ 7*7 }} {% raw %} <img src=x onerror=alert(2)>"
    # The citizen chose region and category in the bot: a text that says nothing the category
    # model can read would otherwise go to central triage, not to AKM's digest.
    await report(
        sessions,
        intake_ctx,
        text,
        received_at=AT_NINE_UTC - dt.timedelta(hours=3),
        category_hint="other",
    )
    await scheduler(sessions, AT_NINE_UTC).tick()
    [row] = [r for r in await outbox(sessions, kind="digest") if r.recipient == "akm@example.kz"]
    html = row.payload["html"]
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %}" in html
    assert "<script>alert(1)</script> {{ 7*7 }}" in row.payload["text"]
    assert "49" not in row.payload["text"]


async def test_it_gives_the_central_committee_the_national_digest(sessions, intake_ctx):
    earlier = AT_NINE_UTC - dt.timedelta(hours=4)
    await report(sessions, intake_ctx, "Случай в Акмоле", received_at=earlier)
    await report(
        sessions, intake_ctx, "Случай где-то, место не указано", region=None, received_at=earlier
    )
    await scheduler(sessions, AT_NINE_UTC).tick()
    text = digest_text(await outbox(sessions, kind="digest"), "central@example.kz")
    assert text.startswith("Национальный дайджест за 10.03.2026")
    regions = text.split("По регионам:")[1].split("Просроченные")[0]
    assert "Акмолинская область: новых 1" in regions
    assert "Очередь разбора (не определены регион или категория): новых 1" in regions
    triage = text.split("Очередь разбора (не определены регион или категория):\n")[1]
    assert "место не указано" in triage.split("\n\n")[0]


async def test_it_emails_the_digest_with_its_chart_inline(sessions, intake_ctx, worker, sink):
    await report(sessions, intake_ctx, received_at=AT_NINE_UTC - dt.timedelta(hours=1))
    await scheduler(sessions, AT_NINE_UTC).tick()
    await worker.drain()
    [message] = [
        r.message
        for r in sink.messages
        if r.rcpt_tos == ["akm@example.kz"] and "Дайджест" in r.message["Subject"]
    ]
    html_part = message.get_body(("html",))
    [chart] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert f"cid:{chart['Content-ID'].strip('<>')}" in html_part.get_content()
    assert chart.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert message["Subject"].startswith("Дайджест за 10.03.2026: Новых: 1")
    [row] = [r for r in await outbox(sessions, kind="digest") if r.recipient == "akm@example.kz"]
    assert row.status == NotificationStatus.sent
    assert set(row.payload) == {"run", "period", "subject"}


def test_it_previews_a_digest_to_files(sqlite_url, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from shagym.cli import app

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["commissions", "load", str(EXAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["digest", "preview", "--commission", "akm", "--out", "out"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert 'src="chart.png"' in (tmp_path / "out" / "digest.html").read_text()

"""The queue, the case page, actions, scope and export, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from notify_helpers import outbox
from notify_helpers import report as open_report
from sqlmodel import col, select
from web_fixtures import add_account

from intake.raw import RawAttachment
from models.tables import AuditLog

pytest_plugins = ["web_fixtures"]
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


async def report(*args: object, **fields: object) -> object:
    """A case opened as the channels do. These tests are not about the category: the citizen's
    choice of one (as in the bot) keeps a terse text out of central triage for an unsure one."""
    fields.setdefault("category_hint", "other")
    return await open_report(*args, **fields)  # type: ignore[arg-type]


async def _people(sessions):
    await add_account(sessions, "central@example.kz", "central")
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    await add_account(sessions, "viewer@example.kz", "viewer")


async def _audit(sessions, action):
    async with sessions() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        return list((await session.exec(query)).all())


async def test_it_shows_a_commission_only_its_own_region(web, sessions, web_ctx):
    await _people(sessions)
    mine = (await report(sessions, web_ctx, "Вербовка в Акмолинской области", region="AKM")).case
    other = (await report(sessions, web_ctx, "Подкуп в Павлодаре", region="PAV", sender="2")).case
    browser = await web().as_("akm@example.kz")
    queue = await browser.client.get("/cases")
    assert mine.number in queue.text and other.number not in queue.text
    assert (await browser.client.get(f"/cases/{mine.number}")).status_code == 200
    assert (await browser.client.get(f"/cases/{other.number}")).status_code == 404
    assert (await browser.post(f"/cases/{other.number}/take")).status_code == 404
    exported = (await browser.client.get("/cases.csv")).text
    assert mine.number in exported and other.number not in exported


async def test_it_hides_another_regions_attachment(web, sessions, web_ctx):
    await _people(sessions)
    other = (await report(sessions, web_ctx, "Подкуп в Павлодаре", region="PAV", attachments=[
        RawAttachment(b"%PDF-1.4 evidence", "application/pdf", "a.pdf")])).case  # fmt: skip
    central = await web().as_("central@example.kz")
    page = (await central.client.get(f"/cases/{other.number}")).text
    link = page.split(f"/cases/{other.number}/files/")[1].split('"')[0]
    browser = await web().as_("akm@example.kz")
    assert (await central.client.get(f"/cases/{other.number}/files/{link}")).status_code == 200
    assert (await browser.client.get(f"/cases/{other.number}/files/{link}")).status_code == 404


async def test_it_downloads_evidence_as_an_attachment_under_a_safe_name(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Подкуп", region="AKM", attachments=[
        RawAttachment(b"%PDF-1.4 x", "application/pdf", '../"evil"\r\n.exe')])).case  # fmt: skip
    browser = await web().as_("central@example.kz")
    page = (await browser.client.get(f"/cases/{case.number}")).text
    file_id = page.split(f"/cases/{case.number}/files/")[1].split('"')[0]
    response = await browser.client.get(f"/cases/{case.number}/files/{file_id}")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{case.number}-{file_id}.bin"'
    )
    assert response.content == b"%PDF-1.4 x"


async def test_it_filters_the_queue_and_counts_per_filter(web, sessions, web_ctx):
    await _people(sessions)
    await report(sessions, web_ctx, "Вербовка", region="AKM", channel="email", sender="a@x.kz")
    tg = (await report(sessions, web_ctx, "Подкуп", region="AKM", sender="7")).case
    browser = await web().as_("central@example.kz")
    page = (await browser.client.get("/cases?channel=telegram")).text
    assert tg.number in page and page.count('href="/cases/SH-') == 1
    assert "Telegram (1)" in page and "email (1)" in page


async def test_it_finds_reports_by_full_text_search(web, sessions, web_ctx):
    await _people(sessions)
    hit = (await report(sessions, web_ctx, "Председатель участка раздавал деньги избирателям",
                        region="AKM")).case  # fmt: skip
    miss = (await report(sessions, web_ctx, "Записали в партию без согласия", region="AKM",
                         sender="9")).case  # fmt: skip
    browser = await web().as_("central@example.kz")
    page = (await browser.client.get("/cases", params={"q": "деньги председатель"})).text
    assert hit.number in page and miss.number not in page


async def test_it_pages_the_queue_by_time_left_fifty_at_a_time(web, sessions, web_ctx):
    await _people(sessions)
    numbers = []
    for n in range(53):
        numbers.append((await report(sessions, web_ctx, f"Обращение {n}", region="AKM",
                                     sender=str(n))).case.number)  # fmt: skip
    browser = await web().as_("central@example.kz")
    first = (await browser.client.get("/cases")).text
    after = first.split("after=")[1].split('"')[0].replace("&amp;", "&")
    second = (await browser.client.get(f"/cases?after={after}")).text
    seen_first = {n for n in numbers if f">{n}<" in first}
    seen_second = {n for n in numbers if f">{n}<" in second}
    assert len(seen_first) == 50 and len(seen_second) == 3
    assert seen_first | seen_second == set(numbers)
    assert "after=" not in second


async def test_it_answers_the_citizen_through_the_outbox_and_records_who(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM", sender="5550001")).case
    browser = await web().as_("akm@example.kz")
    response = await browser.post(f"/cases/{case.number}/answer", {"text": "Проверим, спасибо"})
    assert response.status_code == 303
    relays = await outbox(sessions, kind="relay")
    assert [(r.channel, r.recipient) for r in relays] == [("telegram", "5550001")]
    assert [a.actor for a in await _audit(sessions, "case.answered")] == ["web:akm@example.kz"]


async def test_it_takes_resolves_and_notes_a_case(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    browser = await web().as_("akm@example.kz")
    await browser.post(f"/cases/{case.number}/take")
    await browser.post(f"/cases/{case.number}/note", {"text": "Позвонить в понедельник"})
    await browser.post(f"/cases/{case.number}/resolve", {"resolution": "confirmed"})
    page = (await browser.client.get(f"/cases/{case.number}")).text
    assert "Позвонить в понедельник" in page and "<b>resolved</b>" in page
    assert [a.actor for a in await _audit(sessions, "case.taken")] == ["web:akm@example.kz"]


async def test_it_lets_central_reroute_and_alerts_the_new_commission(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    browser = await web().as_("central@example.kz")
    await browser.post(f"/cases/{case.number}/reroute", {"target": "PAV", "reason": "Павлодар"})
    moved = await _audit(sessions, "case.rerouted")
    assert [(a.actor, a.details["to"]) for a in moved] == [("web:central@example.kz", "PAV")]
    assert any(n.commission_code == "PAV" for n in await outbox(sessions, kind="alert"))


async def test_it_refuses_a_reroute_by_a_commission(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    browser = await web().as_("akm@example.kz")
    response = await browser.post(f"/cases/{case.number}/reroute", {"target": "PAV", "reason": "x"})
    assert response.status_code == 403
    assert await _audit(sessions, "case.rerouted") == []


async def test_it_lets_a_viewer_read_but_not_act(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    browser = await web().as_("viewer@example.kz")
    page = await browser.client.get(f"/cases/{case.number}")
    assert page.status_code == 200 and "/answer" not in page.text
    assert (await browser.post(f"/cases/{case.number}/answer", {"text": "x"})).status_code == 403


async def test_it_renders_hostile_report_text_subject_and_file_name_inert(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, HOSTILE, region="AKM", channel="email",
                         sender="a@x.kz", subject=HOSTILE, attachments=[
        RawAttachment(b"x", "application/pdf", HOSTILE)])).case  # fmt: skip
    browser = await web().as_("central@example.kz")
    for path in ("/cases", f"/cases/{case.number}", "/"):
        page = (await browser.client.get(path)).text
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in (await browser.client.get(f"/cases/{case.number}")).text


async def test_it_records_case_views_and_contact_reads(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM",
                         contact_phone="+77011234567")).case  # fmt: skip
    central = await web().as_("central@example.kz")
    viewer = await web().as_("viewer@example.kz")
    assert "+77011234567" in (await central.client.get(f"/cases/{case.number}")).text
    assert "+77011234567" not in (await viewer.client.get(f"/cases/{case.number}")).text
    assert [a.actor for a in await _audit(sessions, "read.contact")] == ["web:central@example.kz"]
    assert len(await _audit(sessions, "read.case")) == 2


async def test_it_exports_without_contacts_unless_shared_and_neutralises_formulas(web, sessions, web_ctx):
    await _people(sessions)
    await report(sessions, web_ctx, "=HYPERLINK(\"http://x\")", region="AKM", sender="1")
    await report(sessions, web_ctx, "Вербовка", region="AKM", sender="2", contact_phone="+77011234567")
    central = await web().as_("central@example.kz")
    viewer = await web().as_("viewer@example.kz")
    rows = list(csv.DictReader(io.StringIO((await central.client.get("/cases.csv")).text.lstrip("\ufeff"))))
    # A leading + is neutralised too (a spreadsheet would take the phone for a formula).
    assert sorted(r["contact"] for r in rows) == ["", "'+77011234567"]
    assert any(r["text"].startswith("'=HYPERLINK") for r in rows)
    assert "+77011234567" not in (await viewer.client.get("/cases.csv")).text
    assert [a.actor for a in await _audit(sessions, "read.export")] == [
        "web:central@example.kz", "web:viewer@example.kz"]  # fmt: skip


async def test_it_exports_the_filtered_queue_as_xlsx(web, sessions, web_ctx):
    from openpyxl import load_workbook

    await _people(sessions)
    keep = (await report(sessions, web_ctx, "Вербовка", region="AKM", sender="1")).case
    await report(sessions, web_ctx, "Подкуп", region="PAV", sender="2")
    browser = await web().as_("central@example.kz")
    response = await browser.client.get("/cases.xlsx?region=AKM")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [keep.number]


async def test_it_draws_the_dashboard_with_every_region_labelled(web, sessions, web_ctx):
    await _people(sessions)
    await report(sessions, web_ctx, "Вербовка", region="AKM")
    await report(sessions, web_ctx, "Непонятно где", region=None, sender="2")
    page = (await (await web().as_("central@example.kz")).client.get("/")).text
    assert page.count('class="code"') == 20 and ">AKM</text>" in page
    assert "Triage" in page and page.count("<rect") >= 20 + 30


async def test_it_finds_kazakh_reports_by_their_words(web, sessions, web_ctx):
    await _people(sessions)
    hit = (await report(sessions, web_ctx, "Сайлау учаскесінде төраға ақша таратты",
                        region="AKM", language_hint="kk")).case  # fmt: skip
    browser = await web().as_("central@example.kz")
    assert hit.number in (await browser.client.get("/cases", params={"q": "ақша"})).text


async def test_it_keeps_the_search_index_in_step_with_the_case_text(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Первый текст", region="AKM")).case
    async with sessions() as session:
        stored = await session.get(type(case), case.id)
        stored.text = "Исправленный текст про агитацию"
        session.add(stored)
        await session.commit()
    browser = await web().as_("central@example.kz")
    assert case.number in (await browser.client.get("/cases", params={"q": "агитацию"})).text
    assert case.number not in (await browser.client.get("/cases", params={"q": "Первый"})).text


async def test_it_matches_inflected_russian_words_on_postgresql(web, sessions, web_ctx, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's FTS5 matches prefixes, not Russian stems")
    await _people(sessions)
    hit = (await report(sessions, web_ctx, "Раздавал избирателям деньги", region="AKM")).case
    browser = await web().as_("central@example.kz")
    assert hit.number in (await browser.client.get("/cases", params={"q": "деньгами"})).text


async def test_it_recounts_the_queue_after_an_action_in_the_console(web, sessions, web_ctx):
    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    browser = await web().as_("akm@example.kz")
    assert "new (1)" in (await browser.client.get("/cases")).text
    await browser.post(f"/cases/{case.number}/take")
    page = (await browser.client.get("/cases")).text
    assert "new (0)" in page and "taken (1)" in page


async def test_it_shows_your_own_action_in_the_counts_of_another_worker(
    sessions, web_ctx, app_settings
):
    """Two worker processes (two apps over one store, each with its own cache of counts): the
    one that did not serve the action still counts it afresh for the user who acted (without
    the `shagym_acted` cookie it would serve its cached "new (1)"), and says as of when."""
    import httpx
    from web_fixtures import Browser

    from web.app import create_app

    await _people(sessions)
    case = (await report(sessions, web_ctx, "Вербовка", region="AKM")).case
    first, second = create_app(app_settings, sessions), create_app(app_settings, sessions)

    def client(app):
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async with client(first) as one, client(second) as two, client(second) as other:
        acting, bystander = await Browser(one).as_("akm@example.kz"), await Browser(other).as_("akm@example.kz")
        assert "new (1)" in (await bystander.client.get("/cases")).text  # cached by `second`
        await acting.post(f"/cases/{case.number}/take")
        two.cookies = one.cookies  # the same browser, its next page served by `second`
        page = (await two.get("/cases")).text
        assert "new (0)" in page and "taken (1)" in page and "Counts as of" in page

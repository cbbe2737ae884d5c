"""The console in a real headless Chromium: a commissioner signs in, filters, opens a case,
answers it, and the real outbox worker delivers the answer to the citizen's chat in the
Telegram Bot API emulator; central reroutes and exports; hostile report text stays text. Screenshots of the
queue, a case and the dashboard at 1280 px and 375 px go to bench/results/web/."""

from __future__ import annotations

import pytest
from notify_helpers import outbox, report
from web_browser import browser_skip_reason, chromium, live_console
from web_fixtures import PASSWORD, add_account, web_settings

from intake.raw import RawAttachment
from tests.conftest import ROOT

pytest_plugins = ["web_fixtures", "notify_fixtures"]
CITIZEN = 5550101  # the Telegram user who sent the case the commissioner answers
SHOTS = ROOT / "bench" / "results" / "web"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
pytestmark = pytest.mark.skipif(browser_skip_reason() is not None, reason=browser_skip_reason() or "")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # the browser sees the same pages on either store; HTTP tests cover both


def _sign_in(driver, base: str, email: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element("name", "email").send_keys(email)
    driver.find_element("name", "password").send_keys(PASSWORD)
    driver.find_element("css selector", "form button[type=submit]").click()
    _wait(driver, lambda d: "/login" not in d.current_url)


def _wait(driver, condition, seconds: float = 10) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds).until(condition)


def _phone(driver) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})  # fmt: skip


def _no_sideways_scroll(driver) -> bool:
    """Neither the page nor any card on it scrolls sideways (nothing cut off)."""
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1 && "
        "[...document.querySelectorAll('.card')].every(c => c.scrollWidth <= c.clientWidth + 1)")


def _shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return window.innerWidth")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(height, 2400), "deviceScaleFactor": 1,
        "mobile": width < 600})  # fmt: skip
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _csp_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


async def _seed(sessions, ctx):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    await add_account(sessions, "central@example.kz", "central")
    texts = ["В Бурабайском районе записали в партию 105 человек на один телефон +77011234567",
             "Председатель участка в Кокшетау раздавал деньги избирателям",
             "Директора школы заставляют сотрудников вступить в партию"]  # fmt: skip
    cases = [(await report(sessions, ctx, t, region="AKM", sender=str(CITIZEN - 1 + n))).case
             for n, t in enumerate(texts)]  # fmt: skip
    for n in range(6):
        await report(sessions, ctx, f"Подкуп голосов в Павлодаре, случай {n}", region="PAV",
                     sender=f"p{n}")  # fmt: skip
    await report(sessions, ctx, "Непонятно где нарушение", region=None, sender="t")
    return cases


@pytest.mark.parametrize("width", [1280, 375])
async def test_it_lets_a_commissioner_filter_open_and_answer_a_case(
    sessions, web_ctx, tmp_path, sqlite_url, width, tg_worker, emulator
):
    citizen = emulator.user(CITIZEN, "Алия")
    cases = await _seed(sessions, web_ctx)
    target = cases[1]
    suffix = "desktop" if width > 600 else "phone"
    with live_console(web_settings(tmp_path, sqlite_url)) as base, chromium() as driver:
        if width < 600:
            _phone(driver)
        _sign_in(driver, base, "akm@example.kz")
        driver.get(f"{base}/cases")
        search = driver.find_element("name", "q")
        search.send_keys("деньги")
        search.submit()
        _wait(driver, lambda d: "q=" in d.current_url)
        links = driver.find_elements("css selector", "table.cases a")
        assert [a.text for a in links] == [target.number]
        assert _no_sideways_scroll(driver)
        driver.get(f"{base}/cases")
        _shot(driver, f"queue-{suffix}")
        driver.get(f"{base}/cases/{target.number}")
        assert _no_sideways_scroll(driver)
        driver.find_element("css selector", "form[action$='/answer'] textarea").send_keys("Спасибо, проверяем")
        driver.find_element("css selector", "form[action$='/answer'] button").click()
        _wait(driver, lambda d: "done=answer" in d.current_url)
        assert "Спасибо, проверяем" in driver.find_element("css selector", ".thread").text
        _shot(driver, f"case-{suffix}")
        driver.get(f"{base}/")
        assert _no_sideways_scroll(driver)
        _shot(driver, f"dashboard-{suffix}")
        assert _csp_errors(driver) == []
    # The browser is done (Selenium blocks this loop, where the emulator serves); now the
    # outbox worker, as `shagym run` runs it, delivers what the console queued.
    await tg_worker.drain()
    relay = await citizen.chat.wait_for("Спасибо, проверяем")
    assert target.number in relay.text
    [sent] = await outbox(sessions, kind="relay", case_id=target.id)
    assert (sent.channel, sent.recipient, sent.status) == ("telegram", str(CITIZEN), "sent")


async def test_it_lets_central_reroute_and_export(sessions, web_ctx, tmp_path, sqlite_url):
    cases = await _seed(sessions, web_ctx)
    with live_console(web_settings(tmp_path, sqlite_url)) as base, chromium() as driver:
        _sign_in(driver, base, "central@example.kz")
        driver.get(f"{base}/cases/{cases[0].number}")
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element("name", "target")).select_by_value("PAV")
        driver.find_element("name", "reason").send_keys("Место — Павлодар")
        driver.find_element("css selector", "form[action$='/reroute'] button").click()
        _wait(driver, lambda d: "done=reroute" in d.current_url)
        assert "PAV" in driver.find_element("css selector", ".history").text
        exported = driver.execute_async_script(
            "const done = arguments[0]; fetch('/cases.csv?region=PAV').then(r => r.text()).then(done);")
        assert cases[0].number in exported and exported.count("SH-") == 7
    alerts = await outbox(sessions, kind="alert", case_id=cases[0].id)
    assert any(a.commission_code == "PAV" for a in alerts)


async def test_it_shows_hostile_report_text_as_text(sessions, web_ctx, tmp_path, sqlite_url):
    await add_account(sessions, "central@example.kz", "central")
    case = (await report(sessions, web_ctx, HOSTILE, region="AKM", channel="email", sender="a@x.kz",
                         subject=HOSTILE, attachments=[RawAttachment(b"x", "application/pdf", HOSTILE)])).case  # fmt: skip
    with live_console(web_settings(tmp_path, sqlite_url)) as base, chromium() as driver:
        _sign_in(driver, base, "central@example.kz")
        driver.get(f"{base}/cases/{case.number}")
        assert HOSTILE in driver.find_element("css selector", ".thread").text
        assert driver.execute_script("return document.querySelectorAll('img[src=x], main script').length") == 0
        from selenium.common.exceptions import NoAlertPresentException

        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018

"""The console's sign-in, sessions, CSRF and headers, through an ASGI client."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlmodel import select
from web_fixtures import PASSWORD, add_account, csrf_of, sign_in

from models.web import WebSession
from web.sessions import COOKIE

pytest_plugins = ["web_fixtures"]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Sign-in and sessions are the same rules on either store; the store-dependent ones
    (queue, search, scope, actions) run on both in test_web_cases.py."""
    return sqlite_url


async def test_it_sends_a_visitor_who_is_not_signed_in_to_the_login_page(web):
    response = await web().client.get("/cases?status=new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases%3Fstatus%3Dnew"


async def test_it_signs_in_with_an_httponly_strict_cookie(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    response = await sign_in(web().client, "akm@example.kz")
    assert response.status_code == 303
    cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE)][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie


async def test_it_gives_a_new_session_id_at_sign_in_so_a_planted_cookie_is_worthless(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    victim = web()
    await victim.as_("akm@example.kz")
    planted = victim.client.cookies[COOKIE]
    await sign_in(victim.client, "akm@example.kz")
    assert victim.client.cookies[COOKIE] != planted
    attacker = web()
    attacker.client.cookies.set(COOKIE, "forged.value")
    assert (await attacker.client.get("/cases")).status_code == 303


async def test_it_answers_an_unknown_account_and_a_wrong_password_alike(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    wrong = await sign_in(web().client, "akm@example.kz", "not the password")
    unknown = await sign_in(web().client, "nobody@example.kz", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    def message(page: str) -> str:
        return page.split('class="error"')[1].split("</p>")[0]

    assert message(wrong.text) == message(unknown.text)
    assert "Неверная почта или пароль." in message(wrong.text)


async def test_it_throttles_sign_in_after_five_failures_even_with_the_right_password(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    client = web().client
    for _ in range(5):
        assert (await sign_in(client, "akm@example.kz", "guess")).status_code == 401
    assert (await sign_in(client, "akm@example.kz")).status_code == 429


async def test_it_throttles_per_address_across_accounts(web, sessions):
    client = web().client
    for n in range(5):
        await sign_in(client, f"user{n}@example.kz", "guess")
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    assert (await sign_in(client, "akm@example.kz")).status_code == 429


async def test_it_refuses_a_sign_in_without_its_csrf_token(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    client = web().client
    await client.get("/login")
    response = await client.post("/login", data={"email": "akm@example.kz", "password": PASSWORD})
    assert response.status_code == 403


async def test_it_refuses_a_state_change_without_the_csrf_token(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    browser = await web().as_("akm@example.kz")
    assert (await browser.post("/logout", csrf=False)).status_code == 403
    assert (await browser.client.get("/cases")).status_code == 200  # still signed in


async def test_it_ends_the_session_in_the_store_at_sign_out(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    browser = await web().as_("akm@example.kz")
    cookie = browser.client.cookies[COOKIE]
    assert (await browser.post("/logout")).status_code == 303
    replay = web()
    replay.client.cookies.set(COOKIE, cookie)
    assert (await replay.client.get("/cases")).status_code == 303
    async with sessions() as session:
        assert (await session.exec(select(WebSession))).one().ended_at is not None


async def test_it_ends_an_idle_session(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    browser = await web().as_("akm@example.kz")
    async with sessions() as session:
        row = (await session.exec(select(WebSession))).one()
        row.seen_at -= dt.timedelta(minutes=31)
        session.add(row)
        await session.commit()
    assert (await browser.client.get("/cases")).status_code == 303


async def test_it_ends_a_session_after_its_absolute_lifetime(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    browser = await web().as_("akm@example.kz")
    async with sessions() as session:
        row = (await session.exec(select(WebSession))).one()
        row.created_at -= dt.timedelta(hours=13)
        session.add(row)
        await session.commit()
    assert (await browser.client.get("/cases")).status_code == 303


async def test_it_asks_for_the_totp_code_and_signs_in_only_with_the_right_one(web, sessions):
    secret = await add_account(sessions, "central@example.kz", "central", totp=True)
    client = web().client
    step = await sign_in(client, "central@example.kz")
    assert step.status_code == 200 and 'name="code"' in step.text
    assert (await client.get("/cases")).status_code == 303  # half signed in is not signed in
    wrong = await client.post("/login", data={"code": "000000", "csrf": csrf_of(step.text)})
    assert wrong.status_code == 401
    right = await client.post(
        "/login", data={"code": pyotp.TOTP(secret).now(), "csrf": csrf_of(wrong.text)}
    )
    assert right.status_code == 303
    assert (await client.get("/cases")).status_code == 200


async def test_it_refuses_central_without_totp_when_the_setting_requires_it(tmp_path, database_url, sessions):
    import httpx
    from web_fixtures import web_settings

    from web.app import create_app

    app = create_app(web_settings(tmp_path, database_url, WEB_CENTRAL_TOTP=True), sessions)
    await add_account(sessions, "central@example.kz", "central")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await sign_in(c, "central@example.kz")).status_code == 403


async def test_it_sends_the_security_headers_and_a_strict_csp(web):
    response = await web().client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in response.text and " on" not in response.text.replace(" one", "")


async def test_it_serves_htmx_from_the_package(web):
    response = await web().client.get("/static/htmx.min.js")
    assert response.status_code == 200 and "htmx" in response.text[:2000]


async def test_it_shows_central_the_access_log_and_hides_it_from_a_commission(web, sessions):
    await add_account(sessions, "central@example.kz", "central")
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    central = await web().as_("central@example.kz")
    commission = await web().as_("akm@example.kz")
    page = await central.client.get("/audit")
    assert page.status_code == 200 and "account.signed_in" in page.text
    assert (await commission.client.get("/audit")).status_code == 404


async def test_it_speaks_the_accounts_language(web, sessions):
    from web import accounts

    async with sessions() as session:
        await accounts.add(session, "kk@example.kz", PASSWORD, "viewer", None, "kk")
        await accounts.add(session, "ru@example.kz", PASSWORD, "viewer", None, "ru")
        await session.commit()
    kazakh = await web().as_("kk@example.kz")
    russian = await web().as_("ru@example.kz")
    assert "Өтініштер" in (await kazakh.client.get("/cases")).text
    assert "Обращения" in (await russian.client.get("/cases")).text


async def test_it_ends_the_previous_session_when_the_browser_signs_in_again(web, sessions):
    await add_account(sessions, "akm@example.kz", "commission", "AKM")
    browser = await web().as_("akm@example.kz")
    first = browser.client.cookies[COOKIE]
    await sign_in(browser.client, "akm@example.kz")
    replay = web()
    replay.client.cookies.set(COOKIE, first)
    assert (await replay.client.get("/cases")).status_code == 303


async def test_it_refuses_an_account_for_an_unknown_region(sessions):
    from web import accounts

    async with sessions() as session:
        with pytest.raises(accounts.AccountError):
            await accounts.add(session, "x@example.kz", PASSWORD, "commission", "XXX")


async def test_it_keeps_the_service_up_when_the_console_cannot_listen(tmp_path, sessions, caplog):
    import asyncio
    import socket

    from web_fixtures import web_settings

    from web.service import run_web

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = web_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", WEB_PORT=port)
        stop = asyncio.Event()
        task = asyncio.create_task(run_web(settings, sessions, stop))
        async with asyncio.timeout(30):
            while "could not listen" not in caplog.text:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0)
        assert not task.done()  # waits for the service to stop instead of ending it
        stop.set()
        await asyncio.wait_for(task, 10)

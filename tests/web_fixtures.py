"""Fixtures for the web console: the app over a fresh store, accounts, a signed-in client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings, load_settings
from intake.cases import IntakeContext
from models.db import SessionFactory
from web import accounts
from web.app import create_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    return load_settings(
        DATABASE_URL=database_url, ATTACHMENTS_DIR=tmp_path / "attachments",
        WEB_SECRET_KEY="k" * 64, **overrides,
    )  # fmt: skip


async def add_account(
    sessions: SessionFactory, email: str, role: str, region: str | None = None, totp: bool = False
) -> str | None:
    async with sessions() as session:
        account = await accounts.add(session, email, PASSWORD, role, region, "en", totp)
        await session.commit()
        return account.totp_secret


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf": csrf_of(form.text)}
    )


class Browser:
    """An ASGI client with the app's cookies, and the CSRF token of the last page it read."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def as_(self, email: str) -> Browser:
        response = await sign_in(self.client, email)
        assert response.status_code == 303, response.text
        return self

    async def token(self) -> str:
        return csrf_of((await self.client.get("/cases")).text)

    async def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True) -> httpx.Response:
        data = dict(data or {})
        if csrf:
            data["csrf"] = await self.token()
        return await self.client.post(path, data=data)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its production cost takes ~0.8 s a hash on the test machine; the tests
    check what is done with hashes, not their cost, so they use a cheap argon2id."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", lambda: cheap)
    monkeypatch.setattr(accounts, "_dummy_hash", lambda: cheap.hash("dummy"))


@pytest.fixture
def web_ctx(tmp_path: Path) -> IntakeContext:
    from zoneinfo import ZoneInfo

    return IntakeContext(attachments_dir=tmp_path / "attachments", zone=ZoneInfo("Asia/Almaty"))


@pytest.fixture
async def app_settings(tmp_path: Path, database_url: str) -> Settings:
    return web_settings(tmp_path, database_url)


@pytest.fixture
async def web(sessions: SessionFactory, app_settings: Settings) -> AsyncIterator[callable]:  # type: ignore[valid-type]
    """A factory of fresh clients (each its own cookie jar) over one app."""
    app = create_app(app_settings, sessions)
    clients: list[httpx.AsyncClient] = []

    def new() -> Browser:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return Browser(client)

    yield new
    for client in clients:
        await client.aclose()

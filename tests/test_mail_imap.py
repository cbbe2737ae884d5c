"""The poller against a real Dovecot on loopback: fetch, store, flag, move; IDLE and polling;
TLS; messages over the size limit."""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import mail_fixtures
import pytest
from mail_fixtures import complaint, folder_state, mail_settings, snapshot

from core.settings import Settings
from mail_ingest.imap import ImapClient, parse_internaldate
from mail_ingest.service import Backoff, MailService
from sandbox.dovecot import Dovecot, unavailable_reason

GUARD = 120.0
dovecot = mail_fixtures.dovecot
store = mail_fixtures.store


@asynccontextmanager
async def running(service: MailService) -> AsyncIterator[MailService]:
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def passes(service: MailService, count: int):  # type: ignore[no-untyped-def]
    """Wait for `count` passes; the timeout only turns a hang into a failure."""
    return await asyncio.wait_for(service.wait_passes(count), timeout=GUARD)


@pytest.fixture
def settings(dovecot: Dovecot, sqlite_url: str, tmp_path: Path) -> Settings:
    return mail_settings(dovecot, sqlite_url, tmp_path)


async def test_it_stores_flags_and_moves_new_mail(dovecot, store, settings) -> None:
    dovecot.append([complaint(f"В Астане нарушение номер {i}.") for i in range(3)])
    async with running(MailService(settings, store)) as service:
        report = await passes(service, 1)
    assert report is not None and report.count("created") == 3
    assert folder_state(dovecot, "INBOX") == (0, 0)
    assert folder_state(dovecot, "Processed") == (3, 0)  # created when missing, all seen
    state = await snapshot(store)
    assert (state["cases"], state["stored"], state["unmoved"]) == (3, 3, 0)


async def test_it_wakes_from_idle_when_mail_arrives(dovecot, store, settings) -> None:
    async with running(MailService(settings, store)) as service:
        await passes(service, 1)
        await asyncio.to_thread(dovecot.append, [complaint()])
        report = await passes(service, 2)
    assert report is not None and report.count("created") == 1


class NoIdleClient(ImapClient):
    def connect(self) -> None:
        super().connect()
        self.capabilities -= {"IDLE"}


async def test_it_polls_when_the_server_offers_no_idle(dovecot, store, settings) -> None:
    service = MailService(settings, store, client_factory=lambda: NoIdleClient(settings))
    async with running(service):
        await passes(service, 1)
        await asyncio.to_thread(dovecot.append, [complaint()])
        await passes(service, 3)
    assert (await snapshot(store))["cases"] == 1


async def test_it_stops_promptly_while_idle(dovecot, store, settings) -> None:
    stop = asyncio.Event()
    service = MailService(settings, store)
    task = asyncio.create_task(service.run(stop))
    await passes(service, 1)
    stop.set()
    await asyncio.wait_for(task, timeout=30)  # a guard; IDLE itself would last five minutes


async def test_it_fetches_only_the_headers_of_mail_over_the_limit(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    big = complaint(attachment=(random.randbytes(20_000), "image/jpeg", "photo.jpg"))
    dovecot.append([big])
    settings = mail_settings(dovecot, sqlite_url, tmp_path, IMAP_MAX_BYTES=5_000)
    async with running(MailService(settings, store)) as service:
        report = await passes(service, 1)
    assert report is not None
    [outcome] = report.outcomes
    assert outcome.status == "created" and "size limit" in (outcome.reason or "")
    assert outcome.source.headers_only and (outcome.source.size or 0) > 20_000
    assert folder_state(dovecot, "Processed") == (1, 0)


@pytest.fixture
def tls_dovecot() -> Iterator[Dovecot]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    try:
        server = Dovecot.start({mail_fixtures.HOTLINE: "secret"}, tls=True)
    except Exception as exc:  # no openssl to make a certificate
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_it_connects_with_tls(tls_dovecot, store, sqlite_url, tmp_path, security) -> None:
    settings = mail_settings(
        tls_dovecot, sqlite_url, tmp_path, **tls_dovecot.settings(security=security)
    )
    context = ssl.create_default_context(cafile=str(tls_dovecot.cert))
    tls_dovecot.append([complaint()])
    async with running(MailService(settings, store, ssl_context=context)) as service:
        report = await passes(service, 1)
    assert report is not None and report.count("created") == 1


def test_it_backs_off_exponentially_with_jitter() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
    delays = [backoff.next() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next() <= 1


def test_it_reads_internaldate_in_any_locale() -> None:
    value = parse_internaldate(b"17-Jul-1996 02:44:25 -0700")
    assert value is not None and value.isoformat() == "1996-07-17T09:44:25+00:00"


def test_it_is_the_loop_the_runner_starts_for_mail(settings) -> None:
    from mail_ingest.service import run_mail
    from shagym.runner import planned_loops

    assert planned_loops(settings, {"mail"}) == [("mail", run_mail)]

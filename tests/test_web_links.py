"""With WEB_BASE_URL set, alerts (email and Telegram cards) and digests link each case number
to its page in the web console; without it they carry no link."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.handlers.commission.card import CardData, render_card
from models.tables import Case, Notification
from notify.compose import MailConfig, compose
from notify.content import Loaded
from notify.digest.build import case_row
from notify.digest.queries import Window

ZONE = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2026, 12, 1, 5, tzinfo=dt.UTC)
BASE = "https://shagym.example.kz"


def _alert(base_url):
    case = Case(id=7, number="SH-2026-00007", channel="telegram", text="<b>x</b>",
                commission_code="AKM", due_at=NOW, created_at=NOW)  # fmt: skip
    notification = Notification(idempotency_key="k", kind="alert", channel="email",
                                recipient="akm@example.kz", message_id="<m@x>")  # fmt: skip
    cfg = MailConfig("Shagym <hotline@example.kz>", ZONE, Path("/nonexistent"),
                     web_base_url=base_url)  # fmt: skip
    return compose(Loaded(notification, case=case), cfg)


def test_it_links_the_alert_email_to_the_case_page():
    mail = _alert(BASE)
    assert f'<a href="{BASE}/cases/SH-2026-00007"' in mail.html
    assert f"{BASE}/cases/SH-2026-00007" in mail.text


def test_it_leaves_the_alert_without_a_link_when_no_base_url_is_set():
    mail = _alert(None)
    assert "/cases/" not in mail.html and "/cases/" not in mail.text


def test_it_links_the_telegram_card_number():
    case = Case(number="SH-2026-00007", channel="telegram", text="<i>x</i>", commission_code="AKM",
                due_at=NOW, created_at=NOW)  # fmt: skip
    card = render_card(CardData(case=case), "ru", ZONE, case_url=f"{BASE}/cases/SH-2026-00007")
    assert f'<a href="{BASE}/cases/SH-2026-00007">SH-2026-00007</a>' in card


def test_it_links_digest_rows_when_the_window_knows_the_base_url():
    class Row:
        number, category, region, district, commission_code = "SH-2026-00007", "other", "AKM", None, "AKM"
        created_at, due_at, subject, snippet = NOW, NOW + dt.timedelta(days=3), None, "x"

    window = Window(since=NOW - dt.timedelta(days=1), until=NOW, zone=ZONE, web_base_url=BASE)
    assert case_row(Row, window, "ru")["url"] == f"{BASE}/cases/SH-2026-00007"
    plain = Window(since=NOW - dt.timedelta(days=1), until=NOW, zone=ZONE)
    assert case_row(Row, plain, "ru")["url"] is None

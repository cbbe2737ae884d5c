"""RFC 3834: which mail may be acknowledged automatically, and which is automatic itself."""

from __future__ import annotations

import pytest

from mail_ingest.parser import parse_email
from mail_ingest.rules import ack_refusal, automatic_reason, is_our_loop, robot_reason

OURS = "hotline@localhost"


def headers_of(extra: str = "", sender: str = "citizen@mail.kz"):  # type: ignore[no-untyped-def]
    raw = f"From: {sender}\r\nSubject: x\r\nMessage-ID: <1@mail.kz>\r\n{extra}\r\nbody\r\n"
    return parse_email(raw.encode()).headers


def test_it_acknowledges_a_person() -> None:
    assert ack_refusal(headers_of(), OURS) is None


def test_it_acknowledges_auto_submitted_no() -> None:
    assert ack_refusal(headers_of("Auto-Submitted: no\r\n"), OURS) is None


@pytest.mark.parametrize(
    ("extra", "sender"),
    [
        ("Auto-Submitted: auto-replied\r\n", "citizen@mail.kz"),
        ("Auto-Submitted: auto-generated\r\n", "citizen@mail.kz"),
        ("Precedence: bulk\r\n", "citizen@mail.kz"),
        ("Precedence: list\r\n", "citizen@mail.kz"),
        ("Precedence: junk\r\n", "citizen@mail.kz"),
        ("List-Id: <news.mail.kz>\r\n", "citizen@mail.kz"),
        ("List-Unsubscribe: <mailto:u@mail.kz>\r\n", "citizen@mail.kz"),
        ("Return-Path: <>\r\n", "citizen@mail.kz"),
        ("X-Autoreply: yes\r\n", "citizen@mail.kz"),
        ("", "MAILER-DAEMON@mx.mail.kz"),
        ("", "postmaster@mail.kz"),
        ("", "noreply@gov.kz"),
        ("", "no-reply@egov.kz"),
        ("", "news-request@lists.kz"),
        ("", OURS),
        (f"X-Loop: {OURS}\r\n", "citizen@mail.kz"),
    ],
)
def test_it_never_acknowledges_automatic_or_list_mail(extra: str, sender: str) -> None:
    assert ack_refusal(headers_of(extra, sender), OURS)


def test_it_never_acknowledges_mail_without_a_sender() -> None:
    assert ack_refusal(headers_of(sender="undisclosed-recipients:;"), OURS) == "no sender address"


def test_it_tells_automatic_replies_from_people() -> None:
    assert automatic_reason(headers_of("Auto-Submitted: auto-replied\r\n"))
    assert automatic_reason(headers_of("Precedence: bulk\r\n")) is None  # a list, not a robot
    assert automatic_reason(headers_of()) is None


def test_it_recognises_our_own_x_loop() -> None:
    assert is_our_loop(headers_of(f"X-Loop: Shagym <{OURS}>\r\n"), OURS)
    assert not is_our_loop(headers_of("X-Loop: other@mail.kz\r\n"), OURS)


def test_it_calls_robots_only_what_the_headers_state() -> None:
    # People write from noreply-looking addresses too: such mail is a case, unacknowledged.
    assert robot_reason(headers_of(sender="noreply@gov.kz"), OURS) is None
    assert robot_reason(headers_of("Return-Path: <>\r\n"), OURS) is None
    assert robot_reason(headers_of("Precedence: bulk\r\n"), OURS) == "bulk mail (Precedence: bulk)"

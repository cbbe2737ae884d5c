"""When the hotline must not answer a message automatically (RFC 3834), as pure functions.

Three questions: is this message itself automatic (then it is never recorded as someone's
answer or follow-up), was it sent by a robot or a list at all (then it opens no case: it is kept
in the ignored list, where a person may promote it), and may a new case from it be
acknowledged. The "one acknowledgement per sender per day" rule needs the outbox and lives in
`mail_ingest.decide`.
"""

from __future__ import annotations

import email.utils
import re

from mail_ingest.headers import MailHeaders, clean_address

_ROBOT_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "do_not_reply",
        "bounce",
        "bounces",
        "listserv",
        "majordomo",
    }
)
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# The keyword of a structured header value, before parameters (";") or a comment ("(...)").
_KEYWORD = re.compile(r"[^;(\s]*")


def _keyword(value: str) -> str:
    match = _KEYWORD.match(value.strip())
    return match.group(0) if match else ""


def address_of(value: str) -> str:
    """The bare lower-cased address in `Name <addr>` or `addr`."""
    return clean_address(email.utils.parseaddr(value)[1] or value)


def automatic_reason(headers: MailHeaders) -> str | None:
    """Why the message was sent by a machine rather than a person (None: a person wrote it)."""
    if headers.auto_submitted and _keyword(headers.auto_submitted) != "no":
        return f"Auto-Submitted: {headers.auto_submitted}"
    if headers.autoreply_hint:
        return headers.autoreply_hint
    if _keyword(headers.precedence or "") == "auto_reply":
        return "Precedence: auto_reply"
    return None


def robot_reason(headers: MailHeaders, our_address: str) -> str | None:
    """Why this message was sent by a machine or a list rather than by a person writing to the
    hotline (None: a person). Such mail opens no case and alerts no one.

    Only what the headers state: a robot-looking local part (noreply@) or an empty Return-Path
    is not enough here, since people do send real reports from such addresses; those still
    open a case, unacknowledged (`ack_refusal`)."""
    if is_our_loop(headers, our_address):
        return "mail loop: our own X-Loop"
    if headers.from_address and headers.from_address == our_address:
        return "sent from our own address"
    automatic = automatic_reason(headers)
    if automatic:
        return f"automatic reply ({automatic})"
    precedence = _keyword(headers.precedence or "")
    if precedence in _BULK_PRECEDENCE:
        return (
            f"{'mailing-list' if precedence == 'list' else 'bulk'} mail (Precedence: {precedence})"
        )
    if headers.list_id:
        return "mailing-list mail (List-Id)"
    if headers.list_unsubscribe:
        return "mailing-list mail (List-Unsubscribe)"
    return None


def robot_sender(address: str) -> bool:
    local = address.split("@", 1)[0]
    return (
        local in _ROBOT_LOCAL_PARTS
        or local.startswith(("owner-", "noreply", "no-reply", "bounce"))
        or local.endswith(("-request", "-bounces", "-owner"))
    )


def ack_refusal(headers: MailHeaders, our_address: str) -> str | None:
    """Why no acknowledgement may be sent for this message (None: one may be)."""
    reason = automatic_reason(headers)
    if reason:
        return reason
    if _keyword(headers.precedence or "") in _BULK_PRECEDENCE:
        return f"Precedence: {headers.precedence}"
    if headers.list_id:
        return "List-Id present"
    if headers.list_unsubscribe:
        return "List-Unsubscribe present"
    if headers.suppress_auto_response:
        return f"X-Auto-Response-Suppress: {headers.suppress_auto_response}"
    if headers.return_path == "":
        return "empty Return-Path"
    sender = headers.from_address
    if not sender:
        return "no sender address"
    if robot_sender(sender):
        return f"automated sender {sender.split('@', 1)[0]}@"
    if sender == our_address:
        return "sent from our own address"
    if is_our_loop(headers, our_address):
        return "our own X-Loop"
    return None


def is_our_loop(headers: MailHeaders, our_address: str) -> bool:
    """The message carries our X-Loop: it is our own mail coming back."""
    return any(address_of(value) == our_address for value in headers.x_loop)

"""From a loaded notification to an email draft: template context, headers, attachments."""

from __future__ import annotations

import base64
import email.utils
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from intake.attachments import read_bytes
from intake.receipts import format_code
from models.tables import CaseStatus
from notify.content import Loaded
from notify.images import is_image, stripped_copy
from notify.mailmsg import Draft, FilePart
from notify.render import render
from notify.texts import category_name, local, region_name, texts

MAX_EMAIL_BYTES = 10 * 1024 * 1024
CHART_CID = "chart"


class CannotCompose(Exception):
    """The notification can never be rendered (its case or answer is gone): dead-letter it."""


@dataclass(frozen=True, slots=True)
class MailConfig:
    mail_from: str  # "Shagym <hotline@example.kz>"
    zone: ZoneInfo
    attachments_dir: Path
    max_email_bytes: int = MAX_EMAIL_BYTES
    web_base_url: str | None = None  # WEB_BASE_URL: case numbers link to the web console

    def case_url(self, number: str) -> str | None:
        return f"{self.web_base_url}/cases/{number}" if self.web_base_url else None

    @property
    def address(self) -> str:
        return _address(self.mail_from)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"


@functools.lru_cache(maxsize=16)
def _address(mail_from: str) -> str:
    # Asked twice for every message sent; parsing the address is ~0.1 ms each time.
    return email.utils.parseaddr(mail_from)[1] or "hotline@localhost"


def case_context(loaded: Loaded, cfg: MailConfig, language: str) -> dict[str, Any]:
    """The case as a commission sees it: never who reported, unless they shared a contact."""
    case = loaded.case
    if case is None:
        raise CannotCompose("the case is gone")
    return {
        "number": case.number,
        "url": cfg.case_url(case.number),
        "region": region_name(case.region, language),
        "district": case.district,
        "category": category_name(case.category, language),
        "received": local(case.created_at, cfg.zone),
        "due": local(case.due_at, cfg.zone, with_time=False),
        "channel": case.channel,
        "subject": case.subject,
        "text": case.text,
        "contact": loaded.contact,
        "related": loaded.related,
    }


def _evidence(loaded: Loaded, cfg: MailConfig, budget: int) -> tuple[list[FilePart], list[dict]]:
    """Images (stripped) attached while they fit in `budget` encoded bytes; the rest listed."""
    attached: list[FilePart] = []
    listed: list[dict[str, Any]] = []
    for item in loaded.attachments:
        copy = None
        if is_image(item.mime_type) and item.size * 4 // 3 < budget:
            content = read_bytes(cfg.attachments_dir, item.path)
            copy = stripped_copy(content) if content is not None else None
        if copy is not None and len(copy[0]) * 4 // 3 + 1024 <= budget:
            content, mime = copy
            extension = "png" if mime == "image/png" else "jpg"
            attached.append(FilePart(f"evidence-{item.sha256[:12]}.{extension}", content, mime))
            budget -= len(content) * 4 // 3 + 1024
            continue
        listed.append(
            {
                "name": item.original_name or item.sha256[:12],
                "mime_type": item.mime_type,
                "size_kb": max(1, item.size // 1024),
                "sha256": item.sha256[:12],
            }
        )
    return attached, listed


def _alert(loaded: Loaded, cfg: MailConfig, language: str) -> tuple[dict[str, Any], list]:
    context = case_context(loaded, cfg, language)
    source = loaded.rerouted_from
    context["rerouted_from"] = source.name if source else None
    context["reason"] = loaded.payload.get("reason")
    files, listed = _evidence(loaded, cfg, cfg.max_email_bytes - 256 * 1024)
    context["attached"] = len(files)
    context["listed"] = listed
    return context, files


def _followup(loaded: Loaded, cfg: MailConfig, language: str) -> tuple[dict[str, Any], list]:
    """What a citizen added to a case, under the case's heading; `loaded.attachments` are
    only the files this message brought."""
    if loaded.followup is None:
        raise CannotCompose("the follow-up message is gone")
    context, files = _alert(loaded, cfg, language)
    assert loaded.case is not None
    context["added"] = loaded.followup.text
    context["added_at"] = local(loaded.followup.created_at, cfg.zone)
    context["new_files"] = len(loaded.attachments)
    context["closed"] = loaded.case.status == CaseStatus.resolved
    return context, files


def _citizen_context(loaded: Loaded, cfg: MailConfig, language: str) -> dict[str, Any]:
    case = loaded.case
    if case is None:
        raise CannotCompose("the case is gone")
    context: dict[str, Any] = {"number": case.number, "due": local(case.due_at, cfg.zone, False)}
    if loaded.notification.kind == "ack":
        code = loaded.payload.get("receipt_code")
        context["code"] = format_code(code) if code else None
    else:
        if loaded.answer is None:
            raise CannotCompose("the answer is gone")
        context["answer"] = loaded.answer.text
    return context


def _threading(loaded: Loaded) -> dict[str, str]:
    if not loaded.in_reply_to:
        return {}
    return {"In-Reply-To": loaded.in_reply_to, "References": loaded.in_reply_to}


def compose(loaded: Loaded, cfg: MailConfig) -> Draft:
    """The draft of one email notification (ack, alert, relay or digest)."""
    n = loaded.notification
    language = n.language if n.language in ("ru", "kk", "en") else "ru"
    headers = {"X-Loop": cfg.address}
    files: list[FilePart] = []
    related: dict[str, FilePart] = {}
    if n.kind == "digest":
        payload = loaded.payload
        subject, text, html = payload["subject"], payload["text"], payload["html"]
        if payload.get("chart_png"):
            chart = base64.b64decode(payload["chart_png"])
            related[f"{CHART_CID}@{cfg.domain}"] = FilePart("chart.png", chart, "image/png")
        headers["Auto-Submitted"] = "auto-generated"
    else:
        template = "alert_followup" if loaded.is_followup else n.kind
        if n.kind == "alert":
            build = _followup if loaded.is_followup else _alert
            context, files = build(loaded, cfg, language)
            headers["Auto-Submitted"] = "auto-generated"
        else:
            context = _citizen_context(loaded, cfg, language)
            headers["Auto-Submitted"] = "auto-replied"
            headers.update(_threading(loaded))
        context.update(t=texts(language), lang=language)
        rendered = render(template, context)
        subject, text, html = rendered.subject, rendered.text, rendered.html
    if not n.message_id:
        raise CannotCompose("no Message-ID was stored before sending")
    return Draft(
        mail_from=cfg.mail_from,
        to=n.recipient,
        subject=subject,
        text=text,
        html=html,
        message_id=n.message_id,
        headers=headers,
        related=related,
        files=files,
    )

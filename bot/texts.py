"""Texts the bot composes from several parts. Every untrusted fragment is escaped here."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.draft import MAX_FILES, MIN_TEXT, Draft
from bot.i18n import ngettext
from bot.regions import region_name
from intake.category import label
from intake.receipts import format_code

PREVIEW = 2500  # characters of the description shown in the summary


def due_text(due_at: dt.datetime, zone: ZoneInfo, language: str) -> str:
    return format_date(due_at.astimezone(zone).date(), format="long", locale=language)


def welcome(name: str) -> str:
    return (
        _(
            "Hello, {name}!\n\n"
            "This bot takes reports of violations and passes each one to the regional commission "
            "responsible for it. It takes a few minutes, and you may stay anonymous."
        ).format(name=escape(name))
        + "\n\n"
        + privacy()
    )


def privacy() -> str:
    return _(
        "🔒 <b>Privacy.</b> The commission sees your report, your files and a case number. It "
        "does not see your name, username or phone number unless you choose to share a "
        "contact. To follow up you get a receipt code, not an account."
    )


def about() -> str:
    return _(
        "<b>About the hotline</b>\n\n"
        "Every report becomes a case with its own number and goes to the commission of the "
        "region it is about. The commission has to answer within 15 working days; its answer "
        "comes to this chat.\n\n"
        "/report: a new report\n"
        "/status: check a report with its receipt code\n"
        "/language: change the language\n"
        "/cancel: cancel the current report"
    )


def step_prompt(step: str, draft: Draft) -> str:
    if step == "category":
        return _("<b>Step 1 of 5.</b> What is the report about? Choose the closest category.")
    if step == "region":
        text = _("<b>Step 2 of 5.</b> In which region did it happen?")
        if draft.suggested:
            text += "\n" + _("📍 Regions named in your text are at the top.")
        return text
    if step == "place":
        return _(
            "<b>Step 3 of 5.</b> Where exactly? Write the district, town or village, or the "
            "organisation, for example: <i>Burabay district, Shchuchinsk, school No. 2</i>. "
            "You can skip this question."
        )
    if step == "text":
        return _(
            "<b>Step 4 of 5.</b> Describe what happened: who did what, where and when. Please "
            "write at least {min} characters.\n\n"
            "You can also send evidence: photos, documents, videos or voice messages, up to "
            "{files} files of up to 20 MB each. When you have finished, press «Next»."
        ).format(min=MIN_TEXT, files=MAX_FILES)
    return _(
        "<b>Step 5 of 5.</b> May the commission contact you?\n\n"
        "By default you stay anonymous: the commission will not know who you are. If you "
        "share a phone number or an email address, only the commission handling your report "
        "will see it."
    )


def contact_line(draft: Draft) -> str:
    if draft.contact == "phone" and draft.phone:
        return _("phone {phone}").format(phone=escape(draft.phone))
    if draft.contact == "email" and draft.email:
        return _("email {email}").format(email=escape(draft.email))
    return _("anonymous")


def summary(draft: Draft, language: str) -> str:
    text = draft.text if len(draft.text) <= PREVIEW else draft.text[:PREVIEW] + "…"
    lines = [
        _("<b>Please check your report.</b>"),
        "",
        _("Category: {value}").format(value=escape(label(draft.category or "other", language))),
        _("Region: {value}").format(value=escape(region_name(draft.region or "", language))),
        _("Place: {value}").format(value=escape(draft.place) if draft.place else _("not given")),
        _("Files: {value}").format(value=len(draft.evidence)),
        _("Contact: {value}").format(value=contact_line(draft)),
        "",
        _("<b>What happened:</b>"),
        f"<blockquote>{escape(text)}</blockquote>",
    ]
    return "\n".join(lines)


def confirmation(number: str, code: str, commission: str, due: str, anonymous: bool) -> str:
    text = _(
        "✅ <b>Your report has been sent.</b>\n\n"
        "Case number: <b>{number}</b>\n"
        "Receipt code: <code>{code}</code>\n"
        "Handled by: {commission}\n"
        "Answer due by: {due}\n\n"
        "Keep the receipt code: with it you can check the report and add information "
        "(/status). We store it only in a form nobody can read back, so we cannot send it to "
        "you again."
    ).format(number=escape(number), code=format_code(code), commission=escape(commission), due=due)
    if anonymous:
        text += "\n\n" + _("The commission does not know who you are.")
    return text


def text_saved(draft: Draft) -> str:
    count = len(draft.text)
    return ngettext(
        "Saved. The description is {count} character long. You can add more, send files, "
        "or press «Next».",
        "Saved. The description is {count} characters long. You can add more, send files, "
        "or press «Next».",
        count,
    ).format(count=count)

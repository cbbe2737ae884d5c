"""Pages rendered with Jinja2 (autoescaped: every report is hostile input) in the reader's
language, from the gettext catalogues the bot uses (`locales/`, domain `bot`)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.support import NullTranslations, Translations
from starlette.requests import Request
from starlette.responses import HTMLResponse

import locales
import templates as templates_package
from models.types import utcnow
from notify.texts import category_name, region_name

LANGUAGES = ("ru", "kk", "en")
LOCALES_DIR = Path(locales.__file__).resolve().parent
TEMPLATES_DIR = Path(templates_package.__file__).resolve().parent / "web"


@cache
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], domain="bot")


def pick_language(request: Request, preferred: str | None = None) -> str:
    """The account's language, else the browser's first one we have, else Russian."""
    if preferred in LANGUAGES:
        return preferred  # type: ignore[return-value]
    for part in request.headers.get("accept-language", "").split(","):
        base = part.split(";")[0].strip().split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return "ru"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def compile_all() -> None:
    """Compile every template now (~65 ms), not in the first pages a new process serves:
    50 users arriving at once would otherwise all wait behind the compiling."""
    env = environment()
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        env.get_template(name)


def _local(moment: dt.datetime | None, zone: ZoneInfo, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return moment.astimezone(zone).strftime(fmt) if moment else ""


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render `templates/web/<name>` for this request. Rendering is synchronous, so the
    translations installed here cannot leak into another request's page."""
    language = context.get("language") or pick_language(request)
    env = environment()
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    zone = request.app.state.settings.zone
    page = env.get_template(name).render(
        {
            "request": request,
            "now": utcnow(),
            "language": language,
            "region_name": lambda code: region_name(code, language),
            "category_name": lambda code: category_name(code, language),
            "local": lambda moment, fmt="%d.%m.%Y %H:%M": _local(moment, zone, fmt),
            **context,
        }
    )
    return HTMLResponse(page, status_code=status_code)

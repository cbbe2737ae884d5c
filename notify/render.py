"""Rendering a template triplet (`name.subject.txt`, `name.txt`, `name.html`) with Jinja2.

HTML is autoescaped; the text part is plain text (nothing in it is interpreted by a mail
client); the subject is squeezed onto one line by `mailmsg.header_text` when the message is
built. Case text is only ever a variable's value, so `{{ }}` inside it is never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

import templates as templates_package

TEMPLATES_DIR = Path(templates_package.__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def _shorten(value: str | None, limit: int = 80) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


@cache
def environment(directory: Path = TEMPLATES_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["shorten"] = _shorten
    return env


def render(name: str, context: dict[str, Any], directory: Path = TEMPLATES_DIR) -> Rendered:
    """Render `name`'s triplet with `context`."""
    env = environment(directory)
    return Rendered(
        subject=" ".join(env.get_template(f"{name}.subject.txt").render(context).split()),
        text=env.get_template(f"{name}.txt").render(context),
        html=env.get_template(f"{name}.html").render(context),
    )

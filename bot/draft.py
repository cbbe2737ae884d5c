"""A report being written, kept in the FSM data under "draft" until it is sent."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State

MIN_TEXT = 30  # characters: about one sentence
MAX_TEXT = 20_000
MAX_FILES = 10
STEPS = ("category", "region", "place", "text", "contact", "summary")


@dataclass(slots=True)
class Evidence:
    sha256: str
    size: int
    mime_type: str
    kind: str  # photo, document, video, voice, video_note, audio
    name: str | None = None


@dataclass(slots=True)
class Draft:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = "guided"  # or "free": started from a message the citizen just wrote
    category: str | None = None
    region: str | None = None
    suggested: list[str] = field(default_factory=list)  # regions the text named
    place: str | None = None
    place_done: bool = False
    place_pending: str | None = None  # typed, waiting for a choice among suggestions
    place_suggestions: list[str] = field(default_factory=list)
    text: str = ""
    text_done: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    album: str | None = None  # the last media group acknowledged
    contact: str | None = None  # anonymous, phone or email
    phone: str | None = None
    email: str | None = None

    def next_step(self) -> str:
        if self.category is None:
            return "category"
        if self.region is None:
            return "region"
        if not self.place_done:
            return "place"
        if not self.text_done or len(self.text.strip()) < MIN_TEXT:
            return "text"
        if self.contact is None:
            return "contact"
        return "summary"

    def add_text(self, text: str) -> None:
        text = text.strip()
        if text:
            self.text = f"{self.text}\n\n{text}".strip()[:MAX_TEXT]

    def reopen(self, step: str) -> None:
        """Ask a step again (Edit in the summary)."""
        if step == "category":
            self.category = None
        elif step == "region":
            self.region = None
        elif step == "place":
            self.place_done, self.place_pending, self.place_suggestions = False, None, []
        elif step == "text":
            self.text_done = False
        elif step == "contact":
            self.contact, self.phone, self.email = None, None, None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        values = dict(data)
        values["evidence"] = [Evidence(**item) for item in values.get("evidence", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def draft_in(data: dict[str, Any]) -> Draft | None:
    """The draft kept in a dialogue's data, if any (for a handler that read the data already)."""
    raw = data.get("draft")
    return Draft.from_dict(raw) if raw else None


async def load_draft(state: FSMContext) -> Draft | None:
    return draft_in(await state.get_data())


async def save_draft(state: FSMContext, draft: Draft, step: State | None = None) -> None:
    """Keep the draft, and move to `step` when given, in one write where the storage can."""
    if step is None:
        await state.update_data(draft=draft.as_dict())
        return
    update_record = getattr(state.storage, "update_record", None)
    if update_record is not None:
        await update_record(state.key, step, {"draft": draft.as_dict()})
        return
    await state.set_state(step)
    await state.update_data(draft=draft.as_dict())

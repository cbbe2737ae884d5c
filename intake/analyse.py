"""The pure analysis of one text: language, region, category and entities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.category import rule_scores
from intake.classifier import categorise
from intake.cleanup import CleanText, clean
from intake.entities import Entities, extract_entities
from intake.language import detect_language
from intake.region import RegionResult, detect_region


@dataclass(slots=True)
class Analysis:
    text: CleanText
    language: str
    region: RegionResult
    category: str
    category_score: float  # what the editable rules matched for that category
    category_confidence: float  # the model's calibrated probability of it
    entities: Entities
    # The model is unsure of the category (below `triage_below` in categories.toml): the case
    # goes to the central committee's triage, as one with no region does.
    category_triage: bool = False

    def as_json(self) -> dict[str, Any]:
        """The `shagym analyse` output contract."""
        return {
            "region": self.region.region,
            "district": self.region.district,
            "category": self.category,
            "language": self.language,
            "confidence": self.region.confidence,
            "category_score": self.category_score,
            "category_confidence": self.category_confidence,
            "category_triage": self.category_triage,
            "entities": self.entities.as_dict(),
            "spans": [span.as_dict() for span in self.region.spans],
        }


def analyse(text: str = "", html: str | None = None, *, default_language: str = "ru") -> Analysis:
    cleaned = clean(text, html)
    body = cleaned.text
    category = categorise(body, rule_scores(body))
    return Analysis(
        text=cleaned,
        language=detect_language(body, default=default_language),
        region=detect_region(body),
        category=category.category,
        category_score=category.rule_score,
        category_confidence=category.probability,
        entities=extract_entities(body),
        category_triage=category.triage,
    )

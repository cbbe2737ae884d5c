"""The pure analysis of one text: language, region, category and entities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.category import classify
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
    category_score: float
    category_confidence: float
    entities: Entities

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
            "entities": self.entities.as_dict(),
            "spans": [span.as_dict() for span in self.region.spans],
        }


def analyse(text: str = "", html: str | None = None, *, default_language: str = "ru") -> Analysis:
    cleaned = clean(text, html)
    body = cleaned.text
    category = classify(body)
    return Analysis(
        text=cleaned,
        language=detect_language(body, default=default_language),
        region=detect_region(body),
        category=category.category,
        category_score=category.score,
        category_confidence=category.confidence,
        entities=extract_entities(body),
    )

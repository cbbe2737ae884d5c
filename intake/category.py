"""Category of a report from editable rules (`intake/data/categories.toml`)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from intake.gazetteer import fold, kk_stems, lemmas, tokenize

CATEGORIES = (
    "fake_membership",
    "shared_contacts",
    "coercion",
    "vote_buying",
    "voting_fraud",
    "procedure",
    "other",
)
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    labels: dict[str, str]
    lemmas: dict[str, float]
    patterns: tuple[tuple[re.Pattern[str], float], ...]


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    score: float  # total weight of what matched for the winning category
    confidence: float  # its share of all weight that matched


class RulesError(ValueError):
    """The rules file is malformed; the message names the entry."""


def parse_rules(text: str) -> tuple[Rule, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"category rules are not valid TOML: {exc}") from None
    rules = []
    for code, body in data.items():
        if code not in CATEGORIES:
            raise RulesError(f"unknown category {code!r}; use one of {', '.join(CATEGORIES)}")
        try:
            patterns = tuple((re.compile(p), float(w)) for p, w in body.get("patterns", []))
        except (re.error, ValueError, TypeError) as exc:
            raise RulesError(f"category {code}: bad pattern: {exc}") from None
        rules.append(
            Rule(
                code=code,
                labels=dict(body.get("labels", {})),
                lemmas={fold(k): float(v) for k, v in body.get("lemmas", {}).items()},
                patterns=patterns,
            )
        )
    return tuple(rules)


@cache
def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    if path is not None:
        return parse_rules(path.read_text(encoding="utf-8"))
    return parse_rules(
        (resources.files("intake") / "data" / "categories.toml").read_text(encoding="utf-8")
    )


def label(code: str, language: str = "ru") -> str:
    for rule in load_rules():
        if rule.code == code:
            return rule.labels.get(language) or rule.labels.get("ru") or code
    return {"ru": "Другое", "kk": "Басқа", "en": "Other"}.get(language, "Другое")


def _word_keys(text: str) -> set[str]:
    keys: set[str] = set()
    for match in tokenize(text):
        word = match.group()
        folded = fold(word)
        keys.add(folded)
        if not word.isascii():
            keys |= lemmas(word)
            keys |= kk_stems(folded)
    return keys


def classify(text: str, rules: tuple[Rule, ...] | None = None) -> CategoryResult:
    rules = rules or load_rules()
    text = text[:50_000]
    lowered = text.lower().replace("ё", "е")
    keys = _word_keys(text)
    scores = {}
    for rule in rules:
        score = sum(w for lemma, w in rule.lemmas.items() if lemma in keys)
        score += sum(w for pattern, w in rule.patterns if pattern.search(lowered))
        if score > 0:
            scores[rule.code] = score
    if not scores:
        return CategoryResult(OTHER, 0.0, 0.0)
    best = max(scores, key=lambda code: scores[code])
    return CategoryResult(best, scores[best], round(scores[best] / sum(scores.values()), 3))

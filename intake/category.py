"""Category of a report from editable rules (`intake/data/categories.toml`).

Each category has weighted lemmas (single words in their dictionary form) and weighted patterns
(phrases as regular expressions). A text scores the weights of everything that matches; the best
category wins if it reaches the file's `min_score`, otherwise the report is `other`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from intake.gazetteer import kk_stems, lemmas, text_tokens
from intake.prefilter import CASE_FOLD, LazyPattern
from intake.translit import fold, fold_cyrillic, is_cyrillic

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
DEFAULT_MIN_SCORE = 2.0
DEFAULT_TRIAGE_BELOW = 0.5
MAX_CHARS = 50_000
GAP = r"[^.!?\n]{0,40}?"  # what "…" in a pattern stands for: a few words, same sentence
_LATIN_LETTER = re.compile(r"[a-zá-žıǵńóúý]")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    labels: dict[str, str]
    lemmas: dict[str, float]
    patterns: tuple[tuple[LazyPattern, float], ...]
    # Per pattern, the literal prefixes one of which any match starts with (None: always run).
    gates: tuple[frozenset[str] | None, ...] = ()


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    min_score: float = DEFAULT_MIN_SCORE
    # The model's probability under which a case goes to central triage (see intake.classifier).
    triage_below: float = DEFAULT_TRIAGE_BELOW

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    @cached_property
    def prefixes(self) -> frozenset[str]:
        """Every gate prefix of every rule, tested against a text once."""
        return frozenset(p for rule in self.rules for gate in rule.gates if gate for p in gate)

    @cached_property
    def plan(self) -> Plan:
        return Plan(self.rules)


class Plan:
    """Indexes that let a text meet only the lemmas, prefixes and patterns it can match.

    A prefix of letters only is in a text exactly when it is inside one of the text's words
    (its runs of letters), so those are looked for word by word, once per distinct word; a
    lemma weighs only if it is one of the text's keys; a gated pattern runs only if one of its
    prefixes is present. The scores come out as the plain loop over every rule makes them:
    each rule's weights are added in the rules file's order, so even the float sums are the
    same."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.in_words: tuple[str, ...] = ()  # prefixes of letters only
        self.other: tuple[str, ...] = ()  # the rest ("смс-код"), looked for in the whole text
        self.by_word: dict[str, tuple[str, ...]] = {}
        self.gated: dict[str, list[tuple[int, int]]] = {}  # prefix -> (rule, pattern)
        # (rule, pattern) -> the other literal sets it needs (see `LazyPattern.also`)
        self.also: dict[tuple[int, int], tuple[frozenset[str], ...]] = {}
        self.always: list[list[int]] = []  # per rule, its patterns without a gate
        self.lemmas: dict[str, list[tuple[int, int, float]]] = {}  # -> (rule, order, weight)
        for r, rule in enumerate(rules):
            # zip as the plain loop does: a rule with fewer gates than patterns runs no more
            gates = list(zip(range(len(rule.patterns)), rule.gates, strict=False))
            self.always.append([k for k, gate in gates if gate is None])
            for k, gate in gates:
                for prefix in gate or ():
                    self.gated.setdefault(prefix, []).append((r, k))
                also = rule.patterns[k][0].also if gate is not None else ()
                if also:
                    self.also[(r, k)] = also
            for order, (lemma, weight) in enumerate(rule.lemmas.items()):
                self.lemmas.setdefault(lemma, []).append((r, order, weight))
        watched = sorted(set(self.gated).union(*(s for sets in self.also.values() for s in sets)))
        self.in_words = tuple(p for p in watched if _WORD.fullmatch(p))
        self.other = tuple(p for p in watched if not _WORD.fullmatch(p))

    def _in_word(self, word: str) -> tuple[str, ...]:
        found = self.by_word.get(word)
        if found is None:
            found = tuple(p for p in self.in_words if p in word)
            if len(self.by_word) < 200_000:
                self.by_word[word] = found
        return found

    def present(self, text: str) -> set[str]:
        """The gate prefixes (and the other required literals) in a text."""
        found = {p for word in set(_WORD.findall(text)) for p in self._in_word(word)}
        found.update(p for p in self.other if p in text)
        return found

    def patterns(self, text: str) -> list[list[int]]:
        """Per rule, the patterns to run on a text (its views joined), in the file's order."""
        present = self.present(text)
        # The `also` literals are case-folded (see intake.prefilter.CASE_FOLD); so is the text
        # they are looked for in. It is the same text unless it has a letter like ı or ſ.
        folded = text.translate(CASE_FOLD) if CASE_FOLD is not None else text
        present_folded = present if folded == text else self.present(folded)
        run = [set(always) for always in self.always]
        also = self.also
        for prefix in present:
            for r, k in self.gated.get(prefix, ()):
                sets = also.get((r, k))
                if sets is None or all(not s.isdisjoint(present_folded) for s in sets):
                    run[r].add(k)
        return [sorted(ks) for ks in run]

    def lemma_scores(self, keys: set[str], count: int) -> list[float]:
        """Per rule, the weights of its lemmas among the keys, summed in the file's order."""
        hits: list[list[tuple[int, float]]] = [[] for _ in range(count)]
        for lemma in keys.intersection(self.lemmas):
            for r, order, weight in self.lemmas[lemma]:
                hits[r].append((order, weight))
        return [sum(w for _, w in sorted(found)) for found in hits]


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    score: float  # total weight of what matched for the winning category
    confidence: float  # its share of all weight that matched


class RulesError(ValueError):
    """The rules file is malformed; the message names the entry."""


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where}: the weight must be a number, not {value!r}")
    return float(value)


def _pattern(source: Any, where: str) -> LazyPattern:
    if not isinstance(source, str) or not source:
        raise RulesError(f"{where}: the pattern must be a non-empty string")
    try:
        return LazyPattern(fold_cyrillic(source).replace("…", GAP), re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: bad regular expression {source!r}: {exc}") from None


def _rule(code: str, body: Any) -> Rule:
    if code not in CATEGORIES:
        raise RulesError(f"unknown category {code!r}; use one of {', '.join(CATEGORIES)}")
    if not isinstance(body, dict):
        raise RulesError(f"category {code}: expected a table with labels, lemmas and patterns")
    unknown = set(body) - {"labels", "lemmas", "patterns"}
    if unknown:
        raise RulesError(f"category {code}: unknown key(s) {', '.join(sorted(unknown))}")
    labels, words, patterns = (
        body.get("labels", {}),
        body.get("lemmas", {}),
        body.get("patterns", []),
    )
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise RulesError(f"category {code}: labels must be a table of strings")
    if not isinstance(words, dict):
        raise RulesError(f"category {code}: lemmas must be a table of word = weight")
    if not isinstance(patterns, list):
        raise RulesError(f"category {code}: patterns must be a list of [regex, weight]")
    compiled = []
    for n, item in enumerate(patterns, start=1):
        where = f"category {code}, pattern {n}"
        if not isinstance(item, list) or len(item) != 2:
            raise RulesError(f"{where}: expected [regex, weight], got {item!r}")
        compiled.append((_pattern(item[0], where), _weight(item[1], where)))
    return Rule(
        code=code,
        labels=dict(labels),
        lemmas={fold(k): _weight(v, f"category {code}, lemma {k!r}") for k, v in words.items()},
        patterns=tuple(compiled),
        gates=tuple(pattern.gate for pattern, _ in compiled),
    )


def parse_rules(text: str) -> Rules:
    """Rules from the TOML text; a malformed file raises RulesError naming the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"category rules are not valid TOML: {exc}") from None
    min_score = _weight(data.pop("min_score", DEFAULT_MIN_SCORE), "min_score")
    triage_below = _weight(data.pop("triage_below", DEFAULT_TRIAGE_BELOW), "triage_below")
    if not 0 <= triage_below <= 1:
        raise RulesError(f"triage_below: a probability between 0 and 1, not {triage_below}")
    rules = tuple(_rule(code, body) for code, body in data.items())
    return Rules(rules, min_score, triage_below)


@cache
def load_rules(path: Path | None = None) -> Rules:
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


@lru_cache(maxsize=200_000)
def _keys_of(word: str) -> frozenset[str]:
    folded = fold(word)
    keys = {folded} | kk_stems(folded)
    if is_cyrillic(word):
        keys |= lemmas(word)
    return frozenset(keys)


def _word_keys(text: str) -> set[str]:
    keys: set[str] = set()
    for match in text_tokens(text):
        keys |= _keys_of(match.group())
    return keys


def _views(text: str) -> tuple[str, ...]:
    """The text as patterns see it; Kazakh in Latin letters also transliterated to Cyrillic."""
    plain = fold_cyrillic(text.lower())
    if not _LATIN_LETTER.search(plain):
        return (plain,)
    return plain, _WORD.sub(lambda m: fold(m.group()), plain)


def rule_scores(text: str, rules: Rules | tuple[Rule, ...] | None = None) -> dict[str, float]:
    """The total weight each category's rules match in a text (categories with none left out)."""
    rules = load_rules() if rules is None else rules
    if isinstance(rules, tuple):
        rules = Rules(rules)
    text = text[:MAX_CHARS]
    views = _views(text)
    keys = _word_keys(text)
    plan = rules.plan
    run = plan.patterns("\n".join(views))
    lemma_scores = plan.lemma_scores(keys, len(rules.rules))
    scores = {}
    for rule, score, ks in zip(rules, lemma_scores, run, strict=True):
        for k in ks:
            pattern, weight = rule.patterns[k]
            if any(pattern.search(view) for view in views):
                score += weight
        if score > 0:
            scores[rule.code] = score
    return scores


def from_scores(scores: dict[str, float], min_score: float = DEFAULT_MIN_SCORE) -> CategoryResult:
    """The rules' answer from their scores: the best, or `other` below `min_score`."""
    if not scores or max(scores.values()) < min_score:
        return CategoryResult(OTHER, 0.0, 0.0)
    best = max(scores, key=lambda code: scores[code])
    return CategoryResult(best, scores[best], round(scores[best] / sum(scores.values()), 3))


def classify(text: str, rules: Rules | tuple[Rule, ...] | None = None) -> CategoryResult:
    """The rules' category of a text, or `other` when nothing reaches `min_score`.

    This is the rules alone; `intake.classifier.categorise` is what the intake uses (the
    trained model with the rules' scores among its features)."""
    rules = load_rules() if rules is None else rules
    if isinstance(rules, tuple):
        rules = Rules(rules)
    return from_scores(rule_scores(text, rules), rules.min_score)

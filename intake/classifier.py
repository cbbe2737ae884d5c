"""The trained category model: a linear classifier over TF-IDF terms and the rules' scores.

The model is trained by `shagym train category` (scikit-learn, `shagym/train_category.py`) and
shipped as `intake/data/category_model.json.gz`: the vocabulary, IDF weights and coefficients
of each block of terms (`intake.textfeatures`), the coefficients of the rules' scores
(`intake.category.rule_scores`), and a temperature that calibrates the probabilities. Running
it needs neither scikit-learn nor numpy — a text has a few hundred terms, summed here with
tuples and `map` — so the one-text `shagym analyse` stays quick. The file is ours (built from
the corpus in the repository, shipped in the wheel); it is JSON, so loading it runs no code.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import struct
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import chain
from operator import mul
from pathlib import Path
from typing import Any

from intake.category import CATEGORIES, load_rules, rule_scores
from intake.textfeatures import terms_of_words, word_forms, word_grams, words

MODEL_FILE = "category_model.json.gz"
FORMAT = 1
# Below this share of known words (of three letters or more) a text is not one the model can
# read — binary junk, another language — and it is `other`, for triage to look at.
MIN_KNOWN_WORDS = 0.1


@dataclass(frozen=True, slots=True)
class Block:
    index: dict[str, int]
    idf: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]  # per class, one weight per term
    sublinear: bool = True  # term counts damped by log (else taken as they are)
    # Per word, for a block of raw counts whose terms are made word by word (character
    # n-grams): the positions of its terms and its part of each class's score, unnormalised.
    # Computed once per distinct word, not per text.
    by_word: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = field(default_factory=dict)
    # Per word, whether the block has a term for one of its forms (`known_share`).
    known: dict[str, bool] = field(default_factory=dict)

    def word_part(self, word: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        found = self.by_word.get(word)
        if found is None:
            index, idf = self.index, self.idf
            where = tuple(index[g] for g in word_grams(word) if g in index)
            weights = [idf[i] for i in where]
            part = tuple(sum(map(mul, weights, map(w.__getitem__, where))) for w in self.coef)
            found = (where, part)
            if len(self.by_word) < 200_000:
                self.by_word[word] = found
        return found


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    blocks: dict[str, Block]
    rule_coef: tuple[tuple[float, ...], ...]  # per class, one weight per rule category
    intercept: tuple[float, ...]
    temperature: float = 1.0
    # The rules decide when only one category's rules matched, with at least this score.
    override_at: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Categorised:
    category: str
    probability: float  # the model's calibrated probability of that category
    rule_score: float  # what the rules matched for it (0 when nothing)
    triage: bool  # below the rules file's `triage_below`: central triage decides


def _floats(data: str) -> tuple[float, ...]:
    """The stored half floats as Python floats: a tuple, not an `array` — copying ~200,000
    floats into arrays took about 5 ms of every start, and indexing an array makes a new
    float object each time, where a tuple hands out the one it holds."""
    raw = base64.b64decode(data)
    return struct.unpack(f"<{len(raw) // 2}e", raw)


def encode_floats(values: Any) -> str:
    """Half-precision little-endian floats, base64: how the artefact stores its arrays (three
    significant digits are more than a linear model's weights carry; half the file)."""
    floats = [float(v) for v in values]
    return base64.b64encode(struct.pack(f"<{len(floats)}e", *floats)).decode("ascii")


def model_from_json(data: dict[str, Any]) -> Model:
    if data.get("format") != FORMAT:
        raise ValueError(f"category model format {data.get('format')!r}, expected {FORMAT}")
    classes = tuple(data["classes"])
    blocks = {}
    for name, body in data["blocks"].items():
        terms = body["terms"].split("\n") if body["terms"] else []
        coef = _floats(body["coef"])
        size = len(terms)
        blocks[name] = Block(
            index=dict(zip(terms, range(len(terms)), strict=True)),
            idf=_floats(body["idf"]),
            coef=tuple(coef[k * size : (k + 1) * size] for k in range(len(classes))),
            sublinear=body.get("sublinear", True),
        )
    return Model(
        classes=classes,
        blocks=blocks,
        rule_coef=tuple(tuple(row) for row in data["rule_coef"]),
        intercept=tuple(data["intercept"]),
        temperature=float(data["temperature"]),
        override_at=data.get("override_at"),
        meta=data.get("meta", {}),
    )


def read_model(path: Path) -> Model:
    return model_from_json(json.loads(gzip.decompress(path.read_bytes())))


@cache
def load_model() -> Model:
    """The shipped model, read once per process at first use."""
    raw = (resources.files("intake") / "data" / MODEL_FILE).read_bytes()
    return model_from_json(json.loads(gzip.decompress(raw)))


_SUBLINEAR = tuple(1.0 + math.log(n) if n else 0.0 for n in range(64))


def _scores(block: Block, positions: list[int], sublinear: bool) -> list[float]:
    """The block's TF-IDF vector of these term positions (L2 norm, tf damped by log when
    `sublinear`, as scikit-learn's TfidfVectorizer makes it) times each class's weights."""
    counts = Counter(positions)
    if not counts:
        return [0.0] * len(block.coef)
    where = list(counts)
    if sublinear:
        tf = [_SUBLINEAR[n] if n < 64 else 1.0 + math.log(n) for n in counts.values()]
    else:
        tf = [float(n) for n in counts.values()]
    values = list(map(mul, tf, map(block.idf.__getitem__, where)))
    norm = math.sqrt(sum(map(mul, values, values)))
    return [sum(map(mul, values, map(w.__getitem__, where))) / norm for w in block.coef]


def _word_sum_scores(block: Block, text_words: list[str]) -> list[float]:
    """`_scores` for a block of raw counts made word by word: the words' cached parts summed,
    divided by the norm of the whole text's vector."""
    cached = block.by_word
    parts = [cached.get(word) or block.word_part(word) for word in text_words]
    counts = Counter(chain.from_iterable(where for where, _ in parts))
    if not counts:
        return [0.0] * len(block.coef)
    values = list(map(mul, counts.values(), map(block.idf.__getitem__, counts)))
    norm = math.sqrt(sum(map(mul, values, values)))
    return [sum(column) / norm for column in zip(*(part for _, part in parts), strict=True)]


def _block_scores(name: str, block: Block, text_words: list[str]) -> list[float]:
    if name == "chars" and not block.sublinear:
        return _word_sum_scores(block, text_words)
    if name == "chars":
        index = block.index
        positions = [index[g] for word in text_words for g in word_grams(word) if g in index]
    elif name == "words":
        index = block.index
        positions = [index[t] for t in terms_of_words(text_words) if t in index]
    else:
        raise ValueError(f"the category model has a block {name!r} this version cannot read")
    return _scores(block, positions, block.sublinear)


def rule_vector(scores: dict[str, float]) -> list[float]:
    """The rules' scores as the model reads them: log(1 + score) per category but `other`."""
    return [math.log1p(scores.get(code, 0.0)) for code in CATEGORIES[:-1]]


def probabilities(
    text: str,
    scores: dict[str, float] | None = None,
    model: Model | None = None,
    text_words: list[str] | None = None,
) -> dict[str, float]:
    """The calibrated probability of each category for a text (`text_words`: its `words`,
    when the caller has them already)."""
    model = model or load_model()
    scores = rule_scores(text) if scores is None else scores
    logits = list(model.intercept)
    text_words = words(text) if text_words is None else text_words
    for name, block in model.blocks.items():
        for k, value in enumerate(_block_scores(name, block, text_words)):
            logits[k] += value
    rules = rule_vector(scores)
    for k, weights in enumerate(model.rule_coef):
        logits[k] += sum(map(mul, weights, rules))
    top = max(logits)
    exps = [math.exp((z - top) / model.temperature) for z in logits]
    total = sum(exps)
    return {code: e / total for code, e in zip(model.classes, exps, strict=True)}


def known_share(text_words: list[str], model: Model) -> float:
    """The share of a text's words (three letters or more) the model has a term for."""
    block = model.blocks["words"]
    long = [word for word in text_words if len(word) >= 3]
    if not long:
        return 1.0 if text_words else 0.0
    known = block.known
    count = 0
    for word in long:
        found = known.get(word)
        if found is None:
            found = any(f in block.index for f in word_forms(word))
            if len(known) < 200_000:
                known[word] = found
        count += found
    return count / len(long)


def categorise(
    text: str, scores: dict[str, float] | None = None, model: Model | None = None
) -> Categorised:
    """The model's category for a text, its probability, and whether triage must decide."""
    model = model or load_model()
    scores = rule_scores(text) if scores is None else scores
    text_words = words(text)
    if not text.strip() or known_share(text_words, model) < MIN_KNOWN_WORDS:
        return Categorised("other", 0.0, 0.0, True)
    probs = probabilities(text, scores, model, text_words)
    best = max(probs, key=lambda code: probs[code])
    if model.override_at is not None and len(scores) == 1:
        [(code, score)] = scores.items()
        if score >= model.override_at:
            best = code
    probability = round(probs[best], 3)
    triage = probability < load_rules().triage_below
    return Categorised(best, probability, scores.get(best, 0.0), triage)

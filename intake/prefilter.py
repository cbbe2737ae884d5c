"""Cheap gates for regular expressions: the literal prefixes one of which every match starts with.

Running every category pattern over every text costs a regex scan each; most patterns cannot
match most texts. A pattern like `(?:угрож|пригроз)\\w*…увольн` can only match where "угрож" or
"пригроз" occurs, and a substring test is far cheaper than the scan, so patterns run only when
one of their prefixes is in the text. A pattern without a usable prefix always runs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_c: Any
_sre: Any
try:  # the regex parser is internal to `re`; without it every pattern simply always runs
    _c = importlib.import_module("re._constants")
    _sre = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover
    _c = _sre = None

MIN_PREFIX = 2


def _case_table() -> dict[int, str] | None:
    """Letters IGNORECASE matches beyond lower case (i and ı, s and ſ, в and ᲀ…), each mapped
    to one of its class; None when `re` does not say which (then no `also` sets are made)."""
    try:
        extra = importlib.import_module("re._casefix")._EXTRA_CASES
    except (ImportError, AttributeError):  # pragma: no cover
        return None
    return {code: chr(min(code, *others)) for code, others in extra.items()}


# The same letters written one way: a literal of an `also` set and the text it is looked for
# in are both folded with it, so a text that IGNORECASE would match is never skipped.
CASE_FOLD = _case_table()
MAX_PREFIXES = 64


def _sequence(items: Any) -> tuple[set[str], bool]:
    """Prefixes of a parsed sequence, and whether every one of them is the whole sequence."""
    prefixes = {""}
    for op, av in items:
        if op is _c.LITERAL:
            prefixes = {p + chr(av) for p in prefixes}
            continue
        if op is _c.SUBPATTERN:
            sub, complete = _sequence(av[3])
        elif op is _c.BRANCH:
            parts = [_sequence(branch) for branch in av[1]]
            sub = set().union(*(p for p, _ in parts))
            complete = all(c for _, c in parts)
        else:
            return prefixes, False
        prefixes = {p + s for p in prefixes for s in sub}
        if not complete or len(prefixes) > MAX_PREFIXES:
            return prefixes, False
    return prefixes, True


def _item_prefixes(op: Any, av: Any) -> set[str] | None:
    """Prefixes of one mandatory top-level item, when it is a group of alternatives."""
    if op is _c.SUBPATTERN:
        return _sequence(av[3])[0]
    if op is _c.BRANCH:
        return set().union(*(_sequence(branch)[0] for branch in av[1]))
    if op is _c.MAX_REPEAT and av[0] >= 1:
        return _sequence(av[2])[0]
    return None


def _candidates(items: Any) -> list[set[str]]:
    """Sets of literals one of which every match contains: its prefixes, each literal run at
    the top level, and the prefixes of each mandatory group at the top level."""
    found = [_sequence(items)[0]]
    run = ""
    for op, av in items:
        if op is _c.LITERAL:
            run += chr(av)
            continue
        if run:
            found.append({run})
            run = ""
        group = _item_prefixes(op, av)
        if group:
            found.append(group)
    if run:
        found.append({run})
    return found


def literal_prefixes(pattern: re.Pattern[str] | LazyPattern) -> frozenset[str] | None:
    """Lower-case literals one of which every match of `pattern` contains; None when unknown.

    Of the candidate sets (the prefixes of a match, a literal run or a group every match must
    contain) the one with the longest shortest member wins: "уже" rather than "я|вы|ты".
    """
    if _sre is None:
        return None
    try:
        parsed = _sre.parse(pattern.pattern, pattern.flags)
    except Exception:  # an unusual construct: no gate, the pattern always runs
        return None
    return _best(parsed)


def _usable(parsed: Any) -> list[set[str]]:
    return [c for c in _candidates(parsed) if c and len(c) <= MAX_PREFIXES and "" not in c]


def _best(parsed: Any) -> frozenset[str] | None:
    usable = _usable(parsed)
    if not usable:
        return None
    best = max(usable, key=lambda c: (min(map(len, c)), -len(c)))
    if min(map(len, best)) < MIN_PREFIX:
        return None
    return frozenset(p.lower() for p in best)


def _also_required(parsed: Any, gate: frozenset[str] | None) -> tuple[frozenset[str], ...]:
    """The other candidate sets every match also holds one literal of, besides the gate,
    folded with CASE_FOLD (the text they are looked for in must be folded too)."""
    if gate is None or CASE_FOLD is None:
        return ()
    found = {frozenset(p.lower().translate(CASE_FOLD) for p in c) for c in _usable(parsed)}
    return tuple(
        sorted((c for c in found if c != gate and min(map(len, c)) >= MIN_PREFIX), key=sorted)
    )


class LazyPattern:
    """A regular expression checked at once but compiled when it first runs.

    Compiling the ~230 category patterns took about 50 ms of every start, and a gated pattern
    runs only on texts holding one of its prefixes: a one-text `shagym analyse` compiles a few.
    Parsing (which finds every syntax error) happens here, once, and also yields the gate;
    the few errors only the compiler finds (a variable-width look-behind) raise on first use.
    """

    __slots__ = ("pattern", "flags", "gate", "also", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags | re.UNICODE  # what re.compile adds for a str pattern
        self._compiled: re.Pattern[str] | None = None
        # Beyond the gate, more sets of literals every match holds one of (CASE_FOLD-ed): a
        # pattern whose gate is present runs only if these are too (`intake.category.Plan`).
        self.also: tuple[frozenset[str], ...] = ()
        if _sre is None:  # pragma: no cover
            self._compiled = re.compile(pattern, flags)
            self.gate: frozenset[str] | None = None
            return
        parsed = _sre.parse(pattern, self.flags)  # raises re.error on a malformed pattern
        try:
            self.gate = _best(parsed)
            self.also = _also_required(parsed, self.gate)
        except Exception:  # an unusual construct: no gate, the pattern always runs
            self.gate, self.also = None, ()

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled().search(text)

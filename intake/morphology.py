"""Word forms by rule: the stems a Kazakh or Russian word form of a place name can come from.

Kazakh endings are stripped layer by layer (case, possessive, personal, plural, the demonym)
in the folded alphabet, so the rules serve Cyrillic and both Latin spellings at once; Russian
case endings are stripped off names pymorphy does not know, and relational adjectives lead
back to the name they come from. Every stem is only a candidate: `intake.gazetteer` keeps the
ones some name uses.
"""

from __future__ import annotations

from functools import lru_cache

from intake.translit import fold

# Kazakh endings, by layer (a word is stem + plural + possessive + case + personal ending;
# `kk_stems` strips them outermost first, one after another), folded; longest first.
_KK_ENDINGS = {
    "case": (
        "да де та те нда нде дағы дегі тағы тегі ндағы ндегі ғы гі "  # locative, -ғы
        "ға ге қа ке на не "  # dative
        "ның нің дың дің тың тің "  # genitive
        "ны ні ды ді ты ті н "  # accusative
        "дан ден тан тен нан нен "  # ablative
        "мен бен пен"  # instrumental
    ),
    "possessive": "ы і сы сі ым ім ың ің ымыз іміз мыз міз ыңыз іңіз ңыз ңіз",
    # "I am / we are / you are (from, in) …": Талдықорғаннанмын, Семейденбіз, Алматыдамыз
    "personal": "мын мін пын пін бын бін мыз міз пыз піз быз біз сың сің сыз сіз",
    "plural": "лар лер дар дер тар тер",
    # "of the place": Қостанайлық, алматылықтар, таразпын (the demonym of a town's people)
    "demonym": "лық лік дық дік тық тік",
}
KK_CASES = frozenset(fold(s) for s in _KK_ENDINGS["case"].split())
_KK_SUFFIXES = sorted(
    {fold(s) for endings in _KK_ENDINGS.values() for s in endings.split()}, key=len, reverse=True
)
_BARE_POSSESSIVE = frozenset(fold(s) for s in ("ы", "і", "сы", "сі"))
# Informal Latin writes ң as "ng" (qalasynyng): folded, the genitive ends in -нг.
_LATIN_NG = ("нинг", "динг", "тинг")

# Russian noun case endings (folded) and what the nominative may end in instead: a rule for
# the names pymorphy does not know, whose lemmas it guesses wrong (Сарыагаше → "сарыагаша").
_RU_ENDINGS = ("ами", "ои", "ом", "ем", "еи", "ою", "ию", "ии", "е", "у", "а", "и", "ю", "я")
_RU_NOMINATIVE = ("", "а", "я", "и")


@lru_cache(maxsize=200_000)
def ru_stems(folded: str) -> frozenset[str]:
    """Nominatives a Russian case form of an unknown name may come from (Кандыагаше →
    кандыагаш, Алмате → алмата)."""
    found = set()
    for ending in _RU_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 4:
            stem = folded[: -len(ending)]
            found |= {stem + tail for tail in _RU_NOMINATIVE}
    return frozenset(found)


def place_adjective_stems(lemmas_: set[str] | frozenset[str]) -> frozenset[str]:
    """Names a Russian relational adjective can come from, by its folded lemma: шымкентский →
    шымкент, степногорский → степногорск, карагандинский → караганда/караганды,
    алматинский → алматы, актюбинский → актюбинск."""
    found: set[str] = set()
    for lemma in lemmas_:
        if not lemma.endswith(("скии", "цкии")) or len(lemma) < 8:
            continue
        base = lemma[:-4]
        found |= {base, lemma[:-2]}
        if base.endswith("ин"):
            found |= {base[:-2] + "а", base[:-2] + "и"}
    return frozenset(found)


@lru_cache(maxsize=200_000)
def kk_stems(folded: str, possessive: bool = True) -> frozenset[str]:
    """Stems reachable by stripping Kazakh endings one after another, outermost first
    (таразда → тараз, талдықорғаннанмын → талдықорған). With `possessive=False` (place
    names) a bare third-person possessive is not stripped as the outermost ending: on a name
    it is rare, on ordinary words it makes names of them (келесі "next" is not Келес);
    ordinary words (category lemmas, street words: көшесі) keep it."""
    stems: set[str] = set()
    frontier = [
        folded[: -len(suffix)]
        for suffix in _KK_SUFFIXES
        if (possessive or suffix not in _BARE_POSSESSIVE) and folded.endswith(suffix)
        and len(folded) - len(suffix) >= 2
    ]
    stems.update(frontier)
    if folded.endswith(_LATIN_NG):
        frontier.append(folded[:-1])  # qalasynyng → каласининг → каласинин
    while frontier:
        word = frontier.pop()
        for suffix in _KK_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stem = word[: -len(suffix)]
                if stem not in stems:
                    stems.add(stem)
                    frontier.append(stem)
    return frozenset(stems)

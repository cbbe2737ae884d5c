"""Language of a report: ru, kk (Cyrillic or Latin script) or en.

Only words count: URLs, e-mail addresses, HTML tags and entities and numbers are removed first
(a Google Drive link is not English, `<p style=…>` is not a Russian report's language). Then
each word is evidence for one language, and the language with most evidence wins:

- Cyrillic: a word with a Kazakh-only letter (ә ғ қ ң ө ұ ү һ і) is Kazakh; a frequent Russian
  or Kazakh word says its language, Kazakh words also when typed without Kazakh letters
  ("бир", "калай", "ушин"); other words count a little by whether Russian morphology knows them.
  Capitalised and quoted words count little — a Russian text naming Қарағанды or quoting
  «Оңтүстік Жарық» stays Russian.
- Latin: Kazakh Latin letters (á ǵ ı ń ó ú ý), frequent Kazakh words, `q` and Kazakh endings are
  Kazakh; English function words are English.
- A text mixing scripts is counted word by word in both, and takes the language of most words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from intake.translit import fold

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_KK_LATIN_LETTERS = frozenset("áǵńóúýıÁǴŃÓÚÝ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_QUOTED = re.compile(r"«[^»\n]{0,200}»|\"[^\"\n]{0,200}\"|“[^”\n]{0,200}[”“]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# What is not words: links, addresses, markup, numbers (and words glued to digits: "1AbCd"),
# one alternative each, with a probe that finds something every match of it contains.
_EXTENSIONS = r"\.(?:kz|ru|com|org|net|gov|html?|php|pdf|docx?|jpe?g|png)\b"
_NOT_WORD_PARTS = (
    (r"(?:https?://|ftp://|www\.)\S+", r"://|www\."),
    (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "@"),
    (r"<[^<>]{0,2000}>", "<"),
    (r"&#?\w{1,10};", "&"),
    (r"\b[\w-]*\d[\w-]*\b", r"\d"),
    (r"\b[\w-]+" + _EXTENSIONS, _EXTENSIONS),
)
_PROBES = tuple(re.compile(probe, re.IGNORECASE) for _, probe in _NOT_WORD_PARTS)


@lru_cache(maxsize=64)
def _not_words(present: tuple[bool, ...]) -> re.Pattern[str]:
    """The alternatives a text can match, in their order. The first alternative matching at a
    position wins, and one that matches nowhere never does: leaving it out changes nothing,
    and saves its scan from every position (the address one's is long)."""
    parts = (part for (part, _), here in zip(_NOT_WORD_PARTS, present, strict=True) if here)
    return re.compile("|".join(parts), re.IGNORECASE)


MAX_CHARS = 20_000
# What comes before a word that starts a sentence (its capital says nothing about a name).
_SENTENCE_END = re.compile(r"(?:^|.*[.!?…:\n])[\s«\"“(—-]*", re.DOTALL)


@lru_cache(maxsize=4)  # language and the category model's words read the same text
def words_only(text: str) -> str:
    """The text without URLs, e-mail addresses, HTML tags and entities, or numbers."""
    present = tuple(bool(probe.search(text)) for probe in _PROBES)
    return _not_words(present).sub(" ", text) if any(present) else text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KK_WORDS = _words(
    "және мен бен пен бұл осы сол деп деді туралы бойынша үшін емес бар жоқ біз сіз олар ол "
    "бір бірақ еді екен ғой қана ғана кезде кезінде кейін дейін арқылы сияқты тек әлі енді "
    "өзі мені маған менің біздің оның жатыр отыр тұр жүр болды болып болған берді берген "
    "адам адамдар партия партияға партиясы мүше мүшесі мүшелері облысы ауданы қаласы ауылы "
    "жылы күні дауыс беру сайлау шағым арыз көмек сұраймын өтінемін тексеру неге қалай "
    "қанша қашан қайда кім не керек ма ме ба бе па пе бізді сізге сіздер барлық барлығы "
    "жұмыс жұмыстан кірсең кіру кірмесең айтты деген дейді ешқандай ешкім тексеріп "
    "рахмет сәлеметсіз сәлем құрметті бастық директор әкім әкімі ауылдағы мектеп"
)
# The same words typed without Kazakh letters ("бир", "калай"); Russian look-alikes left out.
_KK_FOLDED = frozenset(fold(w) for w in _KK_WORDS) - {
    fold(w) for w in ("мен", "не", "он", "ол", "бар", "кем", "ма", "па", "пе", "бе", "ме")
}
_RU_WORDS = _words(
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только "
    "ее её мне было вот от меня еще ещё нет о из ему когда даже ну ли если уже или ни быть был "
    "него до вас там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем "
    "была сам без чего тоже себе под будет тогда кто этот того потому этого какой здесь этом "
    "мой тем чтобы сейчас были всех можно при после над больше тот через эти нас про них это "
    "прошу члены членов партии партию области района города который которые человек людей "
    "здравствуйте добрый день уважаемая уважаемые просим"
)
_KK_LATIN_WORDS = _words(
    "jáne jane men ben pen bul osy sol dep turaly boıynsha boyynsha úshin ushin emes bar joq "
    "jok biz siz olar ol bir biraq birak kezde kezinde arqyly arkyly tek meni menin meniń "
    "bizdin onyn jatyr otyr tur jur boldy bolyp bergen berdi adam adamdar partiya partııa "
    "partiyaga mushe múshe oblysy audany aýdany qalasy kalasy auyly aýyly saylau saılaý "
    "dauys daýys shagym shaǵym aryz komek kómek tekserý tekseru bizdi sizder kerek qalai "
    "kalai qansha kansha salem salemetsiz rahmet jumys zhumys"
)
_EN_WORDS = _words(
    "the a an and or of to in on at for with by from is are was were be been has have had "
    "not this that these those my our their his her its we they i you he she it who which "
    "people party members member please someone"
)
_KK_LATIN_ENDINGS = (
    "dy", "di", "ty", "ti", "yp", "ip", "myn", "min", "ga", "ge", "qa", "da", "de", "ta",
    "te", "nyn", "nin", "lar", "ler", "dar", "der", "tar", "ter", "sy", "si", "ny", "ni",
)  # fmt: skip
# Kazakh verb and case endings typed with Russian letters ("тиркелген", "бермегенмин").
_KK_CYRILLIC_ENDING = re.compile(
    r"(?:ган|ген|кан|кен|ганмин|генмин|мыз|миз|сыз|сиз|ныз|низ|дык|дик|тык|тик|дын|дин|"
    r"нын|нин|тын|тин|ынан|инен|дан|ден|тан|тен|мин|мын|ды|ди|ты|ти|лар|лер|дар|дер|тар|тер|"
    r"ады|еди|йды|йди|уге|уга|кун|ып|ип)$"
)


@lru_cache(maxsize=100_000)
def _russian_knows(lower: str) -> bool:
    from intake.gazetteer import _morph  # the analyser the gazetteer and rules load anyway

    return bool(_morph().word_is_known(lower))


@lru_cache(maxsize=100_000)
def _is_cyrillic(word: str) -> bool:
    return bool(_CYRILLIC.search(word))


@lru_cache(maxsize=100_000)
def _cyrillic_word(word: str, starts_sentence: bool) -> tuple[float, float]:
    """(Kazakh, Russian) evidence of one Cyrillic word."""
    lower = word.lower()
    proper = word[:1].isupper() and not word.isupper() and not starts_sentence
    weight = 0.25 if proper else 1.0
    if not KAZAKH_LETTERS.isdisjoint(word):
        return weight, 0.0
    if lower in _RU_WORDS:
        return 0.0, weight
    if fold(lower) in _KK_FOLDED:
        return weight, 0.0
    if len(lower) < 4:
        return 0.0, 0.0
    if _russian_knows(lower):
        return 0.0, 0.75 * weight
    if _KK_CYRILLIC_ENDING.search(lower):
        return 0.5 * weight, 0.0
    return 0.0, 0.0


@lru_cache(maxsize=100_000)
def _latin_word(word: str) -> tuple[float, float]:
    """(Kazakh, English) evidence of one Latin word."""
    lower = word.lower()
    if lower in _EN_WORDS:
        return 0.0, 1.0
    if not _KK_LATIN_LETTERS.isdisjoint(word) or lower in _KK_LATIN_WORDS:
        return 1.5, 0.0
    if re.search(r"q(?!u)", lower):
        return 1.0, 0.0
    if len(lower) > 4 and lower.endswith(_KK_LATIN_ENDINGS):
        return 0.5, 0.0
    return 0.0, 0.0


def detect_language(text: str, default: str = "ru") -> str:
    """Answer `ru`, `kk` or `en` from the words' letters and frequent words; `default` when
    there are no words or they say nothing."""
    text = _QUOTED.sub(" ", words_only(text[:MAX_CHARS]))
    scores = {"ru": 0.0, "kk": 0.0, "en": 0.0}
    cyrillic = latin = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if _is_cyrillic(word):
            cyrillic += 1
            start = match.start()
            # Only a capital's weight depends on whether the word starts a sentence.
            starts = word[:1].isupper() and bool(
                _SENTENCE_END.fullmatch(text[max(0, start - 3) : start])
            )
            kk, ru = _cyrillic_word(word, starts)
            scores["kk"] += kk
            scores["ru"] += ru
        elif word.isascii() or not _KK_LATIN_LETTERS.isdisjoint(word):
            latin += 1
            kk, en = _latin_word(word)
            scores["kk"] += kk
            scores["en"] += en
    if not cyrillic and not latin:
        return default
    best = max(scores, key=lambda code: (scores[code], code == default))
    return best if scores[best] > 0 else default

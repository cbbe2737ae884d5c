"""Language of a report: ru, kk (Cyrillic or Latin script) or en.

Cyrillic text is Kazakh when its ordinary (lower-case) words carry Kazakh letters or are frequent
Kazakh words; a Russian text naming Kazakh places or quoting a Kazakh organisation name
(«Оңтүстік Жарық») stays Russian, because capitalised words and quoted names count little.
Latin text is Kazakh when it has Kazakh Latin letters (á ǵ ı ń ó ú ý), frequent Kazakh words or
Kazakh endings, and English when English function words dominate.
"""

from __future__ import annotations

import re

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_KK_LATIN_LETTERS = frozenset("áǵńóúýıÁǴŃÓÚÝ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_QUOTED = re.compile(r"«[^»\n]{0,200}»|\"[^\"\n]{0,200}\"|“[^”\n]{0,200}[”“]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
MAX_CHARS = 20_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_KK_WORDS = _words(
    "және мен бен пен бұл осы сол деп деді туралы бойынша үшін емес бар жоқ біз сіз олар ол "
    "бір бірақ еді екен ғой қана ғана кезде кезінде кейін дейін арқылы сияқты тек әлі енді "
    "өзі мені маған менің біздің оның жатыр отыр тұр жүр болды болып болған берді берген "
    "адам адамдар партия партияға партиясы мүше мүшесі мүшелері облысы ауданы қаласы ауылы "
    "жылы күні дауыс беру сайлау шағым арыз көмек сұраймын өтінемін тексеру неге қалай"
)
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
    "dauys daýys shagym shaǵym aryz komek kómek tekserý tekseru"
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


def _cyrillic_scores(words: list[str]) -> tuple[float, float]:
    kk = ru = 0.0
    for word in words:
        lower = word.lower()
        proper = word[:1].isupper()  # place and person names say little about the language
        if not KAZAKH_LETTERS.isdisjoint(word):
            kk += 0.5 if proper else 2
        elif lower in _KK_WORDS:
            kk += 1
        elif lower in _RU_WORDS:
            ru += 1
    return kk, ru


def _latin_scores(words: list[str]) -> tuple[float, float]:
    kk = en = 0.0
    for word in words:
        lower = word.lower()
        if lower in _EN_WORDS:
            en += 1
        elif not _KK_LATIN_LETTERS.isdisjoint(word) or lower in _KK_LATIN_WORDS:
            kk += 1.5
        elif re.search(r"q(?!u)", lower):
            kk += 1
        elif len(lower) > 4 and lower.endswith(_KK_LATIN_ENDINGS):
            kk += 0.5
    return kk, en


def detect_language(text: str, default: str = "ru") -> str:
    """Answer `ru`, `kk` or `en` from letters and frequent words; `default` when unclear."""
    text = _QUOTED.sub(" ", text[:MAX_CHARS])
    cyrillic, latin = [], []
    for word in _WORD.findall(text):
        if _CYRILLIC.search(word):
            cyrillic.append(word)
        elif word.isascii() or not _KK_LATIN_LETTERS.isdisjoint(word):
            latin.append(word)
    if not cyrillic and not latin:
        return default
    if len(cyrillic) >= len(latin):
        kk, ru = _cyrillic_scores(cyrillic)
        if kk == ru == 0:
            return default
        return "kk" if kk > ru else "ru"
    kk, en = _latin_scores(latin)
    return "kk" if kk > en else "en"

"""Regions from Kazakh word forms, colloquial names and texts naming two places (issue 12,
item 2). Every text here is written for this test: none of the inflected forms is an alias in
the gazetteer, so each is found by rule (endings stripped, adjectives derived) or not at all."""

from __future__ import annotations

import pytest

from intake.morphology import kk_stems
from intake.region import detect_region
from intake.translit import fold


def region(text: str) -> str | None:
    return detect_region(text).region


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("В столице на собрании заставляли вступать в партию", "AST"),
        ("Приехали из столицы проверяющие и всё подписали задним числом", "AST"),
        ("в нашей столице по квартирам ходили агитаторы", "AST"),
        ("Столичный автопарк: за водителей проголосовал диспетчер", "AST"),
        ("елордада жұмысшыларды жиналысқа зорлап апарды", "AST"),
        ("In the capital our office votes from one computer", "AST"),
        ("В южной столице раздавали деньги у школы", "ALA"),
    ],
)
def test_it_knows_the_colloquial_names(text: str, expected: str) -> None:
    assert region(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "В северной столице России живёт мой брат, а нас заставляют вступать в партию",
        "В столице области на собрании не было кворума",
    ],
)
def test_another_capital_is_not_astana(text: str) -> None:
    assert region(text) != "AST"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # genitive
        ("Павлодар облысының бір мектебінде мұғалімдерді мәжбүрледі", "PAV"),
        ("Ақтөбенің бір зауытында жұмысшыларға қысым жасады", "AKT"),
        ("Qostanai qalasynyng akimdiginde bizdi mazhburledi", "KOS"),
        ("Бас қаланың мектептерінде мұғалімдерді мәжбүрледі", "AST"),
        # locative, and -дағы/-дегі with a plural on top
        ("Кокшетаудағылардың бәрін партияға жазып қойды", "AKM"),
        ("Өскемендегі учаскеде бюллетеньдерді алдын ала толтырған", "VKO"),
        ("Jezqazǵandaǵy shahtada jumysshylardy qorqytty", "ULY"),
        # ablative, dative
        ("Шымкенттен автобуспен адамдарды әкелді", "SHY"),
        ("Бізді Таразға дауыс беруге апарды", "ZHM"),
        # possessive, personal endings, the demonym
        ("Қызылордамызда сайлау учаскесінде ақша таратты", "KZY"),
        ("men taldyqorgannanmyn, bizdi partiyaga zorlap kirgizdi", "ZHT"),
        ("Біз Семейденбіз, бізді келісімсіз мүше етті", "ABA"),
        ("Men Aqtöbedenmin, meni partiiağa zorlap kirgizdi", "AKT"),
        ("Жезқазғандықтарға ақша беріп дауыс сатып алды", "ULY"),
    ],
)
def test_it_strips_kazakh_endings_by_rule(text: str, expected: str) -> None:
    assert region(text) == expected


def test_it_strips_layer_after_layer() -> None:
    assert fold("Келес") not in kk_stems(fold("келесі"), possessive=False)
    # talldyqorgan + nan (ablative) + myn (personal): in every spelling
    for word in ("Талдықорғаннанмын", "taldyqorgannanmyn", "Taldyqorğannanmyn"):
        assert fold("Талдықорған") in kk_stems(fold(word), possessive=False)


@pytest.mark.parametrize(
    "text",
    [
        "Келесі жылы бәрін жұмыстан шығарамыз деді",  # келесі "next", not Келес
        "Бастық бәрімізге пәленшеге дауыс бер деп бұйырды",  # бастық "boss", not бас қала
        "Верните мой голос, я ни за кого не голосовал",  # not Верный + a Kazakh ending
        "Мен ешкімді жамандағым келмейді, бірақ ақша берді",
        "Есік ашық тұрды, біреу кіріп бюллетеньді алды",  # есік "door"
    ],
)
def test_ordinary_words_are_not_places(text: str) -> None:
    assert region(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("В рабочем чате Степногорской ТЭЦ начальник требует скрин бюллетеня", "AKM"),
        ("дочь учится в шымкентском колледже, её заставляют вступить", "SHY"),
        ("Карагандинский завод собрал подписи без согласия рабочих", "KAR"),
        ("Соседи в Сарыагаше говорят, что за голос давали по 5 тысяч", "TUR"),
        ("Брату в Кандыагаше на работе сказали голосовать как надо", "AKT"),
        ("В Алмате за умерших голосовали", "ALA"),
        ("Есик. На одну сим-карту записали сто членов", "ALM"),
    ],
)
def test_it_reads_russian_forms_of_names(text: str, expected: str) -> None:
    assert region(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Мен Астанаданмын, Шымкентте сайлау учаскесінде дауыс сатып алды", "SHY"),
        ("Ақтөбеденмін. Атырауда жиналыс заңсыз өтті", "ATY"),
        ("Men Almatyda oqu kursynda boldym, al Pavlodarda zhinalys zhalgan otti", "PAV"),
        ("Я из Караганды, но в Шымкенте на участке заставляли голосовать", "SHY"),
        ("Я переехал из Костаная в Кокшетау, и на работе заставляют вступать в партию", "AKM"),
        ("Он был на вахте в Атырау, а в Актобе за него кто-то проголосовал", "AKT"),
        ("Студенты, которые были на практике в Алматы, числятся проголосовавшими в Таразе",
         "ZHM"),
        ("В списке в Кокшетау числится сосед, который давно в Таразе живёт", "AKM"),
        ("Аккаунт взломали в Семее (вход был с адреса в Алматы, судя по IP)", "ABA"),
        ("Выпускник Павлодарского колледжа рассказал: в Семее раздавали деньги", "ABA"),
        ("Я студент Костанайского университета, на практике в Актобе нас заставили", "AKT"),
    ],
)  # fmt: skip
def test_the_place_of_the_event_decides(text: str, expected: str) -> None:
    assert region(text) == expected


def test_where_the_writer_lives_still_counts_when_it_is_the_only_place() -> None:
    assert region("Я из Караганды, нас заставляют вступать в партию") == "KAR"
    assert region("Талдықорғаннанмын, мені партияға жазып қойды") == "ZHT"

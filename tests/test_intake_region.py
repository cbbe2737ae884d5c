"""Region: places in Russian, Kazakh and Latin spelling, ambiguity rules, spans, confidence."""

from __future__ import annotations

import pytest

from intake.region import detect_region


def region(text: str) -> str | None:
    return detect_region(text).region


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("в Акмолинской области приняли людей", "AKM"),
        ("это было в Балхаше", "KAR"),
        ("в Бурабайском районе собрание", "AKM"),
        ("Таразда ақша таратты", "ZHM"),
        ("Қарағандыда жиналыс өтті", "KAR"),
        ("Астанада дауыс берді", "AST"),
        ("Лисаковскіде дауыс берді", "KOS"),
        ("в кульсарах", "ATY"),  # lower case, Russian inflection
        ("Құлсарыда", "ATY"),
    ],
)
def test_it_reads_inflected_names(text: str, code: str) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Я живу в Нур-Султане", "AST"),
        ("Нұр-Сұлтан қаласында", "AST"),
        ("В Капшагае раздавали деньги", "ALM"),
        ("Семипалатинск, собрание без кворума", "ABA"),
        ("В Гурьеве", "ATY"),
        ("Чимкент, ППО", "SHY"),
        ("Кустанай, общежитие", "KOS"),
        ("Джезказган", "ULY"),
    ],
)
def test_it_knows_former_names(text: str, code: str) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Almatyda saılaýshylarǵa aqsha berip jatyr", "ALA"),
        ("Qaraǵandy oblysynda partııaǵa adam qabyldandy", "KAR"),
        ("Aqtaýda mekeme basshysy", "MAN"),
        ("Vote buying in Shymkent", "SHY"),
        ("Ust-Kamenogorsk: dozens of people", "VKO"),
        ("Turkistan oblysy, Saryagash audany", "TUR"),
    ],
)
def test_it_reads_latin_spellings(text: str, code: str) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Медеуский район, нарушения", "ALA"),
        ("Алматы, Медеу ауданы", "ALA"),
        ("Астана, район Байконур", "AST"),
        ("В Байконуре на праймериз", "KZY"),  # the town, not Astana's district
        ("Шымкент, Каратауский район", "SHY"),
        ("В Каратау конференция", "ZHM"),  # the town, not Shymkent's district
        ("Алатауский район", "ALA"),
        ("г. Алатау", "ALM"),
        ("Актобе, район Астана", "AKT"),
        ("Караганда, район имени Казыбек би", "KAR"),
    ],
)
def test_it_knows_city_districts_and_look_alike_towns(text: str, code: str) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("В Жамбылском районе давят на работников", None),
        ("Жамбылский район Алматинской области", "ALM"),
        ("Жамбылский район, г. Тараз", "ZHM"),
        ("В Жамбылском районе СКО", "SKO"),
        ("Есильский район", None),
        ("Астана, Есильский район", "AST"),
        ("Есіл ауданы, Ақмола облысы", "AKM"),
        ("Есильский район Северо-Казахстанской области", "SKO"),
        ("В Абайском районе собрание", None),
        ("Шымкент, Абайский район", "SHY"),
        ("Абайский район Карагандинской области", "KAR"),
        ("Алматинский район: протокол подделан", None),
        ("Алматинский район Астаны", "AST"),
        ("Алматинский район г. Актобе", "AKT"),
        ("Актогайский район", None),
        ("Актогайский район Павлодарской области", "PAV"),
        ("Акмола", None),
        ("Акмола, Целиноградский район", "AKM"),
    ],
)
def test_it_settles_names_found_in_several_regions_by_the_other_places(
    text: str, code: str | None
) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("в Балхаше", "KAR"),
        ("Балқашта", "KAR"),
        ("в Балхашском районе", "ALM"),
        ("Алматы облысы, Балқаш ауданы", "ALM"),
        ("Аксу — за моих родителей проголосовали", "PAV"),
        ("Ақсу қаласында", "PAV"),
        ("в Аксуском районе", "ZHT"),
        ("Ақсу ауданында", "ZHT"),
    ],
)
def test_it_tells_a_town_from_a_district_of_the_same_name(text: str, code: str) -> None:
    assert region(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Раздавали пакеты у подъезда на ул. Абая",
        "на улице Абая возле школы",
        "в школе имени Абая",
        "на проспекте Кунаева",
        "пр.Сатпаева, 12",
        "Сәтбаев көшесі бойындағы үйде",
        "Абай даңғылындағы ғимаратта",
        "Абай Кунанбаев писал о честности",
        "на ул. Джамбула",
    ],
)
def test_it_does_not_place_a_text_by_a_street_or_a_person(text: str) -> None:
    assert region(text) is None


def test_it_places_a_text_naming_a_city_before_a_street() -> None:
    assert region("Шымкент, пр. Кунаева. Руководство колледжа") == "SHY"
    assert region("Петропавловск, ул. Жамбыла, 5") == "SKO"


@pytest.mark.parametrize(
    "text",
    [
        "Меня записали в партию без согласия.",
        "есік алдына да шықпадым",  # "door", not the town Есик
        "ақшаны қалай алғанын білмеймін",
        "рудный двор и воздушный шар",
        "",
        "🙂🙂🙂",
    ],
)
def test_it_answers_null_when_no_place_is_named(text: str) -> None:
    assert region(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Алға қарай жүре берейік, бәрі жақсы болады.",  # "forward", "good"
        "Темір жол вокзалында кездестік.",  # "iron" (railway), not the town Темир
        "Арал теңізі туралы айтты.",  # the Aral Sea
        "летом отдыхали на озере Балхаш",
    ],
)
def test_it_does_not_take_ordinary_words_or_waters_for_places(text: str) -> None:
    assert region(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("Жақсы ауданында жиналыс өтті.", "AKM"), ("В Темире собрание.", "AKT")],
)
def test_it_still_places_such_words_named_as_places(text: str, code: str) -> None:
    assert region(text) == code


def test_it_answers_null_when_two_regions_are_named_about_equally() -> None:
    assert region("В Павлодаре и в Костанае одинаково нарушают устав") is None


def test_it_prefers_the_place_of_the_violation_to_where_the_writer_lives() -> None:
    assert region("Я живу в Алматы, но состою в партии в Таразе. Там подкуп.") == "ZHM"
    assert region("Мен Алматыда тұрамын, бірақ Таразда тіркелгенмін.") == "ZHM"


def test_it_counts_a_place_in_an_organisation_name_for_less() -> None:
    assert region("В Караганде ТОО «Астана Моторс» принуждает вступать") == "KAR"


def test_it_returns_spans_that_point_into_the_text() -> None:
    text = "Здравствуйте. В Бурабайском районе Акмолинской области приняли людей."
    result = detect_region(text)
    assert [(s.text, s.regions) for s in result.spans] == [
        ("Бурабайском районе", ["AKM"]),
        ("Акмолинской области", ["AKM"]),
    ]
    assert all(text[s.start : s.end] == s.text for s in result.spans)
    assert result.district == "Бурабайский район"


def test_it_is_more_confident_with_more_agreeing_places() -> None:
    one = detect_region("в Бурабайском районе").confidence
    two = detect_region("в Бурабайском районе Акмолинской области").confidence
    assert 0 < one < two <= 0.99


def test_it_is_less_confident_with_an_unsettled_name_beside_the_answer() -> None:
    plain = detect_region("Павлодар, собрание").confidence
    doubtful = detect_region("Павлодар, Есильский район, собрание").confidence
    assert detect_region("Павлодар, Есильский район").region == "PAV"
    assert 0 < doubtful < plain


def test_it_gives_zero_confidence_to_null() -> None:
    assert detect_region("Есильский район").confidence == 0.0

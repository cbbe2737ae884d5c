"""The crowd of the crash test: complaint texts that name a place in each region (and some
that name none), as emails and as Telegram citizens. Every person and text is invented."""

from __future__ import annotations

PLACES = {
    "AST": "в Астане",
    "ALA": "в Алматы",
    "SHY": "в Шымкенте",
    "ABA": "в Семее",
    "AKM": "в Кокшетау",
    "AKT": "в Актобе",
    "ALM": "в Конаеве",
    "ATY": "в Атырау",
    "ZKO": "в Уральске",
    "ZHM": "в Таразе",
    "ZHT": "в Талдыкоргане",
    "KAR": "в Караганде",
    "KOS": "в Костанае",
    "KZY": "в Кызылорде",
    "MAN": "в Актау",
    "PAV": "в Павлодаре",
    "SKO": "в Петропавловске",
    "TUR": "в Туркестане",
    "ULY": "в Жезказгане",
    "VKO": "в Усть-Каменогорске",
}
WHAT = {
    "vote_buying": "на праймериз раздавали деньги тем, кто обещал проголосовать за нужного кандидата",
    "coercion": "начальник заставляет сотрудников вступать в партию и угрожает увольнением",
    "fake_membership": "меня записали в члены партии без моего согласия, заявление я не подавал",
    "shared_contacts": "на один номер телефона зарегистрированы десятки членов партии",
    "procedure": "собрание провели без кворума, а протокол подписали задним числом",
}


def complaint(index: int) -> tuple[str | None, str, str]:
    """(region or None, category, text) of complaint number `index`."""
    codes = [*PLACES, None]
    region = codes[index % len(codes)]
    category = list(WHAT)[index // len(codes) % len(WHAT)]
    where = PLACES[region] if region else "у нас в городе"
    return region, category, f"{where.capitalize()} {WHAT[category]}. Случай {index}."

"""The words of digests, per commission language (ru, kk)."""

from __future__ import annotations

_RU = {
    "subject": "Дайджест за {date}",
    "national_subject": "Национальный дайджест за {date}",
    "period": "Новые обращения с {since} по {until}",
    "summary": "Новых: {new} · открытых: {open} · просрочено: {overdue}",
    "new": "Новые обращения",
    "none": "нет",
    "open": "Открытые обращения по оставшемуся сроку (просроченные первыми)",
    "overdue": "Просроченные обращения",
    "triage": "Очередь разбора (не определены регион или категория)",
    "clusters": "Связанные обращения (один телефон, ИИН, организация или почти одинаковый текст)",
    "cluster": "{n} обращений",
    "categories": "По категориям",
    "category": "Категория",
    "regions": "По регионам",
    "commission": "Комиссия",
    "col_new": "новых",
    "col_open": "открыто",
    "col_overdue": "просрочено",
    "col_resolved": "решено",
    # Column heads: soft hyphens let a narrow screen break them where a reader would.
    "head_new": "но\u00adвых",
    "head_open": "от\u00adкры\u00adто",
    "head_overdue": "про\u00adсро\u00adче\u00adно",
    "head_resolved": "ре\u00adше\u00adно",
    "more": "и ещё {n}",
    "days_left": "осталось {n} дн.",
    "days_late": "просрочено на {n} дн.",
    "due_today": "срок сегодня",
    "chart_alt": "График обращений по дням за 30 дней, всего {total}: {parts}",
    "phone": "телефон",
    "iin": "ИИН",
    "email": "почта",
    "org": "организация",
    "near_identical_text": "почти одинаковый текст",
    "footer": "Дайджест отправлен автоматически системой «Шағым».",
}

_KK = {
    "subject": "{date} күнгі дайджест",
    "national_subject": "{date} күнгі ұлттық дайджест",
    "period": "{since} бастап {until} дейінгі жаңа өтініштер",
    "summary": "Жаңа: {new} · ашық: {open} · мерзімі өткен: {overdue}",
    "new": "Жаңа өтініштер",
    "none": "жоқ",
    "open": "Ашық өтініштер қалған мерзім бойынша (мерзімі өткендері алдымен)",
    "overdue": "Мерзімі өткен өтініштер",
    "triage": "Қарау кезегі (өңірі не санаты анықталмаған)",
    "clusters": "Байланысты өтініштер (бір телефон, ЖСН, ұйым немесе ұқсас мәтін)",
    "cluster": "{n} өтініш",
    "categories": "Санаттар бойынша",
    "category": "Санат",
    "regions": "Өңірлер бойынша",
    "commission": "Комиссия",
    "col_new": "жаңа",
    "col_open": "ашық",
    "col_overdue": "мерзімі өткен",
    "col_resolved": "шешілді",
    "head_new": "жаңа",
    "head_open": "ашық",
    "head_overdue": "мер\u00adзі\u00adмі өт\u00adкен",
    "head_resolved": "ше\u00adшіл\u00adді",
    "more": "тағы {n}",
    "days_left": "{n} күн қалды",
    "days_late": "{n} күнге кешікті",
    "due_today": "мерзімі бүгін",
    "chart_alt": "30 күндегі өтініштердің күн бойынша графигі, барлығы {total}: {parts}",
    "phone": "телефон",
    "iin": "ЖСН",
    "email": "пошта",
    "org": "ұйым",
    "near_identical_text": "ұқсас мәтін",
    "footer": "Дайджестті «Шағым» жүйесі автоматты түрде жіберді.",
}

WORDS = {"ru": _RU, "kk": _KK}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, _RU)

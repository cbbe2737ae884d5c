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
    "triage": "Очередь разбора (регион не определён)",
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
    "more": "и ещё {n}",
    "days_left": "осталось {n} дн.",
    "days_late": "просрочено на {n} дн.",
    "due_today": "срок сегодня",
    "chart": "График: обращения по дням и категориям за 30 дней",
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
    "triage": "Қарау кезегі (өңір анықталмаған)",
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
    "more": "тағы {n}",
    "days_left": "{n} күн қалды",
    "days_late": "{n} күнге кешікті",
    "due_today": "мерзімі бүгін",
    "chart": "График: 30 күндегі өтініштер күн және санат бойынша",
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

"""The words of the commission group: buttons, card lines, replies (ru, kk)."""

from __future__ import annotations

_RU = {
    "take": "🙋 Взять",
    "answer": "✉️ Ответить",
    "resolve": "✅ Решить",
    "not_ours": "↪️ Не наше",
    "back": "« Назад",
    "confirmed": "Подтвердилось",
    "not_confirmed": "Не подтвердилось",
    "forwarded": "Передано в другой орган",
    "new_case": "Новое обращение",
    "rerouted_case": "Передано вам",
    "received": "получено",
    "due": "срок",
    "files": "Файлов: {n} (изображения — в письме комиссии)",
    "related": "Связанные",
    "contact": "Контакт заявителя",
    "rerouted": "Передано из «{source}». Причина: {reason}",
    "unplaced": "регион не определён",
    "cut": "… (полный текст — в письме комиссии)",
    "status_new": "Статус: новое",
    "status_assigned": "В работе у {who}",
    "status_answered": "Ответ отправлен заявителю ({who})",
    "status_resolved": "Решено: {resolution} ({who})",
    "status_rerouted": "Передано в «{target}» ({who})",
    "refused_member": "Действовать по обращениям могут только члены комиссии.",
    "refused_moved": "Обращение {number} передано в «{target}».",
    "refused_resolved": "Обращение {number} уже решено.",
    "refused_gone": "Обращение не найдено.",
    "taken": "{number}: взято в работу — {who}.",
    "ask_answer": "{who}, напишите ответ заявителю по {number} ответом на это сообщение. "
    "Его получит заявитель, без ваших имени и контактов. /cancel — отменить.",
    "answered": "{number}: ответ отправлен заявителю ({who}).",
    "resolved": "{number}: решено — {resolution} ({who}).",
    "pick_region": "Куда передать {number}?",
    "ask_reason": "{who}, укажите причину передачи {number} в «{target}» ответом на это "
    "сообщение. /cancel — отменить.",
    "rerouted_done": "{number} передано в «{target}» ({who}). Причина: {reason}",
    "cancelled": "Отменено.",
    "empty": "Нужен текст. Попробуйте ещё раз ответом на сообщение бота.",
    "central": "Центральная комиссия",
}

_KK = {
    "take": "🙋 Алу",
    "answer": "✉️ Жауап беру",
    "resolve": "✅ Шешу",
    "not_ours": "↪️ Бізге қатысты емес",
    "back": "« Артқа",
    "confirmed": "Расталды",
    "not_confirmed": "Расталмады",
    "forwarded": "Басқа органға жіберілді",
    "new_case": "Жаңа өтініш",
    "rerouted_case": "Сізге жіберілді",
    "received": "алынды",
    "due": "мерзімі",
    "files": "Файлдар: {n} (суреттер — комиссия хатында)",
    "related": "Байланысты",
    "contact": "Өтініш берушінің байланысы",
    "rerouted": "«{source}» комиссиясынан жіберілді. Себебі: {reason}",
    "unplaced": "өңір анықталмаған",
    "cut": "… (толық мәтін — комиссия хатында)",
    "status_new": "Мәртебесі: жаңа",
    "status_assigned": "Жауапты: {who}",
    "status_answered": "Өтініш берушіге жауап жіберілді ({who})",
    "status_resolved": "Шешілді: {resolution} ({who})",
    "status_rerouted": "«{target}» комиссиясына жіберілді ({who})",
    "refused_member": "Өтініштер бойынша тек комиссия мүшелері әрекет ете алады.",
    "refused_moved": "{number} өтініші «{target}» комиссиясына жіберілді.",
    "refused_resolved": "{number} өтініші шешілген.",
    "refused_gone": "Өтініш табылмады.",
    "taken": "{number}: жұмысқа алынды — {who}.",
    "ask_answer": "{who}, {number} бойынша өтініш берушіге жауапты осы хабарламаға жауап ретінде "
    "жазыңыз. Ол сіздің атыңыз бен байланысыңызсыз жіберіледі. /cancel — болдырмау.",
    "answered": "{number}: жауап өтініш берушіге жіберілді ({who}).",
    "resolved": "{number}: шешілді — {resolution} ({who}).",
    "pick_region": "{number} қайда жіберілсін?",
    "ask_reason": "{who}, {number} өтінішін «{target}» комиссиясына жіберу себебін осы "
    "хабарламаға жауап ретінде жазыңыз. /cancel — болдырмау.",
    "rerouted_done": "{number} «{target}» комиссиясына жіберілді ({who}). Себебі: {reason}",
    "cancelled": "Болдырылмады.",
    "empty": "Мәтін қажет. Бот хабарламасына жауап ретінде қайта жазыңыз.",
    "central": "Орталық комиссия",
}

WORDS = {"ru": _RU, "kk": _KK}


def words(language: str | None) -> dict[str, str]:
    return WORDS.get(language or "ru", _RU)

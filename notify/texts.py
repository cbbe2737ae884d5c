"""The words of outgoing mail and digests, per language (ru, kk, en), and the helpers that
format dates, regions and categories for a reader."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from intake.category import label as category_label
from intake.gazetteer import load as load_gazetteer

LANGUAGES = ("ru", "kk", "en")

_RU = {
    "ack_subject": "Обращение зарегистрировано",
    "ack_intro": "Ваше обращение получено и зарегистрировано.",
    "ack_number": "Номер обращения",
    "ack_code": "Код для отслеживания",
    "ack_keep": "Сохраните код: по нему можно узнать о ходе рассмотрения и дополнить обращение. "
    "Мы не показываем комиссии ваш адрес, если вы сами не поделились контактом.",
    "ack_due": "Срок рассмотрения — до",
    "ack_reply": "Чтобы дополнить обращение, ответьте на это письмо, не меняя тему.",
    "relay_subject": "Ответ комиссии",
    "relay_intro": "Комиссия ответила на ваше обращение",
    "relay_reply": "Если хотите дополнить обращение, ответьте на это письмо, не меняя тему.",
    "alert_subject": "Новое обращение",
    "alert_rerouted_subject": "Передано вам",
    "alert_rerouted": "Обращение передано из комиссии «{source}». Причина:",
    "case": "Обращение",
    "region": "Регион",
    "district": "Район",
    "unplaced": "не определён (разбор центральной комиссией)",
    "category": "Категория",
    "received": "Получено",
    "due": "Срок",
    "channel": "Канал",
    "subject": "Тема",
    "text": "Текст обращения",
    "contact": "Контакт заявителя (заявитель согласился его передать)",
    "anonymous": "Заявитель не передавал свои контакты.",
    "related": "Связанные обращения",
    "attached": "Изображения приложены к письму (метаданные удалены).",
    "files": "Файлы (не вложены, доступны в системе)",
    "alert_reply": "Ответить заявителю можно ответом на это письмо (тема должна содержать номер "
    "обращения) или кнопкой «Ответить» в группе комиссии.",
    "footer": "Письмо отправлено автоматически системой приёма обращений «Шағым».",
    "followup_subject": "Дополнение к обращению {number}",
    "followup_intro": "Заявитель дополнил обращение {number}.",
    "followup_closed": "Обращение уже закрыто: решите, нужно ли вернуться к нему.",
    "followup_received": "Дополнение получено",
    "followup_text": "Новая информация",
    "followup_empty": "Текста нет, только файлы.",
    "followup_files": "Новых файлов: {n}",
    "followup_no_files": "Новых файлов нет.",
    "followup_case_text": "Исходное обращение",
}

_KK = {
    "ack_subject": "Өтініш тіркелді",
    "ack_intro": "Сіздің өтінішіңіз алынды және тіркелді.",
    "ack_number": "Өтініш нөмірі",
    "ack_code": "Бақылау коды",
    "ack_keep": "Кодты сақтаңыз: ол арқылы қаралу барысын біліп, өтінішті толықтыра аласыз. "
    "Өзіңіз байланыс деректерін бермесеңіз, комиссия сіздің мекенжайыңызды көрмейді.",
    "ack_due": "Қарау мерзімі —",
    "ack_reply": "Өтінішті толықтыру үшін тақырыбын өзгертпей осы хатқа жауап беріңіз.",
    "relay_subject": "Комиссияның жауабы",
    "relay_intro": "Комиссия сіздің өтінішіңізге жауап берді",
    "relay_reply": "Өтінішті толықтырғыңыз келсе, тақырыбын өзгертпей осы хатқа жауап беріңіз.",
    "alert_subject": "Жаңа өтініш",
    "alert_rerouted_subject": "Сізге жіберілді",
    "alert_rerouted": "Өтініш «{source}» комиссиясынан жіберілді. Себебі:",
    "case": "Өтініш",
    "region": "Өңір",
    "district": "Аудан",
    "unplaced": "анықталмаған (орталық комиссия қарайды)",
    "category": "Санат",
    "received": "Алынды",
    "due": "Мерзімі",
    "channel": "Арна",
    "subject": "Тақырып",
    "text": "Өтініш мәтіні",
    "contact": "Өтініш берушінің байланысы (өзі беруге келісті)",
    "anonymous": "Өтініш беруші байланыс деректерін бермеді.",
    "related": "Байланысты өтініштер",
    "attached": "Суреттер хатқа тіркелді (метадеректер жойылды).",
    "files": "Файлдар (тіркелмеген, жүйеде қолжетімді)",
    "alert_reply": "Өтініш берушіге осы хатқа жауап беру арқылы (тақырыпта өтініш нөмірі болуы "
    "керек) немесе комиссия тобындағы «Жауап беру» батырмасымен жауап беруге болады.",
    "footer": "Хатты «Шағым» өтініштерді қабылдау жүйесі автоматты түрде жіберді.",
    "followup_subject": "{number} өтінішіне толықтыру",
    "followup_intro": "Өтініш беруші {number} өтінішін толықтырды.",
    "followup_closed": "Өтініш жабылған: оған қайта оралу керек пе, шешіңіз.",
    "followup_received": "Толықтыру алынды",
    "followup_text": "Жаңа ақпарат",
    "followup_empty": "Мәтін жоқ, тек файлдар.",
    "followup_files": "Жаңа файлдар: {n}",
    "followup_no_files": "Жаңа файлдар жоқ.",
    "followup_case_text": "Бастапқы өтініш",
}

_EN = {
    "ack_subject": "Report registered",
    "ack_intro": "Your report has been received and registered.",
    "ack_number": "Case number",
    "ack_code": "Receipt code",
    "ack_keep": "Keep this code: it lets you follow the case and add to it. The commission "
    "does not see your address unless you chose to share a contact.",
    "ack_due": "Due by",
    "ack_reply": "To add to your report, reply to this email without changing the subject.",
    "relay_subject": "The commission's answer",
    "relay_intro": "The commission answered your report",
    "relay_reply": "To add to your report, reply to this email without changing the subject.",
    "footer": "Sent automatically by the Shagym reporting system.",
}

# Commissions read ru or kk; an English-writing citizen gets English acks and relays.
TEXTS = {"ru": _RU, "kk": _KK, "en": {**_RU, **_EN}}


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, _RU)


def local(moment: dt.datetime | None, zone: ZoneInfo, with_time: bool = True) -> str:
    if moment is None:
        return ""
    shown = moment.astimezone(zone)
    return shown.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


@cache
def _regions() -> dict[str, tuple[str, str]]:
    return dict(load_gazetteer().regions)


def region_name(code: str | None, language: str) -> str:
    if not code:
        return texts(language)["unplaced"]
    names = _regions().get(code)
    if names is None:
        return code
    return names[1] if language == "kk" and names[1] else names[0]


def category_name(code: str, language: str) -> str:
    return category_label(code, language)

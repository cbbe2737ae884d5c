"""What an audit case says, in the language of the commission it goes to (ru, kk; en)."""

from __future__ import annotations

from audit.findings import Finding

_MEMBERS = {"ru": "Аудит реестра членов", "kk": "Мүшелер тізілімінің аудиті",
            "en": "Membership registry audit"}
_VOTES = {"ru": "Аудит голосования", "kk": "Дауыс беру аудиті", "en": "Primaries votes audit"}
VOTE_RULES = {"repeat_iin", "shared_ip", "non_member", "voter_admitted_in_suspension"}

SENTENCES: dict[str, dict[str, str]] = {
    "ru": {
        "invalid_iin": "{count} записей с недействительным ИИН (длина, контрольная цифра, "
        "дата рождения или цифра века).",
        "duplicate_iin": "ИИН {key} записан {count} раз.",
        "shared_phone": "{count} членов зарегистрированы на один телефон {key}.",
        "vote_shared_phone": "{count} голосов отданы с одного телефона {key}.",
        "shared_email": "{count} членов зарегистрированы на один адрес почты {key}.",
        "suspended_admission": "{count} человек приняты в партию, когда приём был "
        "приостановлен ({key}).",
        "admission_burst": "Всплеск приёма: {key} — {count} человек, намного больше обычного "
        "для этой организации.",
        "unconfirmed": "Данные {count} членов не подтверждаются справочным реестром (ИИН "
        "отсутствует, или ФИО либо дата рождения не совпадают).",
        "repeat_iin": "ИИН {key} проголосовал {count} раз.",
        "shared_ip": "{count} голосов с одного IP-адреса {key} за короткое время.",
        "non_member": "{count} голосов от людей, которых нет в реестре членов.",
        "voter_admitted_in_suspension": "{count} голосов членов, принятых, когда приём был "
        "приостановлен ({key}).",
        "tail": "Файл: {file}. Организации: {organisations}. Строки файла приложены (CSV).",
        "update": "Повторный аудит ({file}): строк теперь {count} (было {before}). Новые "
        "строки приложены.",
    },
    "kk": {
        "invalid_iin": "ЖСН-і жарамсыз {count} жазба (ұзындығы, бақылау цифры, туған күні "
        "немесе ғасыр цифры).",
        "duplicate_iin": "{key} ЖСН-і {count} рет жазылған.",
        "shared_phone": "{count} мүше бір {key} телефон нөміріне тіркелген.",
        "vote_shared_phone": "Бір {key} телефонынан {count} дауыс берілген.",
        "shared_email": "{count} мүше бір {key} электрондық поштасына тіркелген.",
        "suspended_admission": "Қабылдау тоқтатылған кезде ({key}) партияға {count} адам "
        "қабылданған.",
        "admission_burst": "Қабылдау күрт өскен: {key} — {count} адам, бұл ұйым үшін "
        "әдеттегіден әлдеқайда көп.",
        "unconfirmed": "{count} мүшенің деректері анықтамалық тізілімде расталмайды (ЖСН жоқ, "
        "не аты-жөні немесе туған күні сәйкес келмейді).",
        "repeat_iin": "{key} ЖСН-і {count} рет дауыс берген.",
        "shared_ip": "Қысқа уақыт ішінде бір {key} IP-мекенжайынан {count} дауыс берілген.",
        "non_member": "Мүшелер тізілімінде жоқ адамдардан {count} дауыс берілген.",
        "voter_admitted_in_suspension": "Қабылдау тоқтатылған кезде ({key}) қабылданған "
        "мүшелерден {count} дауыс берілген.",
        "tail": "Файл: {file}. Ұйымдар: {organisations}. Файл жолдары тіркелген (CSV).",
        "update": "Қайта аудит ({file}): енді {count} жол (бұрын {before}). Жаңа жолдар "
        "тіркелген.",
    },
    "en": {
        "invalid_iin": "{count} records with an invalid IIN (length, check digit, birth date "
        "or century digit).",
        "duplicate_iin": "IIN {key} is listed {count} times.",
        "shared_phone": "{count} members are registered under one phone, {key}.",
        "vote_shared_phone": "{count} votes were cast from one phone, {key}.",
        "shared_email": "{count} members are registered under one email address, {key}.",
        "suspended_admission": "{count} people were admitted while admission was suspended "
        "({key}).",
        "admission_burst": "Admission burst: {key} — {count} people, far above this "
        "organisation's usual rhythm.",
        "unconfirmed": "{count} members cannot be confirmed by the reference registry (IIN "
        "absent, or name or birth date differ).",
        "repeat_iin": "IIN {key} voted {count} times.",
        "shared_ip": "{count} votes from one IP address, {key}, within a short time.",
        "non_member": "{count} votes from people who are not in the membership registry.",
        "voter_admitted_in_suspension": "{count} votes by members admitted while admission "
        "was suspended ({key}).",
        "tail": "File: {file}. Organisations: {organisations}. The rows are attached (CSV).",
        "update": "Audit run again ({file}): {count} rows now (were {before}). The new rows are "
        "attached.",
    },
}


def _words(language: str) -> dict[str, str]:
    return SENTENCES.get(language, SENTENCES["ru"])


def case_text(finding: Finding, language: str, file: str, votes: bool) -> tuple[str, str]:
    """(subject, text) of a new audit case. The key is already masked for IIN rules."""
    words = _words(language)
    rule = "vote_shared_phone" if votes and finding.rule == "shared_phone" else finding.rule
    sentence = words[rule].format(count=finding.count, key=finding.key)
    heading = (_VOTES if votes else _MEMBERS).get(language, _MEMBERS["ru"])
    organisations = ", ".join(finding.organisations) or "—"
    tail = words["tail"].format(file=file, organisations=organisations)
    return f"{heading}: {finding.rule}"[:512], f"{heading}. {sentence}\n\n{tail}"


def update_text(finding: Finding, language: str, file: str, before: int) -> str:
    return _words(language)["update"].format(file=file, count=finding.count, before=before)

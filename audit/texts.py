"""What an audit case says, in the language of the commission it goes to (ru, kk; en)."""

from __future__ import annotations

from audit.findings import Finding

_MEMBERS = {"ru": "Аудит реестра членов", "kk": "Мүшелер тізілімінің аудиті",
            "en": "Membership registry audit"}
_VOTES = {"ru": "Аудит голосования", "kk": "Дауыс беру аудиті", "en": "Primaries votes audit"}
VOTE_RULES = {"repeat_iin", "shared_ip", "non_member", "voter_admitted_in_suspension"}

SENTENCES: dict[str, dict[str, str]] = {
    "ru": {  # "…: N" rather than "N …": no numeral agreement to get wrong (2 раза, 5 раз)
        "invalid_iin": "Записи с недействительным ИИН (длина, контрольная цифра, дата "
        "рождения или цифра века): {count}.",
        "duplicate_iin": "ИИН {key} записан в реестре несколько раз: {count}.",
        "shared_phone": "Члены, зарегистрированные на один телефон {key}: {count}.",
        "vote_shared_phone": "Голоса, отданные с одного телефона {key}: {count}.",
        "shared_email": "Члены, зарегистрированные на один адрес почты {key}: {count}.",
        "suspended_admission": "Приняты в партию, когда приём был приостановлен ({key}): "
        "{count}.",
        "admission_burst": "Всплеск приёма: {key}. Принято: {count} — намного больше обычного "
        "для этой организации.",
        "unconfirmed": "Члены, чьи данные не подтверждаются справочным реестром (ИИН "
        "отсутствует, или ФИО либо дата рождения не совпадают): {count}.",
        "repeat_iin": "ИИН {key} проголосовал несколько раз: {count}.",
        "shared_ip": "Голоса с одного IP-адреса {key} за короткое время: {count}.",
        "non_member": "Голоса людей, которых нет в реестре членов: {count}.",
        "voter_admitted_in_suspension": "Голоса членов, принятых, когда приём был "
        "приостановлен ({key}): {count}.",
        "tail": "Файл: {file}. Организации: {organisations}. Строки файла приложены (CSV).",
        "update": "Повторный аудит ({file}): число строк — {count} (было {before}). Новые "
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
        "invalid_iin": "Records with an invalid IIN (length, check digit, birth date or "
        "century digit): {count}.",
        "duplicate_iin": "IIN {key} is listed more than once: {count}.",
        "shared_phone": "Members registered under one phone, {key}: {count}.",
        "vote_shared_phone": "Votes cast from one phone, {key}: {count}.",
        "shared_email": "Members registered under one email address, {key}: {count}.",
        "suspended_admission": "Admitted while admission was suspended ({key}): {count}.",
        "admission_burst": "Admission burst: {key}. Admitted: {count}, far above this "
        "organisation's usual rhythm.",
        "unconfirmed": "Members the reference registry does not confirm (IIN absent, or name "
        "or birth date differ): {count}.",
        "repeat_iin": "IIN {key} voted more than once: {count}.",
        "shared_ip": "Votes from one IP address, {key}, within a short time: {count}.",
        "non_member": "Votes by people who are not in the membership registry: {count}.",
        "voter_admitted_in_suspension": "Votes by members admitted while admission was "
        "suspended ({key}): {count}.",
        "tail": "File: {file}. Organisations: {organisations}. The rows are attached (CSV).",
        "update": "Audit run again ({file}): {count} rows now, {before} before. The new rows "
        "are attached.",
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

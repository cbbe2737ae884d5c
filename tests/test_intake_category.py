"""Category: editable rules over lemmas and phrases in Russian, Kazakh and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.category import RulesError, classify, label, load_rules, parse_rules


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Меня записали в партию без моего согласия", "fake_membership"),
        ("Приём был приостановлен, но в первичку приняли 15 человек", "fake_membership"),
        ("Партияға қабылдау тоқтатылған кезде 30 жаңа мүше қабылданды", "fake_membership"),
        ("Сто членов партии зарегистрированы на один номер телефона", "shared_contacts"),
        ("70 партия мүшесі бір телефон нөмірімен тіркелген", "shared_contacts"),
        ("Начальник требует вступить в партию, иначе грозит увольнением", "coercion"),
        ("Мұғалімдерді партияға кіруге мәжбүрлейді", "coercion"),
        ("Раздают по 5000 тенге за голос на праймериз", "vote_buying"),
        ("Дауыс үшін ақша таратты", "vote_buying"),
        ("Мне сказали, что за меня уже проголосовали", "voting_fraud"),
        ("Менің атымнан біреу дауыс берген", "voting_fraud"),
        ("Собрание провели без кворума, протокол подписали задним числом", "procedure"),
        ("Жиналыс кворумсыз өтті, хаттама жалған толтырылды", "procedure"),
        ("My employer is forcing all staff to join the party", "coercion"),
    ],
)
def test_it_classifies_each_kind_of_complaint(text: str, category: str) -> None:
    assert classify(text).category == category


def test_it_reads_kazakh_in_latin_letters_with_the_cyrillic_rules() -> None:
    assert classify("Astanada jumys berýshi bizdi partııaǵa kirýge májbúrlep otyr").category == (
        "coercion"
    )
    assert classify("Meni kelisimimsiz partiyaga mushe etip jazyp qoigan").category == (
        "fake_membership"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Подскажите часы работы общественной приёмной.",
        "Может ли член партии участвовать в праймериз без уплаты взносов?",  # a weak hint only
        "В газете опечатка, деньги за подписку взяли.",
        "",
    ],
)
def test_it_answers_other_when_no_category_reaches_the_minimum(text: str) -> None:
    result = classify(text)
    assert (result.category, result.score, result.confidence) == ("other", 0.0, 0.0)


def test_it_reports_a_score_and_a_confidence() -> None:
    result = classify("Собрание провели без кворума. Кто-то проголосовал за меня.")
    assert result.category in ("procedure", "voting_fraud")
    assert result.score >= load_rules().min_score
    assert 0 < result.confidence < 1


def test_it_keeps_a_phrase_gap_within_one_sentence() -> None:
    rules = parse_rules('[coercion]\npatterns = [["требу…вступ", 3]]\n')
    assert classify("Требуют от всех вступить", rules).category == "coercion"
    assert classify("Требуют отчёт. Вступить не просили", rules).category == "other"


def test_it_matches_patterns_whatever_the_kazakh_or_russian_spelling() -> None:
    rules = parse_rules('[coercion]\npatterns = [["мәжбүр", 3]]\n')
    assert classify("мажбурлейди", rules).category == "coercion"
    assert classify("МӘЖБҮРЛЕЙДІ", rules).category == "coercion"


def test_it_uses_a_rules_file_the_user_edited(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        'min_score = 1\n[procedure]\nlabels = { ru = "Процедура" }\n'
        'lemmas = { "регламент" = 2 }\n[vote_buying]\npatterns = [["водк\\\\w+", 2]]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert classify("нарушили регламенты", rules).category == "procedure"
    assert classify("раздавали водку", rules).category == "vote_buying"
    assert classify("без кворума", rules).category == "other"


def test_it_labels_categories_in_each_language() -> None:
    assert label("vote_buying", "kk") == "Сайлаушыларды сатып алу"
    assert label("coercion", "en") == "Coercion"
    assert label("other", "ru") == "Другое"


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[coercion\nlemmas = {}", "not valid TOML"),
        ("[bribery]\nlemmas = {}", "unknown category 'bribery'"),
        ('[coercion]\npatterns = [["(unclosed", 2]]', "category coercion, pattern 1"),
        ('[coercion]\npatterns = [["ok", "heavy"]]', "must be a number"),
        ('[coercion]\npatterns = ["just a string"]', "expected [regex, weight]"),
        ('[coercion]\nlemmas = { "угроза" = "3" }', "lemma 'угроза'"),
        ("[coercion]\nkeywords = {}", "unknown key(s) keywords"),
        ('min_score = "high"', "min_score"),
        ("coercion = 3", "expected a table"),
    ],
)
def test_it_names_the_problem_in_a_malformed_rules_file(toml: str, problem: str) -> None:
    with pytest.raises(RulesError) as error:
        parse_rules(toml)
    assert problem in str(error.value)


def test_it_ships_a_rules_file_for_every_category_but_other() -> None:
    codes = {rule.code for rule in load_rules()}
    assert codes == {
        "fake_membership",
        "shared_contacts",
        "coercion",
        "vote_buying",
        "voting_fraud",
        "procedure",
    }


def test_it_ships_patterns_that_all_compile() -> None:
    # Patterns compile on first use (intake.prefilter.LazyPattern); loading only parses them.
    for rule in load_rules():
        for pattern, _ in rule.patterns:
            assert pattern.compiled().pattern == pattern.pattern

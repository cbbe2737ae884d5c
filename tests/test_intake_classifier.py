"""The trained category model: shipped, loaded once, right on the issue's examples, trained
deterministically, and unsure cases sent to central triage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.analyse import analyse
from intake.category import CATEGORIES, RulesError, parse_rules
from intake.classifier import (
    MODEL_FILE,
    categorise,
    load_model,
    model_from_json,
    probabilities,
    read_model,
)
from intake.corpus import held_out_families, load_corpus, split

DATA = Path(__file__).resolve().parent.parent / "intake" / "data"


def test_it_loads_the_shipped_model_once() -> None:
    model = load_model()
    assert model.classes == CATEGORIES
    assert {"words", "chars"} <= set(model.blocks)
    assert all(len(block.index) > 1000 for block in model.blocks.values())
    assert load_model() is model


def test_it_ships_a_model_trained_on_none_of_the_held_out_families() -> None:
    trained_on = set(load_model().meta["trained_on"])
    families = {item.family for item in load_corpus()}
    assert trained_on and trained_on <= families
    assert trained_on.isdisjoint(held_out_families(families))


def test_it_ships_a_model_trained_on_the_current_corpus() -> None:
    from shagym.train_category import corpus_digest

    train, _ = split(load_corpus())
    assert load_model().meta["corpus_sha256"] == corpus_digest(train), "run `make model`"


def test_it_keeps_the_artefact_small() -> None:
    assert (DATA / MODEL_FILE).stat().st_size < 1_000_000


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("голосовали за умерших людей в Алматы", "voting_fraud"),
        ("Елордада партияға зорлап кіргізді", "coercion"),
        ("Меня приняли в партию без моего согласия, заявление я не подписывал", "fake_membership"),
        ("На участке выдавали уже заполненные бюллетени", "voting_fraud"),
        ("Одна и та же ИИН проголосовала дважды", "voting_fraud"),
        ("Нашему кандидату отказали в регистрации без объяснения причин", "procedure"),
        ("Сотни голосов пришли с одного и того же IP-адреса", "shared_contacts"),
        ("Бір телефон нөміріне 80 мүше тіркелген", "shared_contacts"),
        ("Дауыс бергендерге 10 мың теңгеден таратты", "vote_buying"),
        ("Подскажите, пожалуйста, часы работы приёмной", "other"),
    ],
)
def test_it_categorises_the_issues_examples(text: str, category: str) -> None:
    assert categorise(text).category == category


def test_it_gives_a_probability_as_the_confidence() -> None:
    result = analyse("Голосовали за умерших людей в Алматы")
    assert result.category == "voting_fraud"
    assert 0.5 < result.category_confidence <= 1
    assert result.as_json()["category_triage"] is False


def test_it_sends_a_text_torn_between_two_categories_to_triage() -> None:
    result = analyse("Заставляли голосовать и платили деньги")  # coercion or vote buying?
    assert result.category_confidence < 0.5
    assert result.category_triage is True


def test_it_sends_an_empty_text_to_triage() -> None:
    assert categorise("").triage is True


def test_it_reads_the_triage_threshold_from_the_rules_file() -> None:
    assert parse_rules("triage_below = 0.7\n").triage_below == 0.7
    with pytest.raises(RulesError, match="triage_below"):
        parse_rules("triage_below = 2\n")


def test_it_splits_by_whole_families_with_every_category_on_both_sides() -> None:
    train, test = split(load_corpus())
    assert {i.family for i in train}.isdisjoint({i.family for i in test})
    assert {i.category for i in test} == set(CATEGORIES) == {i.category for i in train}
    assert {"ru", "kk"} <= {i.language for i in test}
    assert "devset" in {i.family for i in train} and "holdout" in {i.family for i in test}


def test_it_trains_the_same_model_from_the_same_corpus(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from shagym.train_category import Params, train, write

    items = [i for i in load_corpus() if i.family in {"devset", "holdout"}]
    first = write(train(items, (Params(c=10.0),)), tmp_path / "a.json.gz")
    second = write(train(items, (Params(c=10.0),)), tmp_path / "b.json.gz")
    assert first == second
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    model = read_model(tmp_path / "a.json.gz")
    assert categorise("Меня заставляют вступить в партию", model=model).category == "coercion"
    assert json.dumps(model.meta["trained_on"]) == '["devset", "holdout"]'


def test_it_computes_the_probabilities_scikit_learn_computes() -> None:
    pytest.importorskip("sklearn")
    from shagym.train_category import Fitted, Params, _softmax, export, featurise

    items = [i for i in load_corpus() if i.family in {"devset", "holdout"}]
    fitted = Fitted(featurise(items), Params(c=10.0, rule_weight=0.5))
    model = model_from_json(export(fitted, 0.7, {}))
    texts = load_corpus()[:40]
    expected = _softmax(fitted.logits(featurise(texts)), 0.7)
    classes = list(fitted.classifier.classes_)
    for text, row in zip(texts, expected, strict=True):
        ours = probabilities(text.text, model=model)
        for code in CATEGORIES:
            assert ours[code] == pytest.approx(row[classes.index(code)], abs=0.01)


def test_it_refuses_to_train_on_a_corpus_of_one_family(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from typer.testing import CliRunner

    from shagym.cli import app

    (tmp_path / "ru_only.jsonl").write_text(
        (DATA / "complaints" / "ru_voice.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["train", "category", "--corpus", str(tmp_path), "-o", str(tmp_path / "m.gz")]
    )
    assert result.exit_code == 2
    assert "at least two training families" in result.output
    assert not (tmp_path / "m.gz").exists()

"""The gazetteer's name lemmas ship precomputed (intake/name_lemmas.py) and stay current."""

from __future__ import annotations

from intake import gazetteer, name_lemmas


def test_it_ships_the_lemmas_of_the_gazetteer_as_it_is_now():
    shipped = name_lemmas.shipped()
    assert shipped is not None, "stale intake/data/name_lemmas.json: run `make model`"
    assert shipped == name_lemmas.current()


def test_it_builds_the_same_gazetteer_without_the_file(monkeypatch):
    rows = gazetteer._rows()
    gazetteer._nominative_lemmas.cache_clear()
    with_file = gazetteer.build(rows)
    monkeypatch.setattr(name_lemmas, "shipped", lambda: None)
    gazetteer._nominative_lemmas.cache_clear()
    try:
        parsed = gazetteer.build(rows)
    finally:
        gazetteer._nominative_lemmas.cache_clear()
    assert with_file.entries.keys() == parsed.entries.keys()
    assert with_file.common_nouns == parsed.common_nouns

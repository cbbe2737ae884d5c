"""The gazetteer's index ships prebuilt (intake/gazetteer_index.py) and stays current."""

from __future__ import annotations

from intake import gazetteer, gazetteer_index


def test_it_ships_the_index_of_the_gazetteer_as_it_is_now():
    shipped = gazetteer_index.shipped()
    assert shipped is not None, "stale intake/data/gazetteer_index.json.gz: run `make model`"
    built = gazetteer.build(gazetteer._rows())
    assert list(shipped.entries.items()) == list(built.entries.items())
    assert shipped.places == built.places
    assert shipped.regions == built.regions
    assert shipped.vocabulary == built.vocabulary
    assert shipped.common_nouns == built.common_nouns
    assert shipped.max_anchor == built.max_anchor


def test_it_finds_each_name_through_the_same_anchors_as_a_fresh_build():
    shipped = gazetteer_index.shipped()
    assert shipped is not None
    built = gazetteer.build(gazetteer._rows())
    assert dict(shipped.by_anchor) == dict(built.by_anchor)


def test_it_builds_the_gazetteer_when_the_index_is_stale(monkeypatch):
    monkeypatch.setattr(gazetteer_index, "fingerprint", lambda: {"sources_sha256": "other"})
    assert gazetteer_index.shipped() is None

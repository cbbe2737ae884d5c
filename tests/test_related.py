"""Related cases: linked by phone, IIN, organisation or near-identical text, never merged."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from intake.cases import open_case
from intake.raw import RawReport
from intake.related import hamming, simhash
from models.tables import Case, CaseLink

BASE = (
    "На собрании первичной организации в Караганде председатель объявил что все "
    "работники обязаны вступить в партию до пятницы иначе лишат премии"
)


def report(text: str, sender: str) -> RawReport:
    return RawReport(channel="telegram", sender=sender, text=text)


def test_it_gives_near_identical_texts_close_fingerprints_and_different_ones_far():
    edited = BASE.replace("до пятницы", "до понедельника")
    other = (
        "В Павлодаре кто-то проголосовал вместо моей бабушки на праймериз, она лежит в больнице"
    )
    assert hamming(simhash(BASE), simhash(BASE + ".")) == 0
    assert hamming(simhash(BASE), simhash(edited)) < hamming(simhash(BASE), simhash(other))
    assert simhash("слишком коротко") is None


def per_bit_simhash(words: list[str]) -> int:
    """The definition, bit by bit: a bit is set when more trigram hashes have it than not."""
    weights = [0] * 64
    for i in range(len(words) - 2):
        digest = hashlib.blake2b(" ".join(words[i : i + 3]).encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    unsigned = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


@given(st.lists(st.sampled_from(["партия", "шағым", "член", "бір", "Алматы", "5"]), min_size=8))
def test_its_fingerprint_is_the_per_bit_majority_so_stored_ones_stay_comparable(words):
    # Ties (an even number of trigrams split evenly on a bit) leave the bit unset.
    assert simhash(" ".join(words)) == per_bit_simhash([w.lower() for w in words])


async def test_it_links_the_same_text_from_two_people_as_two_cases(sessions, intake_ctx):
    async with sessions() as session:
        first = await open_case(session, report(BASE, "100"), intake_ctx)
        second = await open_case(session, report(BASE + "!", "200"), intake_ctx)
        await session.commit()
        links = (await session.exec(select(CaseLink))).all()
    assert first.case.id != second.case.id
    assert [(k.case_id, k.related_case_id, k.reason) for k in links] == [
        (second.case.id, first.case.id, "near_identical_text")
    ]


async def test_it_links_by_iin_and_by_organisation_in_either_language(sessions, intake_ctx):
    async with sessions() as session:
        a = await open_case(
            session, report("ИИН 061211600012 использован без согласия", "1"), intake_ctx
        )
        b = await open_case(
            session, report("жсн 061211600012 менің келісімімсіз", "2"), intake_ctx
        )
        c = await open_case(
            session, report("В ТОО «Береке Агро» заставляют вступать", "3"), intake_ctx
        )
        d = await open_case(
            session, report("ЖШС «Береке Агро» жұмысшыларын мәжбүрлейді", "4"), intake_ctx
        )
        await session.commit()
    assert b.related == [a.case.id]
    assert d.related == [c.case.id]


async def test_it_merges_clusters_when_a_case_bridges_two(sessions, intake_ctx):
    async with sessions() as session:
        a = await open_case(session, report("номер 87011234567 у всех", "1"), intake_ctx)
        b = await open_case(session, report("ИИН 061211600012 чужой", "2"), intake_ctx)
        bridge = await open_case(
            session, report("87011234567 и 061211600012 в одной анкете", "3"), intake_ctx
        )
        await session.commit()
        clusters = {c.id: c.cluster_id for c in (await session.exec(select(Case))).all()}
    assert sorted(bridge.related) == [a.case.id, b.case.id]
    assert clusters[a.case.id] == clusters[b.case.id] == clusters[bridge.case.id] == a.case.id

"""Linking related cases: the same phone, IIN, email or organisation, or near-identical text.

Reports from different people are never merged: each stays its own case, and related cases
share a `cluster_id` (the smallest case id in the cluster) with a `case_link` row per reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import keyed_hash
from models.tables import Case, CaseEntity, CaseLink
from models.types import utcnow

NEAR_DUPLICATE_BITS = 3  # simhash Hamming distance for "near-identical"
MIN_WORDS_FOR_SIMHASH = 8
SIMHASH_KIND = "sim"  # entity kind of the fingerprint's bands: an index key, not a fact to show
_WORD = re.compile(r"\w+", re.UNICODE)


def simhash(text: str) -> int | None:
    """64-bit simhash over word trigrams, as a signed integer (fits BIGINT).

    A bit is set when more than half of the trigram hashes have it set. The hashes are
    written as 64-character binary strings and counted column by column (`zip` and
    `str.count` run in C): the same result as a per-bit loop, several times faster."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS_FOR_SIMHASH:
        return None
    rows = [
        hashlib.blake2b(" ".join(words[i : i + 3]).encode(), digest_size=8).hexdigest()
        for i in range(len(words) - 2)
    ]
    bits = [format(int(row, 16), "064b") for row in rows]
    columns = map("".join, zip(*bits, strict=True))  # column j is bit 63 - j
    half = len(bits) / 2
    majority = "".join("1" if column.count("1") > half else "0" for column in columns)
    unsigned = int(majority, 2)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def simhash_bands(value: int | None) -> set[tuple[str, str]]:
    """Index keys for near-duplicate search: the 64 bits as four 16-bit bands.

    Two fingerprints within NEAR_DUPLICATE_BITS (3) of each other differ in at most three
    bands, so they share at least one band exactly: looking up the bands finds every
    near-identical case through the same index as phones and IINs, without a scan.
    """
    if value is None:
        return set()
    unsigned = value & ((1 << 64) - 1)
    return {(SIMHASH_KIND, f"{band}:{unsigned >> (16 * band) & 0xFFFF:04x}") for band in range(4)}


@dataclass(slots=True)
class _Related:
    reasons: dict[int, str]  # related case id → why
    clusters: set[int]  # the clusters those cases are in already


# Built once: two expanding IN lists instead of one OR per key give the statement one shape
# whatever the number of keys, so it compiles once and stays cached, and the (kind, value)
# index still serves it. The few pairs the cross product adds are dropped in `_candidates`.
_CANDIDATES = (
    select(  # type: ignore[call-overload]  # sqlmodel types up to four columns
        CaseEntity.case_id, CaseEntity.kind, CaseEntity.value, Case.simhash, Case.cluster_id
    )
    .join(Case, col(Case.id) == CaseEntity.case_id)
    .where(
        col(CaseEntity.kind).in_(bindparam("kinds", expanding=True)),
        col(CaseEntity.value).in_(bindparam("values", expanding=True)),
        CaseEntity.case_id != bindparam("case_id"),
    )
)
# Core executemany: one cached statement for all rows (the ORM would insert them one by one,
# and a multi-row VALUES clause is compiled afresh every time).
_INSERT_ENTITIES = insert(CaseEntity)
_INSERT_LINKS = insert(CaseLink)


Row = tuple[int, str, str, int | None, int | None]  # case id, kind, value, simhash, cluster


def _entity_rows(case: Case, keys: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"case_id": case.id, "kind": kind, "value": value} for kind, value in keys]


@dataclass(slots=True)
class PendingEntities:
    """A batch's entity rows not written yet (mail ingest writes them with the batch, see
    `intake.cases.defer_writes`), and which of the batch's cases hold each key, so that the
    cases after them in the batch still find them."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    holders: dict[tuple[str, str], list[Case]] = field(default_factory=dict)

    def add(self, case: Case, keys: Iterable[tuple[str, str]]) -> None:
        keys = list(keys)
        self.rows += _entity_rows(case, keys)
        for key in keys:
            self.holders.setdefault(key, []).append(case)

    def matching(self, keys: Iterable[tuple[str, str]]) -> list[Row]:
        # A holder's cluster is current: the ORM keeps the session's cases in step with the
        # cluster UPDATE in link_related.
        return [
            (other.id, kind, value, other.simhash, other.cluster_id)
            for kind, value in keys
            for other in self.holders.get((kind, value), ())
            if other.id is not None
        ]

    async def write(self, session: AsyncSession) -> None:
        if self.rows:
            await session.exec(_INSERT_ENTITIES, params=self.rows)  # type: ignore[call-overload]


async def _candidates(
    session: AsyncSession,
    case: Case,
    keys: set[tuple[str, str]],
    pending: PendingEntities | None,
) -> _Related:
    related = _Related({}, set())
    if not keys:
        return related
    stored = await session.exec(  # type: ignore[call-overload]
        _CANDIDATES,
        params={
            "kinds": sorted({kind for kind, _ in keys}),
            "values": sorted({value for _, value in keys}),
            "case_id": case.id,
        },
    )
    rows: list[Row] = [*stored, *(pending.matching(keys) if pending else ())]
    found = related.reasons
    for case_id, kind, value, other_hash, cluster in rows:
        if (kind, value) not in keys:
            continue
        if kind != SIMHASH_KIND:
            found[case_id] = f"same_{kind}"
        elif (
            case_id not in found
            and case.simhash is not None
            and other_hash is not None
            and hamming(case.simhash, other_hash) <= NEAR_DUPLICATE_BITS
        ):
            found[case_id] = "near_identical_text"
        else:
            continue
        if cluster is not None:
            related.clusters.add(cluster)
    return related


async def link_related(
    session: AsyncSession,
    case: Case,
    keys: set[tuple[str, str]],
    pending: PendingEntities | None = None,
) -> list[int]:
    """Record the case's entities (with `pending`: there, to be written with the batch), link
    it to related cases and merge their clusters."""
    assert case.id is not None
    # The store holds each phone, IIN or email by its keyed hash only: equal values still meet.
    keys = {(kind, keyed_hash(value[:256])) for kind, value in keys} | simhash_bands(case.simhash)
    related = await _candidates(session, case, keys, pending)
    if pending is not None:
        pending.add(case, keys)
    elif keys:
        await session.exec(_INSERT_ENTITIES, params=_entity_rows(case, keys))  # type: ignore[call-overload]
    if not related.reasons:
        return []
    now = utcnow()
    await session.exec(  # type: ignore[call-overload]
        _INSERT_LINKS,
        params=[
            {"case_id": case.id, "related_case_id": other, "reason": reason, "created_at": now}
            for other, reason in related.reasons.items()
        ],
    )
    members = {case.id} | set(related.reasons)
    cluster_id = min(members | related.clusters)
    # Only rows whose cluster changes are written: a case joining a cluster of hundreds (one
    # phone number behind a hundred members) touches itself, not the hundreds.
    await session.exec(  # type: ignore[call-overload]
        update(Case)
        .where(
            or_(col(Case.id).in_(members), col(Case.cluster_id).in_(related.clusters or {-1})),
            or_(col(Case.cluster_id).is_(None), col(Case.cluster_id) != cluster_id),
        )
        .values(cluster_id=cluster_id)
    )
    case.cluster_id = cluster_id
    return sorted(related.reasons)

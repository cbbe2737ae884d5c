"""Linking related cases: the same phone, IIN, email or organisation, or near-identical text.

Reports from different people are never merged: each stays its own case, and related cases
share a `cluster_id` (the smallest case id in the cluster) with a `case_link` row per reason.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import Case, CaseEntity, CaseLink

NEAR_DUPLICATE_BITS = 3  # simhash Hamming distance for "near-identical"
MIN_WORDS_FOR_SIMHASH = 8
RECENT_CASES_SCANNED = 5_000
_WORD = re.compile(r"\w+", re.UNICODE)


def simhash(text: str) -> int | None:
    """64-bit simhash over word trigrams, as a signed integer (fits BIGINT)."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS_FOR_SIMHASH:
        return None
    weights = [0] * 64
    for i in range(len(words) - 2):
        shingle = " ".join(words[i : i + 3]).encode()
        value = int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    unsigned = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


async def _by_entities(
    session: AsyncSession, case: Case, keys: set[tuple[str, str]]
) -> dict[int, str]:
    if not keys:
        return {}
    clauses = [(CaseEntity.kind == k) & (CaseEntity.value == v) for k, v in keys]
    rows = await session.exec(
        select(CaseEntity.case_id, CaseEntity.kind).where(
            or_(*clauses), CaseEntity.case_id != case.id
        )
    )
    found: dict[int, str] = {}
    for case_id, kind in rows:
        found.setdefault(case_id, f"same_{kind}")
    return found


async def _by_text(session: AsyncSession, case: Case) -> dict[int, str]:
    if case.simhash is None:
        return {}
    rows = await session.exec(
        select(Case.id, Case.simhash)
        .where(col(Case.simhash).is_not(None), Case.id != case.id)
        .order_by(col(Case.id).desc())
        .limit(RECENT_CASES_SCANNED)
    )
    return {
        case_id: "near_identical_text"
        for case_id, other in rows
        if case_id is not None
        and other is not None
        and hamming(case.simhash, other) <= NEAR_DUPLICATE_BITS
    }


async def link_related(session: AsyncSession, case: Case, keys: set[tuple[str, str]]) -> list[int]:
    """Record the case's entities, link it to related cases and merge their clusters."""
    assert case.id is not None
    for kind, value in keys:
        session.add(CaseEntity(case_id=case.id, kind=kind, value=value[:256]))
    related = await _by_text(session, case)
    related.update(await _by_entities(session, case, keys))
    if not related:
        return []
    for other_id, reason in related.items():
        session.add(CaseLink(case_id=case.id, related_case_id=other_id, reason=reason))
    clusters = await session.exec(
        select(Case.id, Case.cluster_id).where(col(Case.id).in_(related))
    )
    members = {case.id} | set(related)
    old_clusters = {cluster for _, cluster in clusters if cluster is not None}
    cluster_id = min(members | old_clusters)
    await session.exec(  # type: ignore[call-overload]
        update(Case)
        .where(or_(col(Case.id).in_(members), col(Case.cluster_id).in_(old_clusters or {-1})))
        .values(cluster_id=cluster_id)
    )
    case.cluster_id = cluster_id
    return sorted(related)

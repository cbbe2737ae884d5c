"""A case whose category the model is unsure of goes to central triage, as an unplaced one
does; the region it names is kept for the central committee to forward it."""

from __future__ import annotations

import pytest
from sqlmodel import select

import intake.classifier
from intake.analyse import analyse
from intake.cases import open_case
from intake.category import parse_rules
from intake.raw import RawReport
from models.tables import AuditLog

TEXT = "В Караганде на работе заставляли голосовать и ещё платили деньги"


def report(text: str, **kwargs: object) -> RawReport:
    return RawReport(channel="email", sender="citizen@example.kz", text=text, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def demanding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only certainty avoids triage (`triage_below = 1` in the rules file)."""
    rules = parse_rules("triage_below = 1.0\n")
    monkeypatch.setattr(intake.classifier, "load_rules", lambda: rules)
    assert analyse(TEXT).category_confidence < 1


async def test_it_routes_an_uncertain_category_to_central_triage(sessions, intake_ctx, demanding):
    async with sessions() as session:
        opened = await open_case(session, report(TEXT), intake_ctx)
        await session.commit()
    assert opened.analysis.category_triage is True
    assert (opened.case.region, opened.case.commission_code) == ("KAR", "CENTRAL")
    async with sessions() as session:
        query = select(AuditLog).where(AuditLog.action == "case.created")
        audit = (await session.exec(query)).one()
    assert audit.details["triage"] == "category"


async def test_it_trusts_the_category_the_citizen_chose(sessions, intake_ctx, demanding):
    async with sessions() as session:
        opened = await open_case(session, report(TEXT, category_hint="coercion"), intake_ctx)
        await session.commit()
    assert (opened.case.category, opened.case.commission_code) == ("coercion", "KAR")


async def test_it_routes_a_certain_category_to_the_region(sessions, intake_ctx):
    text = "В Караганде начальник заставляет всех вступить в партию, иначе грозит увольнением"
    assert analyse(text).category_triage is False
    async with sessions() as session:
        opened = await open_case(session, report(text), intake_ctx)
        await session.commit()
    assert (opened.case.category, opened.case.commission_code) == ("coercion", "KAR")

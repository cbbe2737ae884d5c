"""From findings holding row references to findings a commission can act on: where their rows
are (region, district, organisations), and shared contacts counted by distinct people."""

from __future__ import annotations

from collections import Counter

from audit import normalise as norm
from audit.findings import Finding
from audit.scan import Record, Run

MAX_ORGANISATIONS = 20
CONTACT_RULES = {"shared_phone", "shared_email"}


def finish(
    findings: list[Finding], run: Run, shared_min: int
) -> tuple[list[Finding], dict[int, Record]]:
    """Fill in each finding's place from its rows (one second pass over the files), drop
    shared contacts behind fewer than `shared_min` distinct IINs (one person listed twice is a
    duplicate, not a family), and return the records of the rows for the evidence."""
    wanted = {r for f in findings for r in f.refs}
    records = run.fetch(wanted) if wanted else {}
    kept = []
    for finding in findings:
        rows = [records[r] for r in finding.refs if r in records]
        if finding.rule in CONTACT_RULES:
            people = {norm.clean_iin(rec.get("iin", "")) or f"row{i}" for i, rec in enumerate(rows)}
            if len(people) < shared_min:
                continue
        _place(finding, rows)
        kept.append(finding)
    kept.sort(key=lambda f: (f.rule, f.region or "", -f.count, f.key))
    return kept, records


def _place(finding: Finding, rows: list[Record]) -> None:
    regions = {norm.region_code(r["region"]) if r.get("region") else None for r in rows}
    # Several regions, or rows naming none: the central committee's triage decides.
    finding.region = next(iter(regions)) if len(regions) == 1 else None
    districts = {r.get("district") or None for r in rows}
    finding.district = next(iter(districts)) if len(districts) == 1 and finding.region else None
    organisations = Counter(r["organisation"] for r in rows if r.get("organisation"))
    finding.organisations = sorted(o for o, _ in organisations.most_common(MAX_ORGANISATIONS))

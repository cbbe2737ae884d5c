"""One audit run, from files to findings (pure apart from reading the files), and loading the
registries the rules compare against (--reference, --members)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from audit import normalise as norm
from audit.columns import MEMBER_FIELDS, REFERENCE_FIELDS, VOTE_FIELDS
from audit.findings import Finding
from audit.finish import finish
from audit.members import MemberOptions, MemberRules, Reference, Window, iin_key
from audit.scan import Layout, Record, Run
from audit.votes import Registry, VoteOptions, VoteRules
from core.errors import CliError

MEMBERS = Layout(MEMBER_FIELDS, [("iin",)])
VOTES = Layout(VOTE_FIELDS, [("iin", "phone", "ip")])
REFERENCE = Layout(REFERENCE_FIELDS, [("iin",), ("full_name", "birth_date")])


@dataclass(slots=True)
class Result:
    run: Run
    findings: list[Finding]
    records: dict[int, Record]
    admissions: Counter[dt.date] = field(default_factory=Counter)


def parse_window(text: str) -> Window:
    """FROM:TO (or FROM..TO), both days included; dates as 2024-01-31 or 31.01.2024."""
    parts = text.split("..") if ".." in text else text.split(":")
    start = norm.parse_date(parts[0]) if len(parts) == 2 else None
    end = norm.parse_date(parts[1]) if len(parts) == 2 else None
    if start is None or end is None:
        raise CliError(f"--suspended {text!r}: expected FROM:TO, e.g. 2024-01-01:2024-03-31")
    if start > end:
        raise CliError(f"--suspended {text!r}: FROM is after TO")
    return start, end


def audit_members(
    paths: list[Path], options: MemberOptions, *, sheet: str | None = None, progress: bool = True
) -> Result:
    run = Run(paths, MEMBERS, sheet)
    run.check()
    rules = MemberRules(options, run.problems)
    run.scan(rules.add, progress=progress)
    findings, records = finish(rules.findings(), run, options.shared_min)
    return Result(run, findings, records, rules.admissions)


def audit_votes(
    paths: list[Path], options: VoteOptions, *, sheet: str | None = None, progress: bool = True
) -> Result:
    run = Run(paths, VOTES, sheet)
    run.check()
    rules = VoteRules(options, run.problems)
    run.scan(rules.add, progress=progress)
    findings, records = finish(rules.findings(), run, options.shared_min)
    return Result(run, findings, records)


def load_reference(path: Path, *, progress: bool = True) -> tuple[Reference, Run]:
    """IIN → (name key, birth date) of a registry trusted to be right."""
    run = Run([path], REFERENCE)
    found: Reference = {}

    def add(row_ref: int, rec: Record) -> None:
        iin = norm.clean_iin(rec.get("iin", ""))
        if not iin:
            run.problems.add("reference: no IIN, skipped", row_ref)
            return
        born = norm.parse_date(rec["birth_date"]) if rec.get("birth_date") else None
        name = norm.name_key(rec["full_name"]) if rec.get("full_name") else ""
        found[iin] = (name, born or norm.birth_date(iin))

    run.scan(add, progress=progress)
    return found, run


def load_members(path: Path, *, progress: bool = True) -> tuple[Registry, Run]:
    """IIN → admission date of the members a votes file is checked against."""
    run = Run([path], MEMBERS)
    found: Registry = {}

    def add(row_ref: int, rec: Record) -> None:
        iin = norm.clean_iin(rec.get("iin", ""))
        if iin:
            admitted = rec.get("admitted_on", "")
            found[iin_key(iin)] = norm.parse_date(admitted) if admitted else None

    run.scan(add, progress=progress)
    return found, run

"""One audit run, from files to findings (pure apart from reading the files), and loading the
registries the rules compare against (--reference, --members)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from audit import normalise as norm
from audit.columns import MEMBER_FIELDS, REFERENCE_FIELDS, VOTE_FIELDS
from audit.findings import Finding
from audit.finish import finish
from audit.members import MemberOptions, Reference, Window
from audit.scan import Layout, Record, Run
from audit.votes import VoteOptions
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
    from audit.batches import scan_batches
    from audit.member_rules import FIELDS, MemberRules

    rules = MemberRules(options, run.problems)
    scan_batches(run, FIELDS, rules.batch, progress=progress)
    findings, records = finish(rules.findings(), run, options.shared_min)
    return Result(run, findings, records, rules.admissions)


def audit_votes(
    paths: list[Path], options: VoteOptions, *, sheet: str | None = None, progress: bool = True
) -> Result:
    run = Run(paths, VOTES, sheet)
    run.check()
    from audit.batches import scan_batches
    from audit.vote_rules import FIELDS, VoteRules

    rules = VoteRules(options, run.problems)
    scan_batches(run, FIELDS, rules.batch, progress=progress)
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


def load_members(path: Path, *, progress: bool = True) -> tuple[pl.DataFrame, Run]:
    """IIN → admission date of the members a votes file is checked against (a frame: IIN
    text, admission date; the last row of an IIN listed twice wins)."""
    from audit.batches import Pending, scan_batches
    from audit.vote_rules import REGISTRY, load_registry_batch

    run = Run([path], MEMBERS)
    frames: list[pl.DataFrame] = []
    slow: list[tuple[object, ...]] = []

    def add(frame: pl.DataFrame, pending: Pending) -> None:
        frames.append(load_registry_batch(frame, slow))

    scan_batches(run, list(MEMBER_FIELDS), add, progress=progress)
    rows = pl.concat([*frames, pl.DataFrame(slow, schema={"ref": pl.Int64, **REGISTRY},
                                            orient="row")])
    found = rows.sort("ref").unique("iin", keep="last", maintain_order=True).drop("ref")
    return found, run

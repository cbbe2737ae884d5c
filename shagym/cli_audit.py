"""`shagym audit members|votes`: find the registry's and the primaries' patterns, and turn
each finding into a routed case (unless --dry-run)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from core.settings import Settings, load_settings
from shagym.errors import CliError, friendly

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from audit.cases import Outcome
    from audit.run import Result

    Windows = list[tuple[dt.date, dt.date]]

app = typer.Typer(
    help="Audit a membership registry or the primaries' votes; findings become cases.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    jsonl = "jsonl"
    html = "html"


Files = Annotated[list[Path], typer.Argument(help="CSV or XLSX files.", show_default=False)]
Suspended = Annotated[
    list[str] | None, typer.Option("--suspended", help="FROM:TO, admission suspended (repeat).")
]
SharedMin = Annotated[int | None, typer.Option(help="At least N people under one phone/email "
                                                    "[AUDIT_SHARED_MIN, 5].")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, jsonl or html.")]
Out = Annotated[Path | None, typer.Option(help="Write the output here instead of stdout.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report only; open no cases.")]
Sheet = Annotated[str | None, typer.Option(help="The XLSX sheet to read.")]


@app.command()
@friendly
def members(
    files: Files,
    suspended: Suspended = None,
    reference: Annotated[Path | None, typer.Option(help="A registry to confirm members by.")] = None,
    shared_min: SharedMin = None,
    format: FormatOpt = Format.table,
    out: Out = None,
    dry_run: DryRun = False,
    sheet: Sheet = None,
) -> None:
    """Audit a membership registry export."""
    from audit.members import MemberOptions
    from audit.run import audit_members, load_reference, parse_window

    settings = load_settings()
    windows = [parse_window(w) for w in suspended or []]
    options = MemberOptions(
        suspended=windows, shared_min=shared_min or settings.AUDIT_SHARED_MIN,
        burst_days=settings.AUDIT_BURST_DAYS, burst_min=settings.AUDIT_BURST_MIN,
        burst_factor=settings.AUDIT_BURST_FACTOR,
    )
    notes: list[str] = []
    if reference is not None:
        options.reference, ref_run = load_reference(reference)
        notes += ref_run.notes + [f"skipped or not understood in {reference.name}: {line}"
                                  for line in ref_run.problems.lines(ref_run.labels)]
    result = audit_members(files, options, sheet=sheet)
    _finish(settings, result, votes=False, notes=notes, format=format, out=out, dry_run=dry_run,
            windows=windows)


@app.command()
@friendly
def votes(
    files: Files,
    members: Annotated[Path | None, typer.Option("--members", help="The membership registry.")] = None,
    suspended: Suspended = None,
    shared_min: SharedMin = None,
    window: Annotated[int | None, typer.Option(help="Minutes for shared_ip "
                                                    "[AUDIT_WINDOW_MINUTES, 60].")] = None,
    ip_min: Annotated[int | None, typer.Option(help="Votes from one IP within the window "
                                                    "[AUDIT_IP_MIN, 10].")] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(
        "--allow-ip", help="An address or network known to be shared (repeat; adds to "
        "AUDIT_IP_ALLOWLIST).")] = None,
    format: FormatOpt = Format.table,
    out: Out = None,
    dry_run: DryRun = False,
    sheet: Sheet = None,
) -> None:
    """Audit the primaries' votes."""
    from audit.run import audit_votes, load_members, parse_window
    from audit.votes import VoteOptions, parse_networks

    settings = load_settings()
    try:
        allowlist = parse_networks(",".join([settings.AUDIT_IP_ALLOWLIST, *(allow_ip or [])]))
    except ValueError as exc:
        raise CliError(f"--allow-ip: {exc}") from None
    windows = [parse_window(w) for w in suspended or []]
    if windows and members is None:
        raise CliError("--suspended needs --members (the admission dates are in the registry)")
    options = VoteOptions(
        shared_min=shared_min or settings.AUDIT_SHARED_MIN,
        ip_min=ip_min or settings.AUDIT_IP_MIN,
        window_minutes=window or settings.AUDIT_WINDOW_MINUTES,
        allowlist=allowlist, suspended=windows,
    )
    notes: list[str] = []
    if members is not None:
        options.members, member_run = load_members(members)
        notes += member_run.notes + [f"skipped or not understood in {members.name}: {line}"
                                     for line in member_run.problems.lines(member_run.labels)]
    result = audit_votes(files, options, sheet=sheet)
    _finish(settings, result, votes=True, notes=notes, format=format, out=out, dry_run=dry_run,
            windows=windows)


def _finish(
    settings: Settings, result: Result, *, votes: bool, notes: list[str], format: Format,
    out: Path | None, dry_run: bool, windows: Windows,
) -> None:
    """Cases first (one transaction), then the output, which names them; the summary of what
    was read, skipped and written goes to stderr."""
    run = result.run
    summary = [*notes, *run.notes]
    skipped = run.problems.lines(run.labels)
    summary += [f"skipped or not understood: {line}" for line in skipped]
    if dry_run:
        summary.append(f"{len(result.findings)} findings; dry run: no cases written")
    else:
        outcome = asyncio.run(_write_cases(settings, result, votes=votes))
        summary.append(f"{len(result.findings)} findings; cases opened {outcome.opened}, "
                       f"updated {outcome.updated}, unchanged {outcome.unchanged}")
    with _output(out) as stream:
        _render(result, format, stream, votes=votes, skipped=skipped, windows=windows)
    for line in summary:
        sys.stderr.write(line + "\n")


def _render(result: Result, format: Format, stream: IO[str], *, votes: bool,
            skipped: list[str], windows: Windows) -> None:
    from audit import report

    labels = result.run.labels
    if format is Format.jsonl:
        report.write_jsonl(result.findings, labels, stream)
    elif format is Format.html:
        title = "Primaries votes audit" if votes else "Membership registry audit"
        report.write_html(result.findings, labels, stream, title=title, skipped=skipped,
                          admissions=result.admissions, windows=windows)
    else:
        report.write_table(result.findings, labels, stream)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        with path.open("w", encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


async def _write_cases(settings: Settings, result: Result, *, votes: bool) -> Outcome:
    from audit.cases import record_findings
    from intake.cases import IntakeContext
    from shagym.store import open_store

    ctx = IntakeContext(attachments_dir=settings.ATTACHMENTS_DIR, zone=settings.zone,
                        due_working_days=settings.DUE_WORKING_DAYS,
                        receipt_key=settings.receipt_key())
    async with open_store(settings) as (_, sessions), sessions() as session:
        outcome = await record_findings(
            session, result.findings, result.records, result.run.labels, ctx, votes=votes,
            actor=f"cli:{getpass.getuser()}",
        )
        await session.commit()  # every case of the run, or none
    return outcome

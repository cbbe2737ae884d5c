"""The membership registry's rules over columns: each batch of rows becomes one frame of
normalised keys (`batch`: vectorised for cells in plain forms, `add`: the per-row Python path
for the rest), and every rule is a group-by over all of them (`findings`): invalid_iin,
duplicate_iin, shared_phone, shared_email, suspended_admission, admission_burst,
unconfirmed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import polars as pl

from audit import normalise as norm
from audit.batches import (
    Pending,
    iin_valid,
    kz_phones,
    phone_keys,
    records,
    region_groups,
    trimmed,
)
from audit.columns import MEMBER_FIELDS
from audit.findings import CATEGORY, Finding, Problems
from audit.members import MemberOptions, phone_of, spells, window_label

FIELDS = list(MEMBER_FIELDS)
SCHEMA = {"ref": pl.Int64, "iin": pl.String, "group": pl.String, "bad": pl.Boolean,
          "note": pl.String, "phone": pl.Int64, "email": pl.String, "day": pl.Date,
          "org": pl.String, "unconf": pl.Boolean}
PHONE_PROBLEM = "phone not understood (not used)"
DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"


class MemberRules:
    def __init__(self, options: MemberOptions, problems: Problems) -> None:
        self.options = options
        self.problems: Problems | Pending = problems
        self.rows: list[tuple[Any, ...]] = []  # from the per-row path
        self.frames: list[pl.DataFrame] = []
        self.admissions: Counter[dt.date] = Counter()  # every admission, for the report's chart

    def add(self, row_ref: int, rec: dict[str, str]) -> None:
        """One row the vectorised path could not decide, the way the rules define it."""
        raw_iin = norm.clean_iin(rec.get("iin", ""))
        if not raw_iin:
            self.problems.add("no IIN, skipped", row_ref)
            return
        region = norm.region_code(rec["region"]) if rec.get("region") else None
        group = region or "none"
        problem = norm.iin_problem(raw_iin)
        note = f"IIN: {problem}" if problem else None
        phone = email = None
        if rec.get("phone"):
            e164 = norm.phone(rec["phone"])
            if e164:
                phone = int(e164[1:])
            else:
                self.problems.add(PHONE_PROBLEM, row_ref)
        if rec.get("email"):
            email = norm.email(rec["email"])
        day = None
        if rec.get("admitted_on"):
            day = norm.parse_date(rec["admitted_on"])
            if day is None:
                self.problems.add(
                    "admission date not understood (date rules skip the row)", row_ref)
        reason = None
        if self.options.reference is not None and problem is None:
            reason = self._confirm(rec, raw_iin)
        self.rows.append((row_ref, raw_iin, group, problem is not None, reason or note, phone,
                          email, day, rec.get("organisation") or None, reason is not None))

    def _confirm(self, rec: dict[str, str], iin: str) -> str | None:
        assert self.options.reference is not None
        known = self.options.reference.get(iin)
        if known is None:
            return "absent from the reference registry"
        ref_name, ref_born = known
        name = norm.name_key(rec["full_name"]) if rec.get("full_name") else ""
        born = norm.parse_date(rec["birth_date"]) if rec.get("birth_date") else None
        born = born or norm.birth_date(iin)
        if name and ref_name and name != ref_name:
            return "name differs from the reference registry"
        if born and ref_born and born != ref_born:
            return "birth date differs from the reference registry"
        return None

    def batch(self, frame: pl.DataFrame, pending: Pending) -> None:
        frame = kz_phones(frame, "phone")
        email, admitted = pl.col("email"), pl.col("admitted_on")
        day = admitted.str.to_date("%Y-%m-%d", strict=False)
        fast = (pl.col("iin").str.contains("^[0-9]{12}$") & pl.col("plain_phone")
                & ((email == "") | email.str.contains(r"^[!-~]+$"))
                & ((admitted == "") | (admitted.str.contains(DATE) & day.is_not_null()))
                & trimmed("organisation"))
        if self.options.reference is not None:  # names and birth dates: the per-row path
            fast = pl.lit(value=False)
        marked = frame.lazy().with_columns(fast.fill_null(False).alias("fast"),
                                           day.alias("day")).collect()
        self.problems = pending
        for row_ref, rec in records(marked.filter(~pl.col("fast")), FIELDS):
            self.add(row_ref, rec)
        quick = marked.filter(pl.col("fast"))
        today = dt.datetime.now(dt.UTC).date()
        lower = email.str.to_lowercase()
        out = quick.select(
            "ref", "iin", (~iin_valid(quick, "iin", today)).alias("bad"),
            phone_keys(quick, "national").alias("phone"),
            pl.when(lower.str.contains("@") & (lower.str.len_bytes() <= 320)).then(lower)
            .alias("email"),
            "day", pl.when(pl.col("organisation") != "").then(pl.col("organisation")).alias("org"),
        ).with_columns(region_groups(quick["region"]).alias("group"))
        unread = out.filter(pl.col("phone").is_null() & (quick["phone"] != ""))
        pending.many(PHONE_PROBLEM, unread["ref"].to_list(), 2)
        # The few invalid IINs: their reasons (and the final word) from `iin_problem`.
        reasons = {i: norm.iin_problem(i) for i in out.filter("bad")["iin"].to_list()}
        notes = {i: f"IIN: {p}" for i, p in reasons.items() if p}
        out = out.with_columns(
            bad=pl.col("iin").is_in(list(notes)),
            note=pl.col("iin").replace_strict(notes, default=None, return_dtype=pl.String),
            unconf=pl.lit(value=False),
        )
        self.frames.append(out.select(list(SCHEMA)))

    def table(self) -> pl.DataFrame:
        slow = pl.DataFrame(self.rows, schema=SCHEMA, orient="row")
        return pl.concat([*self.frames, slow]).sort("ref")

    def findings(self) -> list[Finding]:
        rows = self.table()
        self.frames, self.rows = [rows], []
        dated = rows.filter(pl.col("day").is_not_null())
        self.admissions = Counter(dict(dated.group_by("day").len().iter_rows()))
        notes = dict(rows.filter(pl.col("note").is_not_null()).select("ref", "note").iter_rows())
        found: list[Finding] = []

        def add(rule: str, key: str, identity: str, refs: list[int]) -> None:
            listed = {r: notes[r] for r in refs if r in notes}
            found.append(Finding(rule, key, identity, sorted(refs), CATEGORY[rule], notes=listed))

        for group, refs in groups(rows.filter("bad"), "group"):
            add("invalid_iin", group, group, refs)
        for iin, refs in groups(rows.filter(pl.col("iin").is_duplicated()), "iin", 2):
            add("duplicate_iin", norm.mask_iin(iin), iin, refs)
        minimum = self.options.shared_min
        for column in ("phone", "email"):
            held = rows.filter(pl.col(column).is_not_null() & pl.col(column).is_duplicated())
            for key, refs in groups(held, column, minimum):
                shown = phone_of(key) if column == "phone" else str(key)
                add(f"shared_{column}", shown, shown, refs)
        suspended = []
        for index, (start, end) in enumerate(self.options.suspended):
            inside = dated.filter(pl.col("day").is_between(start, end))
            suspended += [(refs[0], index, g, refs) for g, refs in groups(inside, "group")]
        for _, index, group, refs in sorted(suspended):
            label = window_label(self.options.suspended[index])
            add("suspended_admission", label, f"{label}|{group}", refs)
        for organisation, start, end, refs in self._bursts(dated):
            key = f"{organisation} {start.isoformat()}:{end.isoformat()}"
            add("admission_burst", key, f"{organisation}|{start.isoformat()}", refs)
        for group, refs in groups(rows.filter("unconf"), "group"):
            add("unconfirmed", group, group, refs)
        return found

    def _bursts(self, dated: pl.DataFrame) -> list[tuple[str, dt.date, dt.date, list[int]]]:
        """Spells per organisation; only organisations with some window of `burst_days`
        holding `burst_min` admissions can have one, so only those reach Python."""
        options = self.options
        daily = (dated.filter(pl.col("org").is_not_null())
                 .group_by("org", "day").agg(pl.len().alias("n"), pl.col("ref").min().alias("first")))
        window = daily.select("org", "day", "n")
        for shift in range(1, options.burst_days):
            later = daily.select("org", (pl.col("day") - dt.timedelta(days=shift)).alias("day"),
                                 pl.col("n").alias(f"n{shift}"))
            window = window.join(later, on=["org", "day"], how="left")
        sums = window.select("org", pl.sum_horizontal(pl.exclude("org", "day")).alias("sum"))
        busy = sums.filter(pl.col("sum") >= options.burst_min)["org"].unique()
        candidates = daily.filter(pl.col("org").is_in(busy.to_list()))
        firsts = candidates.group_by("org").agg(pl.col("first").min()).sort("first")
        out = []
        for (organisation, _) in firsts.iter_rows():
            mine = candidates.filter(pl.col("org") == organisation)
            counts = dict(zip(mine["day"].to_list(), mine["n"].to_list(), strict=True))
            for spell in spells(counts, options):
                refs = dated.filter((pl.col("org") == organisation)
                                    & pl.col("day").is_in(spell))["ref"].to_list()
                out.append((organisation, spell[0], spell[-1], refs))
        return out


def groups(frame: pl.DataFrame, key: str, minimum: int = 1) -> list[tuple[Any, list[int]]]:
    """(key, its row references in order) for each key with at least `minimum` rows, in the
    order the keys first appear (`frame` is in row order)."""
    grouped = frame.group_by(key, maintain_order=True).agg(pl.col("ref"))
    grouped = grouped.filter(pl.col("ref").list.len() >= minimum)
    return list(grouped.iter_rows())

"""The membership registry's rules, fed one row at a time (`MemberRules.add`), holding only
keys and row references: invalid_iin, duplicate_iin, shared_phone, shared_email,
suspended_admission, admission_burst, unconfirmed."""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from audit import normalise as norm
from audit.findings import CATEGORY, Finding, Problems

Window = tuple[dt.date, dt.date]
Reference = dict[str, tuple[str, dt.date | None]]  # IIN → (name key, birth date)
Key = int | str
Multi = dict[Key, int | list[int]]  # a key → its first row reference, or all once repeated


def iin_key(iin: str) -> Key:
    """A 12-digit IIN held as an int (half the memory of the string, on millions of rows)."""
    return int(iin) if len(iin) == 12 and iin.isdigit() else iin


def iin_of(key: Key) -> str:
    return f"{key:012d}" if isinstance(key, int) else key


def phone_key(e164: str) -> int:
    return int(e164[1:])


def phone_of(key: Key) -> str:
    return f"+{key}"


def window_label(window: Window) -> str:
    return f"{window[0].isoformat()}:{window[1].isoformat()}"


@dataclass(slots=True)
class MemberOptions:
    suspended: list[Window] = field(default_factory=list)
    shared_min: int = 5
    burst_days: int = 3
    burst_min: int = 20
    burst_factor: float = 5.0
    reference: Reference | None = None


def remember(index: Multi, key: Key, row_ref: int) -> None:
    """A key's rows, kept as one int until the key repeats (most keys never do)."""
    held = index.get(key)
    if held is None:
        index[key] = row_ref
    elif isinstance(held, int):
        index[key] = [held, row_ref]
    else:
        held.append(row_ref)


def repeated(index: Multi, minimum: int) -> list[tuple[Key, list[int]]]:
    return [(k, v) for k, v in index.items() if isinstance(v, list) and len(v) >= minimum]


class MemberRules:
    def __init__(self, options: MemberOptions, problems: Problems) -> None:
        self.options = options
        self.problems = problems
        self.iins: Multi = {}
        self.phones: Multi = {}
        self.emails: Multi = {}
        self.invalid: dict[str, list[int]] = defaultdict(list)
        self.suspended: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.days: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.admissions: Counter[dt.date] = Counter()  # every admission, for the report's chart
        self.unconfirmed: dict[str, list[int]] = defaultdict(list)
        self.notes: dict[int, str] = {}

    def add(self, row_ref: int, rec: dict[str, str]) -> None:
        raw_iin = norm.clean_iin(rec.get("iin", ""))
        if not raw_iin:
            self.problems.add("no IIN, skipped", row_ref)
            return
        region = norm.region_code(rec["region"]) if rec.get("region") else None
        group = region or "none"
        problem = norm.iin_problem(raw_iin)
        if problem:
            self.invalid[group].append(row_ref)
            self.notes[row_ref] = f"IIN: {problem}"
        remember(self.iins, iin_key(raw_iin), row_ref)
        self._contacts(row_ref, rec)
        self._admission(row_ref, rec, group)
        if self.options.reference is not None and problem is None:
            self._confirm(row_ref, rec, raw_iin, group)

    def _contacts(self, row_ref: int, rec: dict[str, str]) -> None:
        if rec.get("phone"):
            e164 = norm.phone(rec["phone"])
            if e164:
                remember(self.phones, phone_key(e164), row_ref)
            else:
                self.problems.add("phone not understood (not used)", row_ref)
        if rec.get("email"):
            address = norm.email(rec["email"])
            if address:
                remember(self.emails, address, row_ref)

    def _admission(self, row_ref: int, rec: dict[str, str], group: str) -> None:
        if not rec.get("admitted_on"):
            return
        day = norm.parse_date(rec["admitted_on"])
        if day is None:
            self.problems.add("admission date not understood (date rules skip the row)", row_ref)
            return
        self.admissions[day] += 1
        for index, (start, end) in enumerate(self.options.suspended):
            if start <= day <= end:
                self.suspended[(index, group)].append(row_ref)
        organisation = rec.get("organisation")
        if organisation:
            self.days[organisation][day].append(row_ref)

    def _confirm(self, row_ref: int, rec: dict[str, str], iin: str, group: str) -> None:
        assert self.options.reference is not None
        known = self.options.reference.get(iin)
        if known is None:
            reason = "absent from the reference registry"
        else:
            ref_name, ref_born = known
            name = norm.name_key(rec["full_name"]) if rec.get("full_name") else ""
            born = norm.parse_date(rec["birth_date"]) if rec.get("birth_date") else None
            born = born or norm.birth_date(iin)
            if name and ref_name and name != ref_name:
                reason = "name differs from the reference registry"
            elif born and ref_born and born != ref_born:
                reason = "birth date differs from the reference registry"
            else:
                return
        self.unconfirmed[group].append(row_ref)
        self.notes[row_ref] = reason

    def findings(self) -> list[Finding]:
        found: list[Finding] = []

        def add(rule: str, key: str, identity: str, refs: list[int]) -> None:
            notes = {r: self.notes[r] for r in refs if r in self.notes}
            found.append(Finding(rule, key, identity, sorted(refs), CATEGORY[rule], notes=notes))

        for group, refs in self.invalid.items():
            add("invalid_iin", group, group, refs)
        for key, refs in repeated(self.iins, 2):
            iin = iin_of(key)
            add("duplicate_iin", norm.mask_iin(iin), iin, refs)
        minimum = self.options.shared_min
        for key, refs in repeated(self.phones, minimum):
            add("shared_phone", phone_of(key), phone_of(key), refs)
        for address, refs in repeated(self.emails, minimum):
            add("shared_email", str(address), str(address), refs)
        for (index, group), refs in self.suspended.items():
            label = window_label(self.options.suspended[index])
            add("suspended_admission", label, f"{label}|{group}", refs)
        for organisation, days in self.days.items():
            for start, end, refs in bursts(days, self.options):
                key = f"{organisation} {start.isoformat()}:{end.isoformat()}"
                add("admission_burst", key, f"{organisation}|{start.isoformat()}", refs)
        for group, refs in self.unconfirmed.items():
            add("unconfirmed", group, group, refs)
        return found


def bursts(
    days: dict[dt.date, list[int]], options: MemberOptions
) -> list[tuple[dt.date, dt.date, list[int]]]:
    """Spells in which one organisation admitted far above its own rhythm.

    Its baseline is the median number admitted on the days it admitted anyone (robust: a
    burst shorter than half its active days does not move it). A window of `burst_days`
    days is a burst when it holds at least `burst_min` admissions and at least
    `burst_factor` × the baseline × `burst_days`. Overlapping windows make one burst."""
    total = sum(len(rows) for rows in days.values())
    if total < options.burst_min:
        return []
    baseline = statistics.median(len(rows) for rows in days.values())
    threshold = max(options.burst_min, options.burst_factor * baseline * options.burst_days)
    span = dt.timedelta(days=options.burst_days - 1)
    ordered = sorted(days)
    sums = [0]
    for day in ordered:
        sums.append(sums[-1] + len(days[day]))
    spells: list[list[dt.date]] = []
    for i, start in enumerate(ordered):
        j = bisect.bisect_right(ordered, start + span)
        if sums[j] - sums[i] < threshold:
            continue
        # Only the days above the baseline: the ordinary days a window reaches are not the burst.
        inside = [d for d in ordered[i:j] if len(days[d]) > baseline]
        if spells and inside[0] <= spells[-1][-1]:
            spells[-1] = sorted(set(spells[-1]) | set(inside))
        else:
            spells.append(inside)
    return [(spell[0], spell[-1], [r for d in spell for r in days[d]]) for spell in spells]

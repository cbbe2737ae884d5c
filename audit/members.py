"""The membership registry's rules' options and keys, and the admission_burst rule's spells
(the rules themselves: `audit.member_rules`)."""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from dataclasses import dataclass, field

Window = tuple[dt.date, dt.date]
Reference = dict[str, tuple[str, dt.date | None]]  # IIN → (name key, birth date)
Key = int | str


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


def bursts(
    days: dict[dt.date, list[int]], options: MemberOptions
) -> list[tuple[dt.date, dt.date, list[int]]]:
    """Spells in which one organisation admitted far above its own rhythm (see `spells`),
    with their rows."""
    found = spells({day: len(rows) for day, rows in days.items()}, options)
    return [(spell[0], spell[-1], [r for d in spell for r in days[d]]) for spell in found]


def spells(days: dict[dt.date, int], options: MemberOptions) -> list[list[dt.date]]:
    """The days of each spell in which one organisation (admitting `days[day]` people a day)
    admitted far above its own rhythm.

    Its baseline is the median number admitted on the days it admitted anyone (robust: a
    burst shorter than half its active days does not move it). A window of `burst_days`
    days is a burst when it holds at least `burst_min` admissions and at least
    `burst_factor` × the baseline × `burst_days`. Overlapping windows make one burst."""
    total = sum(days.values())
    if total < options.burst_min:
        return []
    baseline = statistics.median(days.values())
    threshold = max(options.burst_min, options.burst_factor * baseline * options.burst_days)
    span = dt.timedelta(days=options.burst_days - 1)
    ordered = sorted(days)
    sums = [0]
    for day in ordered:
        sums.append(sums[-1] + days[day])
    found: list[list[dt.date]] = []
    for i, start in enumerate(ordered):
        j = bisect.bisect_right(ordered, start + span)
        if sums[j] - sums[i] < threshold:
            continue
        # Only the days above the baseline: the ordinary days a window reaches are not the burst.
        inside = [d for d in ordered[i:j] if days[d] > baseline]
        if found and inside[0] <= found[-1][-1]:
            found[-1] = sorted(set(found[-1]) | set(inside))
        else:
            found.append(inside)
    return found

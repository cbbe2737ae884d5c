"""The primaries' votes rules' options, and the density test of the shared_ip rule (the rules
themselves: `audit.vote_rules`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

import polars as pl

from audit.members import Window

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The members' registry: a frame (`load_members`: IIN text, admission date), or a dict of
# `iin_key` → admission date.
Registry = dict[int | str, dt.date | None] | pl.DataFrame


@dataclass(slots=True)
class VoteOptions:
    shared_min: int = 5
    ip_min: int = 10
    window_minutes: int = 60
    allowlist: list[Network] = field(default_factory=list)
    members: Registry | None = None
    suspended: list[Window] = field(default_factory=list)


def parse_networks(text: str) -> list[Network]:
    """Comma-separated addresses or networks (10.0.0.0/8); a bad one is a ValueError."""
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


def dense_votes(times: list[float], refs: list[int], window: float, minimum: int) -> list[int]:
    """The votes that lie in some span of `window` seconds holding at least `minimum` votes
    (two pointers over the votes in time order)."""
    if len(times) < minimum:
        return []
    order = sorted(range(len(times)), key=times.__getitem__)
    flagged: list[int] = []
    left = added = 0  # `added`: positions before it in `order` are flagged already
    for right in range(len(order)):
        while times[order[right]] - times[order[left]] > window:
            left += 1
        if right - left + 1 >= minimum:
            flagged += order[max(left, added) : right + 1]
            added = right + 1
    return sorted(refs[i] for i in flagged)

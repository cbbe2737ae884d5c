"""The primaries' votes rules, fed one row at a time: repeat_iin, shared_phone, shared_ip,
non_member, voter_admitted_in_suspension."""

from __future__ import annotations

import datetime as dt
import ipaddress
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

from audit import normalise as norm
from audit.findings import CATEGORY, VOTE_SHARED_PHONE, Finding, Problems
from audit.members import (
    Multi,
    Window,
    iin_key,
    iin_of,
    phone_key,
    phone_of,
    remember,
    repeated,
    window_label,
)

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


_V6 = 1 << 128  # IPv6 keys are offset: ::5.6.7.8 and 5.6.7.8 are the same int otherwise


def address_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    return int(address) + (_V6 if address.version == 6 else 0)


def address_of(key: int) -> str:
    return str(ipaddress.IPv6Address(key - _V6) if key >= _V6 else ipaddress.IPv4Address(key))


class VoteRules:
    def __init__(self, options: VoteOptions, problems: Problems) -> None:
        self.options = options
        self.problems = problems
        # Per poll: IIN or phone → rows (a vote counts once per poll).
        self.iins: dict[str, Multi] = defaultdict(dict)
        self.phones: dict[str, Multi] = defaultdict(dict)
        # Per poll: IP (as an int) → the numbers of its votes, which index `times` and `refs`
        # (one flat array each rather than two arrays per address: millions of addresses).
        self.ips: dict[str, Multi] = defaultdict(dict)
        self.times: array[float] = array("d")
        self.refs: array[int] = array("q")
        self.outsiders: dict[str, list[int]] = defaultdict(list)
        self.suspended: dict[tuple[int, str, str], list[int]] = defaultdict(list)

    def add(self, row_ref: int, rec: dict[str, str]) -> None:
        poll = rec.get("poll", "")
        iin = norm.clean_iin(rec.get("iin", ""))
        region = norm.region_code(rec["region"]) if rec.get("region") else None
        if iin:
            remember(self.iins[poll], iin_key(iin), row_ref)
            self._membership(row_ref, iin, region or "none", poll)
        if rec.get("phone"):
            e164 = norm.phone(rec["phone"])
            if e164:
                remember(self.phones[poll], phone_key(e164), row_ref)
            else:
                self.problems.add("phone not understood (not used)", row_ref)
        if rec.get("ip"):
            self._address(row_ref, rec, poll)

    def _address(self, row_ref: int, rec: dict[str, str], poll: str) -> None:
        try:
            address = ipaddress.ip_address(rec["ip"])
        except ValueError:
            self.problems.add("IP address not understood (not used)", row_ref)
            return
        if any(address in network for network in self.options.allowlist):
            return
        at = norm.parse_datetime(rec.get("voted_at", "")) if rec.get("voted_at") else None
        if at is None:
            self.problems.add("vote time missing or not understood (IP rule skips it)", row_ref)
            return
        remember(self.ips[poll], address_key(address), len(self.times))
        self.times.append(at.timestamp() if at.tzinfo else at.replace(tzinfo=dt.UTC).timestamp())
        self.refs.append(row_ref)

    def _membership(self, row_ref: int, iin: str, group: str, poll: str) -> None:
        members = self.options.members
        if members is None:
            return
        key = iin_key(iin)
        if key not in members:
            self.outsiders[f"{poll}|{group}"].append(row_ref)
            return
        admitted = members[key]
        for index, (start, end) in enumerate(self.options.suspended):
            if admitted is not None and start <= admitted <= end:
                self.suspended[(index, poll, group)].append(row_ref)

    def findings(self) -> list[Finding]:
        found: list[Finding] = []

        def add(rule: str, key: str, identity: str, refs: list[int], category: str = "") -> None:
            found.append(Finding(rule, key, identity, sorted(refs), category or CATEGORY[rule]))

        for poll, iins in self.iins.items():
            for key, refs in repeated(iins, 2):
                iin = iin_of(key)
                add("repeat_iin", norm.mask_iin(iin), f"{poll}|{iin}", refs)
        for poll, phones in self.phones.items():
            for key, refs in repeated(phones, self.options.shared_min):
                number = phone_of(key)
                add("shared_phone", number, f"{poll}|{number}", refs, VOTE_SHARED_PHONE)
        window = self.options.window_minutes * 60
        for poll, addresses in self.ips.items():
            for key, votes in repeated(addresses, self.options.ip_min):
                times = [self.times[v] for v in votes]
                dense = dense_votes(times, [self.refs[v] for v in votes], window,
                                    self.options.ip_min)
                if dense:
                    address = address_of(int(key))
                    add("shared_ip", address, f"{poll}|{address}", dense)
        for poll_group, refs in self.outsiders.items():
            add("non_member", poll_group.split("|", 1)[1], poll_group, refs)
        for (index, poll, group), refs in self.suspended.items():
            label = window_label(self.options.suspended[index])
            add("voter_admitted_in_suspension", label, f"{poll}|{label}|{group}", refs)
        return found


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

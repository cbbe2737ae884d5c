"""The primaries' votes rules over columns (see `member_rules`): repeat_iin, shared_phone,
shared_ip, non_member, voter_admitted_in_suspension, each a group-by per poll."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import polars as pl

from audit import normalise as norm
from audit.batches import Pending, kz_phones, phone_keys, records, region_groups, trimmed
from audit.columns import VOTE_FIELDS
from audit.findings import CATEGORY, VOTE_SHARED_PHONE, Finding, Problems
from audit.member_rules import PHONE_PROBLEM
from audit.members import phone_of, window_label
from audit.votes import VoteOptions, dense_votes

FIELDS = list(VOTE_FIELDS)
SCHEMA = {"ref": pl.Int64, "poll": pl.String, "iin": pl.String, "group": pl.String,
          "phone": pl.Int64, "ip": pl.String, "ts": pl.Float64}
REGISTRY = {"iin": pl.String, "admitted": pl.Date}
NO_TIME = "vote time missing or not understood (IP rule skips it)"
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"^{OCTET}(\.{OCTET}){{3}}$"
TIME = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def registry_frame(members: Any) -> pl.DataFrame:
    """The members' registry as a frame (IIN text, admission date); a dict (`iin_key` →
    date) is accepted too."""
    if isinstance(members, pl.DataFrame):
        return members
    keys = [f"{k:012d}" if isinstance(k, int) else k for k in members]
    return pl.DataFrame({"iin": keys, "admitted": list(members.values())}, schema=REGISTRY)


class VoteRules:
    def __init__(self, options: VoteOptions, problems: Problems) -> None:
        self.options = options
        self.problems: Problems | Pending = problems
        self.rows: list[tuple[Any, ...]] = []
        self.frames: list[pl.DataFrame] = []

    def add(self, row_ref: int, rec: dict[str, str]) -> None:
        """One row the vectorised path could not decide, the way the rules define it."""
        iin = norm.clean_iin(rec.get("iin", ""))
        region = norm.region_code(rec["region"]) if rec.get("region") else None
        phone = None
        if rec.get("phone"):
            e164 = norm.phone(rec["phone"])
            if e164:
                phone = int(e164[1:])
            else:
                self.problems.add(PHONE_PROBLEM, row_ref)
        address, at = self._address(row_ref, rec) if rec.get("ip") else (None, None)
        self.rows.append((row_ref, rec.get("poll", ""), iin or None, region or "none", phone,
                          address, at))

    def _address(self, row_ref: int, rec: dict[str, str]) -> tuple[str | None, float | None]:
        try:
            address = ipaddress.ip_address(rec["ip"])
        except ValueError:
            self.problems.add("IP address not understood (not used)", row_ref)
            return None, None
        if any(address in network for network in self.options.allowlist):
            return None, None
        at = norm.parse_datetime(rec.get("voted_at", "")) if rec.get("voted_at") else None
        if at is None:
            self.problems.add(NO_TIME, row_ref)
            return None, None
        stamp = at.timestamp() if at.tzinfo else at.replace(tzinfo=dt.UTC).timestamp()
        return str(address), stamp

    def batch(self, frame: pl.DataFrame, pending: Pending) -> None:
        frame = kz_phones(frame, "phone")
        ip, voted = pl.col("ip"), pl.col("voted_at")
        text = voted.str.replace("T", " ")
        text = pl.when(text.str.len_bytes() == 16).then(text + ":00").otherwise(text)
        at = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        needed = (ip != "") & ~self._allowed()
        fast = (trimmed("poll") & ((pl.col("iin") == "") | pl.col("iin").str.contains("^[0-9]{12}$"))
                & pl.col("plain_phone") & ((ip == "") | ip.str.contains(IPV4))
                & (~needed | (voted == "") | (voted.str.contains(TIME) & at.is_not_null())))
        marked = frame.lazy().with_columns(fast.fill_null(False).alias("fast"),
                                           needed.alias("needed"),
                                           (at.dt.epoch("us") / 1e6).alias("ts")).collect()
        self.problems = pending
        for row_ref, rec in records(marked.filter(~pl.col("fast")), FIELDS):
            self.add(row_ref, rec)
        quick = marked.filter(pl.col("fast"))
        timed = pl.col("needed") & pl.col("ts").is_not_null()
        out = quick.select(
            "ref", "poll", pl.when(pl.col("iin") != "").then(pl.col("iin")).alias("iin"),
            phone_keys(quick, "national").alias("phone"),
            pl.when(timed).then(ip).alias("ip"), pl.when(timed).then(pl.col("ts")).alias("ts"),
        ).with_columns(region_groups(quick["region"]).alias("group"))
        pending.many(PHONE_PROBLEM, out.filter(pl.col("phone").is_null()
                                                & (quick["phone"] != ""))["ref"].to_list(), 2)
        untimed = quick.filter(pl.col("needed") & pl.col("ts").is_null())["ref"].to_list()
        pending.many(NO_TIME, untimed, 3)
        self.frames.append(out.select(list(SCHEMA)))

    def _allowed(self) -> pl.Expr:
        """IPv4 cells inside an allowlisted IPv4 network (IPv6 networks hold none)."""
        nets = [n for n in self.options.allowlist if n.version == 4]
        if not nets:
            return pl.lit(value=False)
        parts = pl.col("ip").str.split(".")
        number = sum(parts.list.get(i, null_on_oob=True).cast(pl.Int64, strict=False)
                     * (1 << (24 - 8 * i)) for i in range(4))
        inside = [number // (1 << (32 - n.prefixlen))
                  == int(n.network_address) >> (32 - n.prefixlen) for n in nets]
        return pl.any_horizontal(inside).fill_null(False)

    def table(self) -> pl.DataFrame:
        slow = pl.DataFrame(self.rows, schema=SCHEMA, orient="row")
        return pl.concat([*self.frames, slow]).sort("ref")

    def findings(self) -> list[Finding]:
        rows = self.table()
        self.frames, self.rows = [rows], []
        polls = {p: i for i, p in enumerate(rows["poll"].unique(maintain_order=True).to_list())}
        found: list[Finding] = []

        def add(rule: str, key: str, identity: str, refs: list[int], category: str = "") -> None:
            found.append(Finding(rule, key, identity, sorted(refs), category or CATEGORY[rule]))

        held = rows.filter(pl.col("iin").is_not_null())
        for poll, iin, refs in per_poll(held, "iin", 2, polls):
            add("repeat_iin", norm.mask_iin(iin), f"{poll}|{iin}", refs)
        held = rows.filter(pl.col("phone").is_not_null())
        for poll, key, refs in per_poll(held, "phone", self.options.shared_min, polls):
            number = phone_of(key)
            add("shared_phone", number, f"{poll}|{number}", refs, VOTE_SHARED_PHONE)
        self._ips(rows, polls, add)
        if self.options.members is not None:
            self._membership(rows, add)
        return found

    def _ips(self, rows: pl.DataFrame, polls: dict[str, int], add: Any) -> None:
        held = rows.filter(pl.col("ip").is_not_null())
        grouped = (held.group_by("poll", "ip", maintain_order=True)
                   .agg("ref", "ts").filter(pl.col("ref").list.len() >= self.options.ip_min))
        window = self.options.window_minutes * 60
        for poll, address, refs, times in sorted(grouped.iter_rows(), key=lambda r: polls[r[0]]):
            dense = dense_votes(times, refs, window, self.options.ip_min)
            if dense:
                add("shared_ip", address, f"{poll}|{address}", dense)

    def _membership(self, rows: pl.DataFrame, add: Any) -> None:
        registry = registry_frame(self.options.members).with_columns(known=pl.lit(value=True))
        voters = rows.filter(pl.col("iin").is_not_null()).join(
            registry, on="iin", how="left", maintain_order="left")
        outsiders = voters.filter(pl.col("known").is_null()).with_columns(
            key=pl.col("poll") + "|" + pl.col("group"))
        for poll_group, refs in _groups(outsiders, ["key"], 1):
            add("non_member", poll_group.split("|", 1)[1], poll_group, refs)
        found = []
        for index, (start, end) in enumerate(self.options.suspended):
            inside = voters.filter(pl.col("admitted").is_between(start, end))
            found += [(refs[0], index, poll, group, refs)
                      for poll, group, refs in _groups(inside, ["poll", "group"], 1)]
        for _, index, poll, group, refs in sorted(found):
            label = window_label(self.options.suspended[index])
            add("voter_admitted_in_suspension", label, f"{poll}|{label}|{group}", refs)


def _groups(frame: pl.DataFrame, keys: list[str], minimum: int) -> list[tuple[Any, ...]]:
    grouped = frame.group_by(*keys, maintain_order=True).agg(pl.col("ref"))
    return list(grouped.filter(pl.col("ref").list.len() >= minimum).iter_rows())


def per_poll(
    frame: pl.DataFrame, key: str, minimum: int, polls: dict[str, int]
) -> list[tuple[Any, ...]]:
    """(poll, key, rows) with at least `minimum` rows, polls in the order they first appear
    and keys within a poll likewise."""
    held = frame.filter(pl.struct("poll", key).is_duplicated()) if minimum > 1 else frame
    return sorted(_groups(held, ["poll", key], minimum), key=lambda r: polls[r[0]])


def load_registry_batch(frame: pl.DataFrame, rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """One batch of the members' registry for `--members`: (ref, IIN, admission date)."""
    admitted = pl.col("admitted_on")
    day = admitted.str.to_date("%Y-%m-%d", strict=False)
    fast = (pl.col("iin").str.contains("^[0-9]{12}$")
            & ((admitted == "") | (admitted.str.contains(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
                                   & day.is_not_null())))
    marked = frame.with_columns(fast.fill_null(False).alias("fast"), day.alias("admitted"))
    for row_ref, rec in records(marked.filter(~pl.col("fast")), ["iin", "admitted_on"]):
        iin = norm.clean_iin(rec.get("iin", ""))
        if iin:
            value = rec.get("admitted_on", "")
            rows.append((row_ref, iin, norm.parse_date(value) if value else None))
    return marked.filter("fast").select("ref", "iin", "admitted")

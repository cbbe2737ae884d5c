"""What a rule found, and what was skipped along the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FILE_SHIFT = 1 << 40  # a row reference is one int: file index × 2**40 + row number

CATEGORY = {
    "invalid_iin": "fake_membership",
    "duplicate_iin": "shared_contacts",
    "shared_phone": "shared_contacts",
    "shared_email": "shared_contacts",
    "suspended_admission": "fake_membership",
    "admission_burst": "fake_membership",
    "unconfirmed": "fake_membership",
    "repeat_iin": "voting_fraud",
    "shared_ip": "voting_fraud",
    "non_member": "voting_fraud",
    "voter_admitted_in_suspension": "voting_fraud",
}
VOTE_SHARED_PHONE = "voting_fraud"  # a phone behind many votes is fraud, not a contact issue


def ref(file_index: int, row: int) -> int:
    return file_index * FILE_SHIFT + row


def split_ref(value: int) -> tuple[int, int]:
    return divmod(value, FILE_SHIFT)


@dataclass(slots=True)
class Finding:
    """One pattern in the data: one case. `identity` is what makes a later run's finding the
    same one (the key, plus the group for rules that group by region or poll)."""

    rule: str
    key: str
    identity: str
    refs: list[int]
    category: str
    region: str | None = None
    district: str | None = None
    organisations: list[str] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # row reference → why it is listed
    case: str | None = None

    @property
    def count(self) -> int:
        return len(self.refs)

    def as_json(self, labels: list[str]) -> dict[str, Any]:
        """The `--format jsonl` contract: exactly these eight fields."""
        return {
            "rule": self.rule,
            "region": self.region,
            "district": self.district,
            "organisations": self.organisations,
            "key": self.key,
            "count": self.count,
            "rows": [row_label(r, labels) for r in self.refs],
            "case": self.case,
        }


def row_label(value: int, labels: list[str]) -> int | str:
    """A row number; with several files, "file.csv:12"."""
    index, row = split_ref(value)
    return row if len(labels) == 1 else f"{labels[index]}:{row}"


@dataclass(slots=True)
class Problems:
    """Rows skipped, or cells not understood, by reason, with the first row numbers of each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def add(self, reason: str, row_ref: int) -> None:
        self.counts[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 5:
            shown.append(row_ref)

    def lines(self, labels: list[str]) -> list[str]:
        out = []
        for reason, count in self.counts.most_common():
            rows = ", ".join(str(row_label(r, labels)) for r in self.examples[reason])
            more = " …" if count > len(self.examples[reason]) else ""
            out.append(f"{count} × {reason} (rows {rows}{more})")
        return out

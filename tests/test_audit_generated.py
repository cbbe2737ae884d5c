"""On generated registries with ordinary noise (families sharing phones and home IPs, phones
and regions written several ways, empty rows): the injected anomalies are found, exactly."""

from __future__ import annotations

from audit.members import MemberOptions
from audit.run import audit_members, audit_votes, load_members
from audit.votes import VoteOptions
from bench.registry import SUSPENDED, WINDOW, generate_members, generate_votes


def identities(result):
    return {(f.rule, f.identity) for f in result.findings}


def test_it_finds_exactly_the_injected_member_anomalies(tmp_path):
    expected, _ = generate_members(tmp_path / "members.csv", 6000)
    found = audit_members([tmp_path / "members.csv"], MemberOptions(suspended=[SUSPENDED]),
                          progress=False)
    assert identities(found) == expected.members


def test_it_finds_nothing_in_a_registry_with_nothing_injected(tmp_path):
    generate_members(tmp_path / "members.csv", 6000, inject=False)
    found = audit_members([tmp_path / "members.csv"], MemberOptions(suspended=[SUSPENDED]),
                          progress=False)
    assert found.findings == []


def test_it_finds_exactly_the_injected_vote_anomalies(tmp_path):
    _, members = generate_members(tmp_path / "members.csv", 6000)
    expected = generate_votes(tmp_path / "votes.csv", members, polls=2)
    registry, _ = load_members(tmp_path / "members.csv", progress=False)
    found = audit_votes([tmp_path / "votes.csv"],
                        VoteOptions(members=registry, suspended=[SUSPENDED]), progress=False)
    # The company's employees admitted during the suspension vote too: in each poll.
    suspended = {("voter_admitted_in_suspension", f"P{p}|{WINDOW}|AST") for p in (1, 2)}
    assert identities(found) == expected.votes | suspended

"""deploy/: a systemd unit and a compose service for every role `shagym run --only` knows,
hardened, and every variable they set is one the settings read. (No Docker engine here: the
compose file is checked as data; the units by `systemd-analyze verify` where it exists.)"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.settings import Settings
from shagym.cli_run import LOOPS

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = DEPLOY / "systemd"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "User": "shagym",
    "Restart": "on-failure",
    "EnvironmentFile": "/etc/shagym/shagym.env",
    "ReadWritePaths": "/var/lib/shagym",
}


def unit(role: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / f"shagym-{role}.service")
    return parser


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.mark.parametrize("role", LOOPS)
def test_it_has_a_hardened_unit_for_each_role(role: str) -> None:
    service = unit(role)["Service"]
    assert service["ExecStart"].endswith(f"shagym run --only {role}")
    for key, value in HARDENING.items():
        assert service.get(key) == value, key


def test_it_has_a_compose_service_for_each_role() -> None:
    services = compose()["services"]
    commands = {name: s.get("command") for name, s in services.items()}
    for role in LOOPS:
        assert commands[role] == ["run", "--only", role]
        assert services[role]["restart"] == "on-failure"
        assert set(services[role]["depends_on"]) == {"postgres", "redis"}
    assert {"postgres", "redis"} <= set(services)


def test_it_sets_only_variables_the_settings_read() -> None:
    known = set(Settings.model_fields)
    services = compose()["services"]
    for role in LOOPS:
        assert set(services[role]["environment"]) <= known, role
    example = (DEPLOY / "shagym.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert named and named <= known, named - known
    assert services["bot"]["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_the_dockerfile_runs_the_cli() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["shagym"]' in text and "USER shagym" in text


def test_systemd_finds_nothing_wrong_in_the_units() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    units = sorted(str(path) for path in UNITS.glob("shagym*.service")) + [
        str(UNITS / "shagym.target")
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The program is installed by the deployment, not on this machine.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable" not in line
    ]
    assert problems == []

"""The built wheel carries everything it needs: installed into a fresh venv, it runs."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    return next(out.glob("shagym-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    subprocess.run(
        [env_dir / "bin" / "pip", "install", "--quiet", str(wheel)], check=True, timeout=900
    )
    return env_dir / "bin"


def test_it_packs_templates_locales_gazetteer_rules_and_migrations(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "intake/data/kz_admin.csv" in names
    assert "intake/data/kz_admin.SOURCES.md" in names
    assert "intake/data/categories.toml" in names
    assert "intake/data/category_model.json.gz" in names
    assert not any(n.startswith("intake/data/complaints/") for n in names)
    assert any(n.startswith("templates/") for n in names)
    assert any(n.startswith("locales/") for n in names)
    assert any(n.startswith("models/migrations/versions/0001") for n in names)


def test_it_runs_help_and_analyse_from_the_installed_wheel(installed, tmp_path):
    help_text = subprocess.run(
        [installed / "shagym", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=120,
    ).stdout
    assert "analyse" in help_text and "reports" in help_text
    result = subprocess.run(
        [installed / "shagym", "analyse"],
        input='{"text": "В Бурабайском районе Акмолинской области"}\n',
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["region"] == "AKM" and answer["district"] == "Бурабайский район"


def test_it_migrates_a_database_from_the_installed_wheel(installed, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
    }
    result = subprocess.run(
        [installed / "shagym", "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout


def test_it_ships_the_web_consoles_pages_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"web/static/htmx.min.js", "web/static/web.css", "templates/web/queue.html",
            "templates/web/case.html"} <= names  # fmt: skip

"""`shagym analyse` on bad input: a result or a one-line error per line, never a traceback."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shagym.cli import app
from tests.conftest import ROOT

KEYS = {"region", "district", "category", "language", "confidence", "entities"}


def analyse_lines(stdin: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["analyse"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def analyse_text(text: str) -> dict[str, object]:
    [line] = analyse_lines(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    assert set(line) >= KEYS
    return line


def test_it_answers_an_empty_text_with_nothing_found() -> None:
    result = analyse_text("")
    assert (result["region"], result["category"], result["confidence"]) == (None, "other", 0.0)


def test_it_analyses_a_megabyte_of_text() -> None:
    text = ("В Таразе раздают деньги за голос, по 5000 тенге. " * 21_000)[:1_000_000]
    result = analyse_text(text)
    assert (result["region"], result["category"]) == ("ZHM", "vote_buying")


def test_it_analyses_binary_junk() -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(4096)).decode("latin-1")
    result = analyse_text(junk)
    assert result["category"] == "other"
    assert result["entities"] == {"phones": [], "iins": [], "emails": [], "organisations": []}


def test_it_analyses_emoji() -> None:
    result = analyse_text("🙏🙏 В Караганде 😡 заставляют вступать в партию!!! 👎")
    assert (result["region"], result["category"]) == ("KAR", "coercion")


def test_it_analyses_mixed_scripts_and_look_alike_letters() -> None:
    # Latin "A" and "a" inside Cyrillic words, Kazakh, Arabic and CJK around them.
    result = analyse_text("Aстанa қаласында مرحبا 你好 за меня уже проголосовали")
    assert (result["region"], result["category"]) == ("AST", "voting_fraud")


def test_it_survives_a_lone_surrogate_escape() -> None:
    # Valid JSON whose text cannot be encoded as UTF-8 until cleanup drops the surrogates.
    [result] = analyse_lines(json.dumps({"text": "\ud800 ТОО «\udfff» в Таразе"}) + "\n")
    assert result["region"] == "ZHM"


@pytest.mark.parametrize(
    "line",
    ["not json", '{"text": 5}', "[1, 2]", '{"no_text": "x"}', '{"text": "unterminated'],
)
def test_it_answers_a_bad_line_with_a_one_line_error(line: str) -> None:
    [result] = analyse_lines(line + "\n")
    assert set(result) == {"line", "error"}
    assert "\n" not in str(result["error"])


def test_it_keeps_going_after_a_bad_line() -> None:
    lines = analyse_lines('oops\n{"text": "Шымкентте дауыс үшін ақша берді"}\n')
    assert "error" in lines[0]
    assert (lines[1]["region"], lines[1]["category"], lines[1]["language"]) == (
        "SHY",
        "vote_buying",
        "kk",
    )


def test_it_analyses_one_text_given_as_an_option() -> None:
    result = CliRunner().invoke(app, ["analyse", "--text", "Есильский район"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["region"] is None


def test_it_reads_undecodable_bytes_from_stdin_in_a_real_process() -> None:
    payload = (
        b'\xff\xfe{"text": "\xc3\x28 \xd0\x92 \xd0\xa2\xd0\xb0\xd1\x80\xd0\xb0\xd0\xb7\xd0\xb5"}\n'
    )
    payload += bytes(range(256)) + b"\n" + '{"text": "Таразда"}\n'.encode()
    script = Path(sys.executable).with_name("shagym")
    if not script.exists():
        pytest.skip("the shagym console script is not installed next to this Python")
    done = subprocess.run(
        [str(script), "analyse"],
        input=payload,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    lines = done.stdout.decode("utf-8").splitlines()
    if done.returncode == 0:
        results = [json.loads(line) for line in lines]
        assert results[-1]["region"] == "ZHM"
    else:  # refused as a whole: one clear line, not a traceback
        assert len(stderr.strip().splitlines()) == 1

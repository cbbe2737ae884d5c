"""`shagym analyse FILE` shared between processes writes exactly what one process writes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.textgen import complaints
from intake.corpus import load_corpus
from shagym import analyse_parallel
from shagym.analyse_cli import analyse_lines
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _input() -> str:
    """Generated and corpus texts, with ids, blank lines, bad lines and odd characters."""
    texts = complaints(300) + [item.text for item in load_corpus()[:200]]
    lines = [json.dumps({"id": n, "text": t}, ensure_ascii=False) for n, t in enumerate(texts)]
    lines[7] = "not json"
    lines[250] = '{"text": 5}'
    lines.insert(260, "")
    lines.insert(400, "   ")
    lines[420] = json.dumps({"id": "\ud800", "text": "\udfff ТОО «Береке» в Таразе"})
    return "\n".join(lines) + "\n"


def _run(text: str, jobs: int) -> str:
    sink = io.StringIO()
    analyse_lines(io.StringIO(text), sink, jobs)
    return sink.getvalue()


def test_it_shares_a_large_input_and_writes_what_one_process_writes() -> None:
    text = _input()
    numbered = list(enumerate(io.StringIO(text), start=1))
    assert len(analyse_parallel.shares(numbered, 2)) == 2  # the shared path really runs
    serial = _run(text, 1)
    assert len(serial.splitlines()) == 500
    assert _run(text, 2) == serial
    assert _run(text, 3) == serial


def test_it_keeps_a_small_input_in_one_process() -> None:
    numbered = [(n, f'{{"text": "{n}"}}\n') for n in range(1, 300)]
    assert len(analyse_parallel.shares(numbered, 2)) == 1


def test_it_does_a_failed_workers_share_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_worker(share: object, out: object) -> int:
        pid = os.fork()
        if pid == 0:
            os._exit(1)  # a worker that dies before writing anything
        return pid

    text = _input()
    serial = _run(text, 1)
    monkeypatch.setattr(analyse_parallel, "_fork_worker", failing_worker)
    assert _run(text, 2) == serial


def test_it_writes_the_same_bytes_with_and_without_jobs_in_a_real_process(
    tmp_path: Path,
) -> None:
    script = Path(sys.executable).with_name("shagym")
    if not script.exists():
        pytest.skip("the shagym console script is not installed next to this Python")
    source = tmp_path / "texts.jsonl"
    source.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in complaints(450)),
        encoding="utf-8",
    )

    def run(*extra: str) -> bytes:
        return subprocess.run(
            [str(script), "analyse", *extra, str(source)],
            capture_output=True,
            check=True,
            cwd=ROOT,
            timeout=120,
        ).stdout

    serial = run("--jobs", "1")
    assert len(serial.splitlines()) == 450
    assert run("--jobs", "2") == serial

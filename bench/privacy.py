"""Encryption at rest: what it costs the email ingest, side by side in the same run.

The same generated messages (bench/ingest.py's) go through the ingest core (`ingest_batch`,
the IMAP path without the IMAP server) into a fresh store, alternately with the real keyring
(AES-GCM, HMAC-SHA256) and with a pass-through one (values stored as they are, lookup columns
an unkeyed SHA-256): the same schema and code, only the cryptography differs. Runs alternate
ABBA per store to even out the machine's drift. Writes bench/results/privacy.json.

    python bench/privacy.py --messages 300 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest import COMMISSIONS, PG_ADMIN, _drop_pg, _fresh_pg, generated  # noqa: E402

from core.crypto import Keyring, install_keyring  # noqa: E402
from intake.cases import IntakeContext  # noqa: E402
from intake.commissions import read_file, sync_commissions  # noqa: E402
from mail_ingest.config import IngestSettings  # noqa: E402
from mail_ingest.ingest import Item, Source, ingest_batch  # noqa: E402
from models.db import create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402

RESULTS = HERE / "results" / "privacy.json"
BATCH = 50


class PlainKeyring(Keyring):
    """No encryption: what the store held before encryption at rest."""

    def encrypt_text(self, plain: str) -> str:
        return plain

    def encrypt_bytes(self, plain: bytes) -> bytes:
        return plain

    def hash(self, value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()


async def _run(url: str, work: Path, messages: list[bytes], ring: Keyring) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds for the ingest (CPU time is what the
    cryptography adds to, and moves less than wall time with the machine's other load)."""
    install_keyring(ring)
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await sync_commissions(session, read_file(COMMISSIONS))
        await session.commit()
    ctx = IntakeContext(attachments_dir=work / "files", zone=ZoneInfo("Asia/Almaty"))
    settings = IngestSettings(intake=ctx, our_address="hotline@localhost", max_bytes=10**8)
    items = [Item(raw, Source("INBOX", 1, uid)) for uid, raw in enumerate(messages, 1)]
    start, cpu = time.perf_counter(), time.process_time()
    for at in range(0, len(items), BATCH):
        await ingest_batch(sessions, items[at : at + BATCH], settings)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await engine.dispose()
    return elapsed, cpu


async def _store(kind: str, work: Path, index: int) -> tuple[str, Any]:
    if kind == "sqlite":
        folder = work / f"sqlite-{index}"
        folder.mkdir()
        return f"sqlite+aiosqlite:///{folder / 'shagym.db'}", None
    made = await _fresh_pg()
    if made is None:
        raise SystemExit(f"no PostgreSQL at {PG_ADMIN}")
    return made[1], made[0]


async def main(total: int, rounds: int) -> dict[str, Any]:
    messages = generated(total, random.Random(2026))
    real = Keyring((bytes(range(32)),), bytes(range(32, 64)))
    plain = PlainKeyring((bytes(range(32)),), bytes(32))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work, index = Path(tmp), 0
        for kind in ("sqlite", "postgresql"):
            runs: dict[str, list[float]] = {"encrypted": [], "plain": []}
            cpu: dict[str, list[float]] = {"encrypted": [], "plain": []}
            for _ in range(rounds):
                for name, ring in (("plain", plain), ("encrypted", real),
                                   ("encrypted", real), ("plain", plain)):  # fmt: skip
                    index += 1
                    url, pg_name = await _store(kind, work, index)
                    try:
                        seconds, used = await _run(url, work / f"files-{index}", messages, ring)
                    finally:
                        if pg_name:
                            await _drop_pg(pg_name)
                    runs[name].append(round(total / seconds, 1))
                    cpu[name].append(round(1000 * used / total, 2))
                    line = f"{kind} {name} {runs[name][-1]} msgs/s {cpu[name][-1]} cpu ms/msg"
                    print(line, flush=True)  # noqa: T201
            mean = {name: sum(v) / len(v) for name, v in runs.items()}
            mean_cpu = {name: sum(v) / len(v) for name, v in cpu.items()}
            results[kind] = {
                "msgs_per_s": runs,
                "cpu_ms_per_msg": cpu,
                "throughput_encrypted_over_plain": round(mean["encrypted"] / mean["plain"], 3),
                "cpu_encrypted_over_plain": round(mean_cpu["encrypted"] / mean_cpu["plain"], 3),
            }
    return {
        "benchmark": "privacy (encryption at rest, email ingest)",
        "messages": total,
        "rounds_abba": rounds,
        "results": results,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    report = asyncio.run(main(args.messages, args.rounds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))  # noqa: T201

"""Email ingest, side by side in one run, over the same Dovecot mailbox of 2,000 messages (the
real-world corpus in tests/data/eml plus generated Russian and Kazakh complaints, 10 % of them
with attachments):

  (a) a bare imap-tools fetch of every message: the floor (library default, and bulk=100);
  (b) shagym's ingest into SQLite; (c) the same into PostgreSQL;
  (d) django-helpdesk's get_email, in a throwaway Django project with SQLite in a temp dir.

Usage: .venv/bin/python bench/ingest.py [--messages 2000]   (needs `pip install -e '.[bench]'`)
Writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from imap_tools import MailBoxUnencrypted  # noqa: E402
from textgen import complaint  # noqa: E402

from core.crypto import install_keyring  # noqa: E402
from core.settings import load_settings  # noqa: E402
from intake.commissions import read_file, sync_commissions  # noqa: E402
from mail_ingest.imap import ImapClient  # noqa: E402
from mail_ingest.poller import InboxPass  # noqa: E402
from models.db import create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from sandbox.dovecot import Dovecot  # noqa: E402

RESULTS = HERE / "results" / "ingest.json"
CORPUS = ROOT / "tests" / "data" / "eml"
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
PG_ADMIN = os.environ.get("SHAGYM_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def fits(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def generated(count: int, rng: random.Random) -> list[bytes]:
    """Complaints as old and new clients send them: UTF-8, windows-1251, koi8-r, HTML-only."""
    messages = []
    for i in range(count):
        text = complaint(rng)
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"citizen{rng.randrange(count * 3 // 4)}@mail.kz"
        msg["To"] = "hotline@localhost"
        msg["Subject"] = rng.choice(
            ["Жалоба", "Шағым", "Нарушение", "Обращение", "Прошу разобраться"]
        )
        msg["Message-ID"] = f"<gen.{i}.{uuid.UUID(int=rng.getrandbits(128)).hex}@mail.kz>"
        msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0500"
        roll = rng.random()
        if roll < 0.1:
            msg.set_content(f"<html><body><p>{text}</p></body></html>", subtype="html")
        elif roll < 0.3 and fits(text, charset := "cp1251" if roll < 0.22 else "koi8_r"):
            msg.set_content(text, charset=charset.replace("_", "-"))
        else:
            msg.set_content(text)
        if rng.random() < 0.10:
            photo = rng.randbytes(rng.randrange(20_000, 200_000))
            msg.add_attachment(photo, maintype="image", subtype="jpeg", filename=f"photo{i}.jpg")
        messages.append(msg.as_bytes())
    return messages


def mailbox_contents(total: int) -> tuple[list[bytes], dict[str, int]]:
    corpus = [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]
    made = generated(total - len(corpus), random.Random(2026))
    # The corpus goes last: django-helpdesk stops at the first message it cannot handle, and
    # this order lets it get as far as it can.
    messages = made + corpus
    info = {
        "messages": len(messages),
        "corpus": len(corpus),
        "generated": len(made),
        "generated_with_attachments": sum(1 for m in made if b"filename=" in m),
        "bytes": sum(len(m) for m in messages),
    }
    return messages, info


def copy_folder(server: Dovecot, target: str) -> None:
    with server.mailbox(folder="Source") as box:
        box.folder.create(target)
        box.copy(box.uids(), target)


def rate(messages: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {"messages": messages, "seconds": round(seconds, 3),
            "msgs_per_s": round(messages / seconds, 1), **extra}  # fmt: skip


def run_floor(server: Dovecot, folder: str, bulk: bool | int) -> dict[str, Any]:
    user, password = next(iter(server.users.items()))
    start = time.perf_counter()
    with MailBoxUnencrypted(server.host, server.port).login(user, password, folder) as box:
        count = sum(1 for _ in box.fetch(mark_seen=False, bulk=bulk))
    return rate(count, time.perf_counter() - start)


async def _fresh_pg() -> tuple[str, str] | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", ""), timeout=5)
    except Exception as exc:  # no server: the PostgreSQL run is skipped, with the reason
        print(f"PostgreSQL skipped: {exc}")  # noqa: T201
        return None
    name = f"shagym_bench_{uuid.uuid4().hex[:10]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


async def _drop_pg(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", ""))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def run_shagym(server: Dovecot, folder: str, url: str, work: Path) -> dict[str, Any]:
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await sync_commissions(session, read_file(COMMISSIONS))
        await session.commit()
    settings = load_settings(
        **server.settings(), DATABASE_URL=url, ATTACHMENTS_DIR=work / "attachments",
        IMAP_FOLDER=folder, IMAP_PROCESSED_FOLDER=f"{folder}-done", MAIL_FROM="hotline@localhost",
    )  # fmt: skip
    install_keyring(settings.keyring())  # as shagym.store.open_store does
    client = ImapClient(settings)
    start = time.perf_counter()
    await asyncio.to_thread(client.connect)
    report = await InboxPass(settings, sessions).run(client)
    elapsed = time.perf_counter() - start
    await asyncio.to_thread(client.close)
    await engine.dispose()
    outcomes: dict[str, int] = {}
    for outcome in report.outcomes:
        outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
    return rate(len(report.outcomes), elapsed, outcomes=outcomes)


HELPDESK_SETTINGS = """
SECRET_KEY = "bench"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.sites",
    "django.contrib.humanize", "rest_framework", "helpdesk"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]}}]
SITE_ID = 1
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "hd.db"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # nothing leaves the machine
MEDIA_ROOT = "media"
ROOT_URLCONF = "hd_urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_TEAMS_MODE_ENABLED = False  # else it needs pinax-teams
"""
HELPDESK_URLS = """from django.urls import include, path
urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""
HELPDESK_RUN = """import json, logging, sys, time
import django
django.setup()
from helpdesk.email import process_email
from helpdesk.models import FollowUp, Queue, Ticket
host, port, user, password, folder = sys.argv[1:6]
Queue.objects.create(title="Hotline", slug="hotline", email_address=user, email_box_type="imap",
    email_box_host=host, email_box_port=int(port), email_box_ssl=False, email_box_user=user,
    email_box_pass=password, email_box_imap_folder=folder, allow_email_submission=True,
    email_box_interval=0, logging_type="error")
failures = []
class Catch(logging.Handler):
    def emit(self, record):
        if record.exc_info:
            failures.append(f"{record.exc_info[0].__name__}: {record.exc_info[1]}"[:300])
logging.getLogger("django.helpdesk.queue.hotline").addHandler(Catch())
start = time.perf_counter()
process_email(quiet=True)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "tickets": Ticket.objects.count(),
    "followups": FollowUp.objects.filter(ticket__isnull=False).count(), "failures": failures}))
"""


def run_helpdesk(server: Dovecot, folder: str, work: Path) -> dict[str, Any]:
    project = work / "helpdesk"
    project.mkdir()
    (project / "hd_settings.py").write_text(HELPDESK_SETTINGS)
    (project / "hd_urls.py").write_text(HELPDESK_URLS)
    (project / "hd_run.py").write_text(HELPDESK_RUN)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hd_settings", PYTHONPATH=str(project))
    python = sys.executable
    subprocess.run(
        [python, "-m", "django", "migrate", "-v", "0"], env=env, cwd=project, check=True
    )
    user, password = next(iter(server.users.items()))
    done = subprocess.run(
        [python, "hd_run.py", server.host, str(server.port), user, password, folder],
        env=env, cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # What it took it flags \Deleted (and expunges at the end, unless it stopped first).
    with server.mailbox(folder=folder) as box:
        total, left = len(box.uids("ALL")), len(box.uids("UNDELETED"))
    stopped = result["failures"][0] if result["failures"] else None
    return rate(
        total - left, result["seconds"], tickets=result["tickets"], left_in_mailbox=left,
        stopped_by=stopped,
    )  # fmt: skip


async def main(total: int) -> dict[str, Any]:
    messages, info = mailbox_contents(total)
    results: dict[str, Any] = {}
    with Dovecot.start() as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server.append(messages, folder="Source")
        for name in ("floor", "bulk", "sqlite", "pg", "helpdesk", "diagnostic"):
            copy_folder(server, f"Run-{name}")
        results["imap_tools_fetch"] = run_floor(server, "Run-floor", bulk=False)
        results["imap_tools_fetch_bulk100"] = run_floor(server, "Run-bulk", bulk=100)
        print("floor done", results["imap_tools_fetch"], flush=True)  # noqa: T201
        (work / "sqlite").mkdir()
        url = f"sqlite+aiosqlite:///{work / 'sqlite' / 'shagym.db'}"
        results["shagym_sqlite"] = await run_shagym(server, "Run-sqlite", url, work / "sqlite")
        print("sqlite done", results["shagym_sqlite"], flush=True)  # noqa: T201
        pg = await _fresh_pg()
        if pg is None:
            results["shagym_postgresql"] = {"skipped": f"no PostgreSQL at {PG_ADMIN}"}
        else:
            (work / "pg").mkdir()
            try:
                results["shagym_postgresql"] = await run_shagym(
                    server, "Run-pg", pg[1], work / "pg"
                )
            finally:
                await _drop_pg(pg[0])
        print("pg done", results["shagym_postgresql"], flush=True)  # noqa: T201
        results["django_helpdesk"] = run_helpdesk(server, "Run-helpdesk", work)
        print("helpdesk done", results["django_helpdesk"], flush=True)  # noqa: T201
    return {
        "mailbox": info,
        "results": results,
    }


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    r = report["results"]
    floor, helpdesk = r["imap_tools_fetch"]["msgs_per_s"], r["django_helpdesk"]["msgs_per_s"]
    summary = {}
    for key in ("shagym_sqlite", "shagym_postgresql"):
        if "msgs_per_s" in r[key]:
            ours = r[key]["msgs_per_s"]
            summary[key] = {
                "vs_helpdesk": round(ours / helpdesk, 2),
                "vs_floor": round(ours / floor, 4),
                "vs_floor_bulk": round(ours / r["imap_tools_fetch_bulk100"]["msgs_per_s"], 4),
                "target_2x_helpdesk_met": ours >= 2 * helpdesk,
                "target_half_floor_met": ours >= 0.5 * floor,
            }
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    report = asyncio.run(main(args.messages))
    report["summary"] = summarise(report)
    report["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))  # noqa: T201

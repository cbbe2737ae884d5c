"""A private Dovecot IMAP server on loopback: the stand-in for the hotline's mailbox in tests,
benchmarks and `shagym demo`.

It writes a temporary configuration (no file of the system's Dovecot is read), a passwd-file of
users with plain-text passwords, and a Maildir per user, then runs `dovecot -F` on a free
loopback port::

    with Dovecot.start() as server:
        settings = load_settings(**server.settings())
        server.append([raw_bytes, ...])

Run as root, the mail is owned by `nobody` (an unprivileged uid); run as anyone else, by that
user. `python -m sandbox.dovecot` runs one until interrupted and prints its settings.
Needs Debian's `dovecot-imapd` (`make system-deps` installs it).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_USER = "hotline@localhost"
DEFAULT_PASSWORD = "hotline-password"
START_TIMEOUT = 20.0
PR_SET_PDEATHSIG = 1

_CONFIG = """\
# Written by sandbox/dovecot.py for one private test server; nothing else reads it.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
{ssl_files}
# Loopback only: plain-text passwords are fine here and nowhere else.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
{users}
mail_max_userip_connections = 200
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
{chroot}
}}
service anvil {{
{chroot}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


def render_config(
    *,
    root: Path,
    port: int,
    tls_port: int | None,
    cert: Path | None,
    key: Path | None,
    mail_user: str,
    uid: int,
    gid: int,
    as_root: bool,
) -> str:
    """The whole dovecot.conf of one private server."""
    if as_root:
        users = f"mail_uid = {uid}\nmail_gid = {gid}"
        chroot = ""
    else:
        # Without root Dovecot cannot switch users or chroot: everything runs as the caller.
        users = f"default_internal_user = {mail_user}\ndefault_login_user = {mail_user}"
        chroot = "  chroot ="
    ssl_files = f"ssl_cert = <{cert}\nssl_key = <{key}" if cert and key else ""
    return _CONFIG.format(
        root=root,
        port=port,
        tls_port=tls_port or 0,
        ssl="yes" if cert else "no",
        ssl_files=ssl_files,
        uid=uid,
        gid=gid,
        users=users,
        chroot=chroot,
    )


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or cannot be started here; the message says why."""


def dovecot_binary() -> str | None:
    for candidate in ("dovecot", "/usr/sbin/dovecot"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def unavailable_reason() -> str | None:
    """Why no Dovecot can be started here, or None when one can."""
    if dovecot_binary() is None:
        return "dovecot is not installed (run `make system-deps`, which installs dovecot-imapd)"
    if not Path("/usr/lib/dovecot/imap").exists():
        return "the dovecot IMAP server is missing (install dovecot-imapd)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail_owner() -> tuple[str, int, int]:
    """Root hands the mail to `nobody`; anyone else keeps it."""
    entry = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    return entry.pw_name, entry.pw_uid, entry.pw_gid


def _die_with_parent() -> None:
    """In the child: Linux sends SIGTERM when the process that started Dovecot dies, so a
    killed test run leaves no server behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        raise DovecotUnavailable("openssl is not installed; TLS needs a self-signed certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Dovecot:
    """One running private Dovecot; stop it with `stop()` or use it as a context manager."""

    root: Path
    port: int
    users: dict[str, str]
    tls_port: int | None = None
    cert: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    @classmethod
    def start(
        cls, users: dict[str, str] | None = None, *, tls: bool = False, port: int | None = None
    ) -> Dovecot:
        """Write a configuration into a fresh temporary directory and start Dovecot on it."""
        reason = unavailable_reason()
        if reason:
            raise DovecotUnavailable(reason)
        users = users or {DEFAULT_USER: DEFAULT_PASSWORD}
        root = Path(tempfile.mkdtemp(prefix="shagym-dovecot-"))
        # The login and mail processes run as other users: they must be able to traverse it.
        root.chmod(0o755)
        server = cls(root=root, port=port or free_port(), users=users)
        try:
            server._prepare(tls)
            server._launch()
        except BaseException:
            server.stop()
            raise
        return server

    def _prepare(self, tls: bool) -> None:
        owner, uid, gid = _mail_owner()
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        self._write_passwd()
        cert = key = None
        if tls:
            cert, key = _self_signed(self.root)
            self.tls_port = free_port()
            self.cert = cert
        config = render_config(
            root=self.root,
            port=self.port,
            tls_port=self.tls_port,
            cert=cert,
            key=key,
            mail_user=owner,
            uid=uid,
            gid=gid,
            as_root=os.geteuid() == 0,
        )
        (self.root / "dovecot.conf").write_text(config, encoding="utf-8")

    def _write_passwd(self) -> None:
        lines = [f"{name}:{{PLAIN}}{secret}::::::" for name, secret in self.users.items()]
        passwd = self.root / "passwd"
        staged = passwd.with_suffix(".new")
        staged.write_text("\n".join(lines) + "\n", encoding="utf-8")
        staged.chmod(0o644)
        staged.replace(passwd)

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def _launch(self) -> None:
        binary = dovecot_binary()
        assert binary is not None
        log = (self.root / "stderr.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._accepting():
            if self.process.poll() is not None:
                raise DovecotUnavailable(f"dovecot exited at start: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise DovecotUnavailable(f"dovecot did not listen in time: {self.log_tail()}")
            # Dovecot has no readiness notification in the foreground: probe the port.
            time.sleep(0.05)

    def _accepting(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def settings(self, user: str | None = None, *, security: str = "none") -> dict[str, object]:
        """Settings overrides (`load_settings(**server.settings())`) for this server."""
        user = user or next(iter(self.users))
        port = self.tls_port if security == "ssl" else self.port
        return {
            "IMAP_HOST": "localhost" if security != "none" else self.host,
            "IMAP_PORT": port,
            "IMAP_USER": user,
            "IMAP_PASSWORD": self.users[user],
            "IMAP_SECURITY": security,
        }

    def mailbox(self, user: str | None = None, folder: str = "INBOX"):  # type: ignore[no-untyped-def]
        """An imap-tools MailBox logged in over plain IMAP (for tests and the benchmark)."""
        from imap_tools import MailBoxUnencrypted

        user = user or next(iter(self.users))
        box = MailBoxUnencrypted(self.host, self.port, timeout=30)
        return box.login(user, self.users[user], initial_folder=folder)

    def append(
        self, messages: Iterable[bytes], folder: str = "INBOX", user: str | None = None
    ) -> int:
        """Deliver messages into a folder (created when missing) over IMAP APPEND."""
        count = 0
        with self.mailbox(user, folder=None) as box:  # type: ignore[arg-type]
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for raw in messages:
                box.append(raw, folder)
                count += 1
        return count

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this server's configuration; returns its standard output."""
        done = subprocess.run(
            ["doveadm", "-c", str(self.config), *args], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        """Stop Dovecot and remove its directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(users: dict[str, str] | None = None, *, tls: bool = False) -> Iterator[Dovecot]:
    server = Dovecot.start(users, tls=tls)
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    with running() as server:
        for key, value in server.settings().items():
            print(f"{key}={value}")  # noqa: T201
        print(f"# running from {server.root}; Ctrl-C stops it", flush=True)  # noqa: T201
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()

"""A throwaway Dovecot IMAP server on a random loopback port, configured in a temporary folder.

Runs unprivileged where it can: as a normal user everything runs as that user; as root (CI) the login
processes use Debian's `dovenull`/`dovecot` accounts and mail is owned by `nobody`. A pool of users is
written to the passwd-file before the start (Dovecot may not notice a file changed within the same second),
and each test takes a fresh one, so each test has its own empty mailbox."""

from __future__ import annotations

import base64
import getpass
import grp
import hashlib
import hmac
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

SECRET = "s3cret-pass"
USERS = 200


def dovecot_binary() -> str | None:
    """The dovecot binary, or None when dovecot-imapd is not installed."""
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """One server instance: start, stop, restart, add users, append messages."""

    def __init__(self, binary: str):
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="o2c-dovecot-"))
        self.root.chmod(0o755)  # the mail user (nobody, when we are root) must reach its maildir
        self.port = _free_port()
        self._master: subprocess.Popen | None = None
        self.conf = self.root / "dovecot.conf"
        self.passwd = self.root / "passwd"
        self.log = self.root / "dovecot.log"
        (self.root / "run").mkdir()
        (self.root / "mail").mkdir()
        self._users = iter(f"clerk{n}" for n in range(1, USERS + 1))
        self.passwd.write_text(
            "".join(f"{name}:{{PLAIN}}{SECRET}::::::\n" for name in (f"clerk{n}" for n in range(1, USERS + 1)))
        )
        if os.getuid() == 0:
            login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
            self.mail_uid, self.mail_gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        else:
            login_user = internal_user = getpass.getuser()
            internal_group = grp.getgrgid(os.getgid()).gr_name
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
        os.chown(self.root / "mail", self.mail_uid, self.mail_gid)
        self._write_oauth2_key()
        self.conf.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/run/state
instance_name = o2c-test-{self.port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
log_path = {self.log}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {self.root}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd}
  default_fields = uid={self.mail_uid} gid={self.mail_gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    # --------------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the server (in the foreground, as our child, so we reap it) and wait until it greets."""
        with (self.root / "start.out").open("ab") as out:
            self._master = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self._master.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        log = self.log.read_text() if self.log.exists() else ""
        self.stop()
        raise RuntimeError(f"dovecot did not start; log:\n{log}")

    @property
    def running(self) -> bool:
        """True while the master process runs."""
        return self._master is not None and self._master.poll() is None

    def stop(self) -> None:
        """Kill the server and every process of it, so every client is cut off mid-session (like a crash)."""
        if self._master is not None:
            self._master.kill()  # a polite SIGTERM makes the master wait seconds for its children
            self._master.wait(15)
            self._master = None
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """A stopped master leaves logged-in imap processes serving their clients; a restart cuts them off."""
        marker = f"dovecot-o2c-test-{self.port}/".encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if (proc / "cmdline").read_bytes().startswith(marker):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue

    def restart(self) -> None:
        """Stop, then start again on the same port (mail kept)."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop and remove every file."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _write_oauth2_key(self) -> None:
        """XOAUTH2: Dovecot validates HS256 JWTs locally against a key read from <prefix>/<azp>/<alg>/<kid>."""
        self._oauth2_key = os.urandom(32)
        keys = self.root / "oauth2-keys"
        key_file = keys / "default" / "HS256" / "default"
        key_file.parent.mkdir(parents=True)
        key_file.write_text(base64.b64encode(self._oauth2_key).decode())
        for path in (keys, keys / "default", key_file.parent):
            path.chmod(0o755)
        key_file.chmod(0o644)
        (self.root / "oauth2.conf.ext").write_text(
            f"introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={keys}/\n"
            "username_attribute = sub\n"
        )

    def oauth2_token(self, user: str, *, lifetime: int = 600) -> str:
        """A signed access token for the user, as an identity provider would issue it."""
        now = int(time.time())
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = _b64url(json.dumps({"sub": user, "iat": now - 5, "nbf": now - 5, "exp": now + lifetime}).encode())
        signature = hmac.new(self._oauth2_key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
        return f"{header}.{claims}.{_b64url(signature)}"

    # --------------------------------------------------------------------------------------- mailboxes
    def new_user(self) -> str:
        """A user nobody has used yet, so an empty maildir."""
        return next(self._users)

    def client(self, user: str, password: str = SECRET) -> IMAPClient:
        """A logged-in client for arranging a test."""
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def append(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        """Deliver messages into a folder (created when missing) with IMAP APPEND."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for message in messages:
                client.append(folder, message)
        finally:
            client.logout()

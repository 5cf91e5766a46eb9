"""A throwaway PostgreSQL server: for the tests of the samples store and for `make cluster`,
whose Streamlit servers share one database through $DIGIT_STUDIO_DATABASE_URL.

    with TemporaryPostgres() as server:
        os.environ["DIGIT_STUDIO_DATABASE_URL"] = server.url
        other = server.create_database("scratch")  # a second, empty database on it

It runs initdb in a new temporary folder, starts PostgreSQL there listening on 127.0.0.1 only
(its unix socket stays in the folder), with a random password for the `postgres` user, and on
exit stops it and removes the folder, also when the block raised. As root it runs PostgreSQL as
the `postgres` system user, which Debian's package creates: PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

DEBIAN_BINARIES = Path("/usr/lib/postgresql")  # Debian keeps initdb and pg_ctl off PATH, here
SYSTEM_USER = "postgres"  # who runs the server when we are root
SUPERUSER = "postgres"  # the database user the URLs name
START_SECONDS = 60  # initdb and the first start: seconds on a laptop, longer on a busy CI runner
STOP_SECONDS = 30


class PostgresServerError(RuntimeError):
    """PostgreSQL is not installed, or would not start: the message says which and what to do."""


def postgres_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest; None when absent."""
    on_path = shutil.which("pg_ctl")
    if on_path and Path(on_path).with_name("initdb").exists():
        return Path(on_path).parent
    versions = [
        folder / "bin"
        for folder in DEBIAN_BINARIES.glob("*")
        if folder.name.isdigit() and (folder / "bin" / "pg_ctl").exists()
    ]
    return max(versions, key=lambda bin: int(bin.parent.name), default=None)


class TemporaryPostgres:
    """A PostgreSQL server of its own in a temporary folder, for as long as the `with` block.

    `port`: where it listens on 127.0.0.1 (None: a free port). `database`: the database `url`
    names, created empty. Start and stop with `with`, or `start()` and `stop()`; while it runs,
    `port` is its port and `folder` holds its files (`server.log` among them).
    """

    def __init__(self, port: int | None = None, database: str = "digits") -> None:
        self.port = port
        self.database = database
        self.folder: Path | None = None  # the server's files while it runs
        self._password = secrets.token_urlsafe(16)

    @property
    def url(self) -> str:
        """The libpq URL of `database` on this server, password included."""
        return self.url_of(self.database)

    def url_of(self, database: str) -> str:
        """The URL of another database on this server (see `create_database`)."""
        if self.port is None or self.folder is None:
            raise PostgresServerError("the temporary PostgreSQL server is not running")
        return f"postgresql://{SUPERUSER}:{self._password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database on this server; returns its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"{name!r} is not a plain database name (a-z, 0-9, _)")
        import psycopg  # here, not above: only the server's users need it

        with psycopg.connect(self.url_of("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url_of(name)

    def start(self) -> None:
        """initdb in a new temporary folder and start the server; on failure nothing is left."""
        binaries = postgres_binaries()
        if binaries is None:
            raise PostgresServerError(
                "PostgreSQL is not installed (no initdb and pg_ctl on PATH or in "
                f"{DEBIAN_BINARIES}); `make test` or `make cluster` installs it"
            )
        user = _system_user()
        self.folder = folder = Path(tempfile.mkdtemp(prefix="digit-studio-postgres-"))
        try:
            self.port = self.port or _free_port()
            password_file = folder / "password"
            password_file.write_text(self._password)
            if user is not None:
                for path in (folder, password_file):
                    os.chown(path, user.pw_uid, user.pw_gid)
            _run(
                folder,
                binaries / "initdb",
                f"--pgdata={folder / 'data'}",
                f"--username={SUPERUSER}",
                f"--pwfile={password_file}",
                "--auth-local=trust",  # the socket is in a folder only the server's user can open
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",  # a throwaway server: no need to wait for the disk
            )
            password_file.unlink()
            settings = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                f" -c unix_socket_directories='{folder}'"
            )
            _run(
                folder,
                binaries / "pg_ctl",
                "start",
                f"--pgdata={folder / 'data'}",
                f"--log={folder / 'server.log'}",
                f"--options={settings}",
                "--wait",
                f"--timeout={START_SECONDS}",
            )
            self.create_database(self.database)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server, at once, and remove its folder: its data is thrown away."""
        if self.folder is None:
            return
        folder, self.folder = self.folder, None
        binaries = postgres_binaries()
        data = folder / "data"
        if binaries is not None and (data / "postmaster.pid").exists():
            try:
                subprocess.run(
                    [binaries / "pg_ctl", "stop", f"--pgdata={data}", "--mode=immediate", "--wait"],
                    **_as_server_user(),
                    capture_output=True,
                    timeout=STOP_SECONDS,
                    check=True,
                )
            except (subprocess.SubprocessError, OSError):
                _kill_postmaster(data)
        shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _run(folder: Path, *command: str | Path) -> None:
    """Run a PostgreSQL program in `folder`; PostgresServerError with what it said on failure."""
    try:
        subprocess.run(
            command,
            **_as_server_user(),
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        told = error.stderr.strip() + ("\n" + log.read_text()[-2000:] if log.exists() else "")
        raise PostgresServerError(
            f"{Path(command[0]).name} failed (exit {error.returncode}): {told}"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise PostgresServerError(
            f"{Path(command[0]).name} did not finish in {START_SECONDS} s"
        ) from error


def _as_server_user() -> dict:
    """subprocess arguments that run a PostgreSQL program as the server's user, in an
    environment without PG* variables (they would point the programs elsewhere)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    user = _system_user()
    if user is None:
        return {"env": environment}
    environment.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
    return {"env": environment, "user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _system_user() -> pwd.struct_passwd | None:
    """The user PostgreSQL runs as when we are root; None: as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresServerError(
            f"PostgreSQL refuses to run as root and there is no {SYSTEM_USER!r} user to run it "
            "as; install Debian's postgresql package (`make cluster` installs it)"
        ) from None


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kill_postmaster(data: Path) -> None:
    """The last resort when pg_ctl could not stop the server: kill it by its pid file."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

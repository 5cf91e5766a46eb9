"""More servers for a class on one computer: N Streamlit servers behind HAProxy.

A Streamlit server runs every session's script in threads of one Python process: a class of
thirty takes turns on one interpreter. Here each server is its own process on a loopback port;
HAProxy spreads new visitors over them and pins each visitor to one with a cookie, because a
session (its websocket, uploads and media) lives in one server's memory. Every server shares
one model store folder and, when given, one samples database. `python -m digit_studio.cluster`
(what `make cluster` runs) also starts a throwaway PostgreSQL when none is named.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType, TracebackType

from digit_studio.postgres_server import PostgresServerError, TemporaryPostgres
from mnist_core.samples import DATABASE_URL_VARIABLE
from mnist_core.store import MODELS_DIR_VARIABLE, ModelStore

APP = Path(__file__).resolve().parents[1] / "app.py"
LOOPBACK = "127.0.0.1"  # where the servers listen: only HAProxy reaches them
BALANCES = ("leastconn", "roundrobin")
# A visitor keeps one websocket open for the whole lesson: leastconn counts them, roundrobin
# counts visits, so leastconn spreads the open sessions evenly.
DEFAULT_BALANCE = "leastconn"
START_SECONDS = 90.0  # a server answering its health check; 3-10 s on two busy cores
STOP_SECONDS = 10.0  # a server's clean shutdown, before it is killed
POLL_SECONDS = 0.25
COOKIE = "SERVERID"  # HAProxy's cookie naming the visitor's server
SERVED_BY = "X-Digit-Studio-Server"  # response header naming the server that answered
HEALTH = "/_stcore/health"
LOG_TAIL = 2000  # characters of a log shown when something fails to start

HAPROXY_CONFIG = """\
global
    maxconn 4096
    stats socket {socket} mode 600 level user

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 1m
    timeout server 1m
    timeout http-request 10s
    # An open websocket (/_stcore/stream) is a tunnel: idle between reruns, alive all lesson.
    timeout tunnel 1h
    timeout client-fin 30s
    # A server that just died: retry the connection on another one.
    retries 2
    option redispatch 1

frontend digit_studio
    bind {bind}:{port}
    default_backend streamlit

backend streamlit
    balance {balance}
    # A session's websocket, uploads and media live in one server's memory: stay on it.
    cookie {cookie} insert indirect nocache httponly
    option httpchk GET {health}
    http-check expect status 200
    # Two failed checks a second apart take a dead server out; two good ones bring it back.
    default-server check inter 1s fall 2 rise 2
    http-response set-header {served_by} %s
{servers}
"""


class ClusterError(RuntimeError):
    """The cluster could not start: the message says what failed and where its log is."""


def find_haproxy() -> str | None:
    """The haproxy executable; Debian puts it in /usr/sbin, off a normal user's PATH."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    """A loopback port free right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def server_name(index: int) -> str:
    """Server `index`'s name in HAProxy: its cookie value and its SERVED_BY header."""
    return f"server{index}"


def haproxy_config(
    server_ports: list[int],
    port: int,
    stats_socket: Path,
    bind: str = LOOPBACK,
    balance: str = DEFAULT_BALANCE,
) -> str:
    """HAProxy's configuration for servers on these loopback ports, listening on bind:port,
    answering `show stat` on `stats_socket`."""
    if balance not in BALANCES:
        raise ValueError(f"balance must be one of {', '.join(BALANCES)}, not {balance!r}")
    servers = "\n".join(
        f"    server {server_name(i)} {LOOPBACK}:{server_port} cookie {server_name(i)}"
        for i, server_port in enumerate(server_ports)
    )
    return HAPROXY_CONFIG.format(
        socket=stats_socket,
        bind=bind,
        port=port,
        balance=balance,
        cookie=COOKIE,
        health=HEALTH,
        served_by=SERVED_BY,
        servers=servers,
    )


class Cluster:
    """`servers` Streamlit servers of app.py behind HAProxy on `bind`:`port` (0: a free one).

    Started by `with Cluster(...) as cluster:` (or `start()`), stopped by leaving the block (or
    `close()`): every process it started ends, also when starting fails halfway.
    `models_dir` is the store every server shares (default: $MNIST_MODELS_DIR, else models/),
    `database_url` the samples database (default: $DIGIT_STUDIO_DATABASE_URL if set, else each
    server's SQLite file, one file for all of them), `environment` more variables for the
    servers.
    """

    def __init__(
        self,
        servers: int = 3,
        port: int = 8501,
        database_url: str | None = None,
        *,
        models_dir: str | os.PathLike[str] | None = None,
        balance: str = DEFAULT_BALANCE,
        bind: str = LOOPBACK,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        if servers < 1:
            raise ValueError(f"a cluster needs at least one server, not {servers}")
        if balance not in BALANCES:
            raise ValueError(f"balance must be one of {', '.join(BALANCES)}, not {balance!r}")
        self.servers = servers
        self.port = port
        self.database_url = database_url
        self.models_dir = ModelStore(models_dir).root.resolve()
        self.balance = balance
        self.bind = bind
        self.environment = dict(environment or {})
        self.folder: Path | None = None  # the config and the logs, removed on close
        self.server_urls: list[str] = []
        self._servers: list[subprocess.Popen[bytes]] = []  # until close()
        self._pids: list[int] = []
        self._haproxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The address to open: HAProxy's."""
        host = LOOPBACK if self.bind in ("", "0.0.0.0", "::") else self.bind
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def pids(self) -> list[int]:
        """The servers' process ids, in server order (after close, those it ended)."""
        return list(self._pids)

    @property
    def config(self) -> Path:
        """HAProxy's configuration file."""
        if self.folder is None:
            raise ClusterError("the cluster is not started")
        return self.folder / "haproxy.cfg"

    @property
    def _stats_socket(self) -> Path:
        return self.config.with_name("haproxy.sock")

    def server_states(self) -> dict[str, str]:
        """HAProxy's view of each server by name: "UP", "DOWN", or a transition like "UP 1/2"."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(5)
            connection.connect(str(self._stats_socket))
            connection.sendall(b"show stat\n")
            answer = b"".join(iter(lambda: connection.recv(65536), b""))
        rows = csv.DictReader(io.StringIO(answer.decode().removeprefix("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row.get("pxname") == "streamlit" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def log(self, index: int) -> Path:
        """Server `index`'s output."""
        return self.config.parent / f"{server_name(index)}.log"

    def start(self) -> Cluster:
        """Start the servers, wait until each answers, then start HAProxy in front of them."""
        haproxy = find_haproxy()
        if haproxy is None:
            raise ClusterError(
                "haproxy is not installed: `make cluster` installs it as root "
                "(or apt-get install haproxy)"
            )
        if not APP.is_file():
            raise ClusterError(f"{APP} is missing: run the cluster from a checkout of the app")
        self.folder = Path(tempfile.mkdtemp(prefix="digit-studio-cluster-"))
        self._servers, self._pids, self.server_urls = [], [], []
        try:
            self._start_servers()
            self._start_haproxy(haproxy)
        except BaseException:
            self.close()
            raise
        return self

    def _start_servers(self) -> None:
        environment = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            MODELS_DIR_VARIABLE: str(self.models_dir),
            # One secret for all: a cookie or XSRF token one server signed passes on another.
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
            **self.environment,
        }
        if self.database_url is not None:
            environment[DATABASE_URL_VARIABLE] = self.database_url
        ports = [free_port() for _ in range(self.servers)]
        for index, port in enumerate(ports):
            with self.log(index).open("wb") as log:
                self._servers.append(
                    subprocess.Popen(
                        [
                            sys.executable, "-m", "streamlit", "run", str(APP),
                            "--server.address", LOOPBACK,
                            "--server.port", str(port),
                            "--server.headless", "true",
                            "--server.fileWatcherType", "none",
                            "--browser.gatherUsageStats", "false",
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=environment,
                        # Its own process group: Ctrl-C reaches us only, and close() ends the
                        # server's training workers with it.
                        start_new_session=True,
                    )
                )  # fmt: skip
            self._pids.append(self._servers[-1].pid)
            self.server_urls.append(f"http://{LOOPBACK}:{port}")
        for index, url in enumerate(self.server_urls):
            self._wait_until_healthy(url, self._servers[index], self.log(index), "server")

    def _start_haproxy(self, haproxy: str) -> None:
        if self.port == 0:
            self.port = free_port()
        ports = [int(url.rsplit(":", 1)[1]) for url in self.server_urls]
        self.config.write_text(
            haproxy_config(ports, self.port, self._stats_socket, self.bind, self.balance)
        )
        log = self.config.with_name("haproxy.log")
        with log.open("wb") as output:
            # -db: in the foreground, our child, never a daemon we would lose track of.
            self._haproxy = subprocess.Popen(
                [haproxy, "-db", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_healthy(self.url, self._haproxy, log, "haproxy")
        # HAProxy starts each server "UP 1/2", halfway: settled once its first checks pass.
        deadline = time.monotonic() + START_SECONDS
        while set(self.server_states().values()) != {"UP"}:
            if time.monotonic() > deadline:
                raise ClusterError(f"haproxy does not see every server up: {log}")
            time.sleep(POLL_SECONDS)

    def _wait_until_healthy(
        self, url: str, process: subprocess.Popen[bytes], log: Path, what: str
    ) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                ended = "exited" if process.poll() is not None else "did not answer in time"
                tail = log.read_text(errors="replace")[-LOG_TAIL:].strip()
                raise ClusterError(f"{what} at {url} {ended}; its log ends:\n{tail}")
            time.sleep(POLL_SECONDS)

    def running(self) -> bool:
        """Whether HAProxy still runs (servers may have died: its checks route around them)."""
        return self._haproxy is not None and self._haproxy.poll() is None

    def kill(self, index: int) -> None:
        """SIGKILL server `index`, as a crash would; HAProxy's checks take it out of rotation."""
        server = self._servers[index]
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
            server.wait()
            _end_group(server.pid)  # its training workers: they would follow within a second

    def close(self) -> None:
        """Stop HAProxy, then the servers and whatever they started; remove the folder."""
        processes = ([self._haproxy] if self._haproxy else []) + self._servers
        # Only groups whose leader we reap now: an older group's number may have been reused.
        running = [process for process in processes if process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _end_group(process.pid)  # a server's training workers, had any outlived it
        self._haproxy, self._servers = None, []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _end_group(leader: int) -> None:
    """SIGKILL what is left of the process group a child of ours led (start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether the Streamlit server (or HAProxy) at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}{HEALTH}", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[tuple[str, str]]:
    """`url`, or a throwaway PostgreSQL's for as long as the cluster runs; and what it is."""
    if url:
        yield url, f"${DATABASE_URL_VARIABLE}"
        return
    with TemporaryPostgres() as postgres:
        yield postgres.url, f"a throwaway PostgreSQL on port {postgres.port}, gone on exit"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # `kill` stops us as Ctrl-C does: through every `finally`


def main(argv: list[str] | None = None) -> int:
    """Run a cluster until Ctrl-C: HAProxy on --bind:--port, --servers servers behind it."""
    parser = argparse.ArgumentParser(
        description="Serve Digit Studio from several Streamlit servers behind HAProxy."
    )
    parser.add_argument("--servers", type=int, default=3, help="Streamlit servers (default: 3)")
    parser.add_argument("--port", type=int, default=8501, help="HAProxy's port (default: 8501)")
    parser.add_argument("--bind", default=LOOPBACK, help="HAProxy's address (default: loopback)")
    parser.add_argument("--balance", choices=BALANCES, default=DEFAULT_BALANCE)
    parser.add_argument(
        "--models-dir", type=Path, help="the shared model store (default: $MNIST_MODELS_DIR)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with contextlib.ExitStack() as stack:
            database, described = stack.enter_context(
                _database(os.environ.get(DATABASE_URL_VARIABLE))
            )
            cluster = Cluster(
                args.servers,
                args.port,
                database,
                models_dir=args.models_dir,
                balance=args.balance,
                bind=args.bind,
            )
            stack.enter_context(cluster)
            servers = f"{args.servers} server{'s' if args.servers > 1 else ''}"
            print(f"Digit Studio: {cluster.url}/ ({servers} behind HAProxy)")
            print(f"  models: {cluster.models_dir}")
            print(f"  samples: {described}")
            print(f"  logs: {cluster.config.parent}  (Ctrl-C stops everything)", flush=True)
            _watch(cluster)
    except KeyboardInterrupt:
        return 0
    except (ClusterError, PostgresServerError, ValueError, OSError) as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1
    return 0


def _watch(cluster: Cluster) -> None:
    """Until HAProxy ends: say once when a server has stopped answering."""
    down: set[int] = set()
    while cluster.running():
        for index, url in enumerate(cluster.server_urls):
            if index not in down and not answers(url):
                down.add(index)
                print(f"server {index} ({url}) stopped answering: see {cluster.log(index)}")
        time.sleep(5)
    raise ClusterError("haproxy stopped")


if __name__ == "__main__":
    sys.exit(main())

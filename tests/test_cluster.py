"""Two real Streamlit servers behind a real HAProxy: affinity, health checks, the websocket,
the shared model store, and a server that dies. No page script runs (that would load
TensorFlow in every server), so the cluster starts in seconds."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from digit_studio.cluster import (
    COOKIE,
    SERVED_BY,
    Cluster,
    ClusterError,
    find_haproxy,
    server_name,
)
from mnist_core.samples import DATABASE_URL_VARIABLE
from mnist_core.store import MODELS_DIR_VARIABLE, ModelStore

ROOT = Path(__file__).resolve().parents[1]
FAILOVER_SECONDS = 10  # checks every 1 s, out after 2 failures: about 2-3 s
# Handed to every server, never opened: no page script runs in these tests.
DATABASE_URL = "postgresql://nobody@127.0.0.1:9/unused"

pytestmark = pytest.mark.skipif(
    find_haproxy() is None, reason="haproxy is not installed (make test installs it as root)"
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    models = tmp_path_factory.mktemp("cluster") / "models"
    with Cluster(2, port=0, database_url=DATABASE_URL, models_dir=models) as cluster:
        yield cluster
    assert not any(Path(f"/proc/{pid}").exists() for pid in cluster.pids)


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """Which server answered `url`, and the SERVERID cookie HAProxy set, if it set one."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        served_by = response.headers[SERVED_BY]
        set_cookie = response.headers.get("Set-Cookie")
    return served_by, set_cookie


def test_the_proxy_answers_the_health_check(cluster: Cluster) -> None:
    with urllib.request.urlopen(f"{cluster.url}/_stcore/health", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b"ok"
    assert all(url.startswith("http://127.0.0.1:") for url in cluster.server_urls)


def test_the_generated_config_passes_haproxys_check(cluster: Cluster) -> None:
    haproxy = find_haproxy()
    assert haproxy is not None
    check = subprocess.run(
        [haproxy, "-c", "-f", str(cluster.config)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "WARNING" not in check.stdout + check.stderr


def test_new_visitors_are_spread_and_a_cookie_keeps_one_on_its_server(cluster: Cluster) -> None:
    first = [get(f"{cluster.url}/") for _ in range(4)]
    assert {served_by for served_by, _ in first} == {server_name(0), server_name(1)}
    for served_by, set_cookie in first:
        assert set_cookie is not None and set_cookie.startswith(f"{COOKIE}={served_by};")

    cookie = f"{COOKIE}={server_name(1)}"
    again = [get(f"{cluster.url}/", cookie) for _ in range(4)]
    assert again == [(server_name(1), None)] * 4  # `indirect`: no new cookie when it is valid


def test_the_websocket_upgrade_passes_through_to_the_visitors_server(cluster: Cluster) -> None:
    uri = cluster.url.replace("http://", "ws://") + "/_stcore/stream"
    for index in (0, 1):
        cookie = f"{COOKIE}={server_name(index)}"
        with connect(
            uri, subprotocols=["streamlit"], additional_headers={"Cookie": cookie}, open_timeout=10
        ) as websocket:
            assert websocket.subprotocol == "streamlit"
            assert websocket.response.status_code == 101
            assert websocket.response.headers[SERVED_BY] == server_name(index)


def test_every_server_gets_the_shared_store_and_database(cluster: Cluster) -> None:
    for pid in cluster.pids:
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"{MODELS_DIR_VARIABLE}={cluster.models_dir}".encode() in environment
        assert f"{DATABASE_URL_VARIABLE}={DATABASE_URL}".encode() in environment


def test_a_model_saved_into_the_shared_store_is_listed(cluster: Cluster) -> None:
    shipped = ModelStore(ROOT / "models")
    name = shipped.default_name()
    assert name is not None
    info = shipped.info(name)
    # As a training on any server saves: through the store, into the one folder.
    ModelStore(cluster.models_dir).save("from-server-1", shipped.root / info.file, info)
    assert [i.name for i in ModelStore(cluster.models_dir).list_models()] == ["from-server-1"]


def test_a_dead_server_leaves_the_rotation_and_its_visitors_move(cluster: Cluster) -> None:
    assert cluster.server_states() == {server_name(0): "UP", server_name(1): "UP"}
    cluster.kill(0)  # last in this module: the cluster keeps one server from here on
    killed = time.monotonic()
    # Before the checks notice, a refused connection is retried on the other server.
    assert get(f"{cluster.url}/_stcore/health")[0] == server_name(1)
    while cluster.server_states()[server_name(0)] != "DOWN":
        assert time.monotonic() - killed < FAILOVER_SECONDS, "server0 is still in the rotation"
        time.sleep(0.25)
    assert {get(f"{cluster.url}/")[0] for _ in range(4)} == {server_name(1)}
    served_by, set_cookie = get(f"{cluster.url}/", f"{COOKIE}={server_name(0)}")
    assert served_by == server_name(1)
    assert set_cookie is not None and set_cookie.startswith(f"{COOKIE}={server_name(1)};")


def test_a_failed_start_leaves_no_process(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the proxy's port: HAProxy cannot bind it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        cluster = Cluster(1, port=taken.getsockname()[1], models_dir=tmp_path / "models")
        with pytest.raises(ClusterError, match=r"haproxy .* exited"):
            cluster.start()
    assert len(cluster.pids) == 1  # the server started, then was stopped with HAProxy's failure
    assert not any(Path(f"/proc/{pid}").exists() for pid in cluster.pids)
    assert cluster.folder is None

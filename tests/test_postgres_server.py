"""The throwaway PostgreSQL server that the tests and `make cluster` start."""

from __future__ import annotations

import contextlib
import socket

import pytest
from test_samples import digit

from digit_studio import postgres_server
from digit_studio.postgres_server import PostgresServerError, TemporaryPostgres
from mnist_core.errors import SampleStoreBusyError, SampleStoreError
from mnist_core.samples import SampleStore

from conftest import NO_POSTGRES


class FailedTestError(Exception):
    """What a failing test raises inside the server's block."""


@pytest.mark.skipif(postgres_server.postgres_binaries() is None, reason=NO_POSTGRES)
def test_the_server_serves_its_databases_and_is_gone_with_its_folder_when_the_block_raises():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with contextlib.suppress(FailedTestError), TemporaryPostgres(port=port) as server:
        folder = server.folder
        assert f"@127.0.0.1:{port}/digits" in server.url
        store = SampleStore(url=server.url)
        store.add(digit(), 1)
        other = SampleStore(url=server.create_database("second"))
        assert (store.counts().sum(), other.counts().sum()) == (1, 0)
        raise FailedTestError
    assert folder is not None and not folder.exists()
    with pytest.raises(PostgresServerError, match="not running"):
        server.url  # noqa: B018 - the property raises
    with pytest.raises(SampleStoreError, match="cannot reach") as raised:
        store.counts()  # its server is gone: our typed error, not psycopg's
    assert not isinstance(raised.value, SampleStoreBusyError)


def test_without_postgresql_installed_the_server_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(postgres_server, "postgres_binaries", lambda: None)
    with pytest.raises(PostgresServerError, match="make cluster"), TemporaryPostgres():
        pass


def test_a_database_name_is_checked():
    with pytest.raises(ValueError, match="plain database name"):
        TemporaryPostgres().create_database("x; DROP DATABASE digits")

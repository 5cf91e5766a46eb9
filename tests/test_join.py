"""Joining a class: the address students open, its QR code, and serving on the network only by
choice (`make run-class`)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import segno
from PIL import Image
from streamlit import config, net_util
from streamlit.testing.v1 import AppTest

from digit_studio import join

ROOT = Path(__file__).resolve().parent.parent
LAN = "192.168.1.20"
URL = f"http://{LAN}:8501/"


@pytest.fixture
def server_options():
    """Sets the server's address and port as `streamlit run` would, restoring them after."""
    saved = {key: config.get_option(key) for key in ("server.address", "server.port")}

    def set_options(address: str | None, port: int = 8501) -> None:
        config.set_option("server.address", address)
        config.set_option("server.port", port)

    yield set_options
    for key, value in saved.items():
        config.set_option(key, value)


@pytest.fixture
def on_a_network(monkeypatch):
    monkeypatch.setattr(join, "network_address", lambda: LAN)


@pytest.fixture
def on_no_network(monkeypatch):
    monkeypatch.setattr(join, "network_address", lambda: None)


@pytest.mark.parametrize("bind", [None, "", "0.0.0.0", "::", "[::]", LAN])
def test_a_server_on_the_network_is_joined_at_the_lan_address(bind):
    assert join.join_url(bind, 8501, LAN) == URL


@pytest.mark.parametrize(
    "bind", ["127.0.0.1", "127.0.1.1", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_a_server_on_loopback_cannot_be_joined(bind):
    assert join.join_url(bind, 8501, LAN) is None


def test_without_a_network_there_is_nothing_to_join():
    assert join.join_url("0.0.0.0", 8501, None) is None


def test_a_server_bound_to_one_interface_is_joined_there():
    assert join.join_url("10.0.0.5", 8600, LAN) == "http://10.0.0.5:8600/"


def test_ipv6_addresses_are_bracketed():
    assert join.join_url("::", 8501, "fd00::20") == "http://[fd00::20]:8501/"
    assert join.join_url("[fd00::20]", 8501, None) == "http://[fd00::20]:8501/"


@pytest.mark.parametrize(("found", "expected"), [(LAN, LAN), ("127.0.0.1", None), (None, None)])
def test_the_network_address_is_never_loopback(monkeypatch, found, expected):
    # Streamlit answers 127.0.0.1 when the machine has no route to any network.
    monkeypatch.setattr(net_util, "get_internal_ip", lambda: found)
    assert join.network_address() == expected


def test_the_class_url_follows_the_running_servers_options(server_options, on_a_network):
    server_options("0.0.0.0", 8600)
    assert join.class_url() == f"http://{LAN}:8600/"
    server_options("127.0.0.1", 8600)
    assert join.class_url() is None


def test_the_png_holds_the_url_as_a_standard_qr_code():
    png = join.qr_png(URL, scale=4)
    expected = segno.make(URL, error="m", micro=False)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    width = expected.symbol_size(scale=4, border=2)[0]
    assert image.shape == (width, width)
    # The centre pixel of each module, inside the 2-module border: dark where the code is.
    centres = image[2 * 4 + 2 :: 4, 2 * 4 + 2 :: 4][: len(expected.matrix), : len(expected.matrix)]
    assert np.array_equal(centres < 128, np.array(expected.matrix, dtype=bool))


def test_short_urls_are_not_micro_qr_codes_phones_cannot_read():
    png = join.qr_png("http://a:1/", scale=1)
    assert Image.open(io.BytesIO(png)).width == 21 + 2 * 2  # version 1: the smallest QR code


def test_the_terminal_code_is_two_modules_a_line_and_stable():
    text = join.qr_terminal(URL)
    size = len(segno.make(URL, error="m", micro=False).matrix) + 2 * 2
    lines = text.splitlines()
    assert len(lines) == (size + 1) // 2 and {len(line) for line in lines} == {size}
    assert set(text) <= set("█▀▄ \n")
    assert join.qr_terminal(URL) == text


def test_the_cli_prints_the_address_and_code_students_join_by(capsys, on_a_network):
    join.main(["--bind", "0.0.0.0", "--port", "8600"])
    out = capsys.readouterr().out
    url = f"http://{LAN}:8600/"
    assert out.startswith(f"Students open: {url}\n") and join.qr_terminal(url) in out


def test_the_cli_says_when_no_network_lets_students_join(capsys, on_no_network):
    join.main(["--bind", "0.0.0.0"])
    assert capsys.readouterr().out == (
        "No local network found, so students cannot join. This computer: http://localhost:8501/\n"
    )


def test_the_cli_for_a_loopback_server_names_this_computer_only():
    done = subprocess.run(
        [sys.executable, "-m", "digit_studio.join", "--bind", "127.0.0.1", "--port", "8600"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout == (
        "This computer only: http://127.0.0.1:8600/ (make run-class serves the class)\n"
    )


def test_the_app_is_served_to_this_computer_only_by_default():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"].get("address") == "127.0.0.1"


def recipe(target: str) -> str:
    """The commands of a Makefile target, one a line."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, f"no target {target} in the Makefile"
    return match.group(1)


def test_only_run_class_serves_the_network():
    run, run_class = recipe("run"), recipe("run-class")
    assert "streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)" in run
    assert "0.0.0.0" not in run
    assert "streamlit run app.py --server.address 0.0.0.0 --server.port $(PORT)" in run_class
    printed, started = run_class.index("digit_studio.join"), run_class.index("streamlit run")
    assert printed < started and "--bind 0.0.0.0 --port $(PORT)" in run_class


def join_block():
    from digit_studio.join import show_join_code

    show_join_code()


def test_the_home_block_shows_the_code_and_address_on_a_network(server_options, on_a_network):
    server_options("0.0.0.0")
    at = AppTest.from_function(join_block, default_timeout=30).run()
    assert not at.exception
    (address,) = at.markdown
    assert f">{URL}</p>" in address.value and "<a" not in address.value
    assert [caption.value for caption in at.caption] == [join.JOIN_CAPTION]
    (image,) = at.get("image")
    (shown,) = image.proto.imgs
    assert shown.url.endswith(".png")


def test_the_home_block_on_loopback_points_to_run_class(server_options, on_a_network):
    server_options("127.0.0.1")
    at = AppTest.from_function(join_block, default_timeout=30).run()
    assert not at.exception
    assert [caption.value for caption in at.caption] == [join.LOCAL_ONLY_CAPTION]
    assert "make run-class" in join.LOCAL_ONLY_CAPTION
    assert not at.markdown and not at.get("image")

"""How students join a class: the address to open on the local network and its QR code, shown
on the Home page and printed by `make run-class` (`python -m digit_studio.join`)."""

from __future__ import annotations

import argparse
import html
import io
import ipaddress

import segno
import streamlit as st
from streamlit import config, net_util

# Addresses that make a server listen on every interface, the local network included.
ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})
QR_ERROR_LEVEL = "m"  # at least 15% recoverable (segno raises it when free): glare, smudges
QR_BORDER = 2  # modules of quiet zone: half the standard's 4, which phones read fine
JOIN_CAPTION = "Students: scan the code or type the address on a phone or laptop on this network."
LOCAL_ONLY_CAPTION = (
    "Only this computer can open the app now. To let the class join, start it with "
    "`make run-class` (see the README's “Running a class”)."
)


def network_address() -> str | None:
    """This machine's address on the local network, or None when it is on none."""
    address = net_util.get_internal_ip()  # asks the OS for a route; sends nothing
    return None if address is None or _is_loopback(address) else address


def join_url(bind_address: str | None, port: int, lan_address: str | None) -> str | None:
    """The address students should open, or None when a server bound there cannot be reached
    from the local network (bound to loopback, or no network to be reached on)."""
    host = (bind_address or "").strip("[]")
    if _is_loopback(host):
        return None
    if host in ANY_ADDRESS:
        return None if lan_address is None else _url(lan_address, port)
    return _url(host, port)  # bound to one interface: the LAN address or another one


def class_url() -> str | None:
    """`join_url` for the running server's options and this machine's network address."""
    return join_url(
        config.get_option("server.address"), config.get_option("server.port"), network_address()
    )


def qr_png(url: str, scale: int = 8) -> bytes:
    """`url` as a QR code PNG, `scale` pixels a module."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=QR_BORDER)
    return buffer.getvalue()


def qr_terminal(url: str) -> str:
    """`url` as a QR code in block characters, two modules a line, for a terminal."""
    out = io.StringIO()
    _qr(url).terminal(out=out, compact=True, border=QR_BORDER)
    return out.getvalue()


def show_join_code() -> None:
    """The QR code and address students join by, or a note that only this computer can."""
    url = class_url()
    if url is None:
        st.caption(LOCAL_ONLY_CAPTION)
        return
    st.image(qr_png(url), width=220, output_format="PNG")  # JPEG would blur the modules
    # Escaped HTML, not Markdown: sized for the back row and never turned into a link.
    st.markdown(
        f'<p class="join-url" style="font-size:2rem;font-weight:700;margin:0">'
        f"{html.escape(url)}</p>",
        unsafe_allow_html=True,
    )
    st.caption(JOIN_CAPTION)


def main(argv: list[str] | None = None) -> None:
    """Print the address to open for a server bound to `--bind`, with its QR code when the
    class can join."""
    parser = argparse.ArgumentParser(description="Print the address a class joins Digit Studio by.")
    parser.add_argument("--port", type=int, default=8501, help="the server's port")
    parser.add_argument("--bind", default="0.0.0.0", help="the server's address (default: all)")
    args = parser.parse_args(argv)
    url = join_url(args.bind, args.port, network_address())
    host = args.bind.strip("[]")
    if url is not None:
        print(f"Students open: {url}\n")
        print(qr_terminal(url))
    elif _is_loopback(host):
        print(f"This computer only: {_url(host, args.port)} (make run-class serves the class)")
    else:
        local = _url("localhost", args.port)
        print(f"No local network found, so students cannot join. This computer: {local}")


def _qr(url: str) -> segno.QRCode:
    # Never a Micro QR code, which segno picks for short text and most phones cannot read.
    return segno.make_qr(url, error=QR_ERROR_LEVEL)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or nothing: not loopback by itself


if __name__ == "__main__":
    main()

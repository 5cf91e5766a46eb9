"""The teacher's passcode: what lets one person clear the class, export it and hide the board.

The passcode comes from the server's environment or `.streamlit/secrets.toml`, never from a
link: a link is shared, bookmarked and kept in browser history. It is compared in constant
time and never logged, echoed or stored; a session remembers only that it was typed right.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections import deque

import streamlit as st

PASSCODE_VARIABLE = "DIGIT_STUDIO_TEACHER_PASSCODE"
PASSCODE_SECRET = "teacher_passcode"  # its name in .streamlit/secrets.toml
# Query parameters someone might put a passcode in: dropped from the address, never read.
LINK_NAMES = ("passcode", "teacher", "password", "code", "key", "token")
# Guessing is slowed for the whole server: after this many wrong passcodes within the window,
# every try waits out the window (the teacher's too: they wait a minute at worst).
MAX_WRONG = 5
WRONG_WINDOW_SECONDS = 60.0

_wrong: deque[float] = deque(maxlen=MAX_WRONG)  # when the latest wrong passcodes were typed
_wrong_lock = threading.Lock()


def teacher_passcode() -> str | None:
    """The passcode set for this server, or None: then no teacher actions are offered."""
    passcode = os.environ.get(PASSCODE_VARIABLE)
    if not passcode:
        try:
            passcode = st.secrets.get(PASSCODE_SECRET)
        except FileNotFoundError:  # no secrets.toml: Streamlit's error is a FileNotFoundError
            passcode = None
    return str(passcode) if passcode else None


def passcode_matches(typed: str, passcode: str) -> bool:
    """Whether `typed` is the passcode, in time that does not depend on where they differ."""
    return hmac.compare_digest(typed.encode(), passcode.encode())


def is_teacher() -> bool:
    """Whether this session typed the passcode, and one is still set."""
    return bool(st.session_state.get("teacher")) and teacher_passcode() is not None


def seconds_until_next_try(now: float | None = None) -> float:
    """0 when a passcode may be tried; else how long until the server takes tries again."""
    now = time.monotonic() if now is None else now
    with _wrong_lock:
        if len(_wrong) < MAX_WRONG:
            return 0.0
        return max(0.0, _wrong[0] + WRONG_WINDOW_SECONDS - now)


def try_passcode(typed: str, passcode: str, now: float | None = None) -> bool | None:
    """Whether `typed` is the passcode; None (not even compared) while tries are paused."""
    now = time.monotonic() if now is None else now
    if seconds_until_next_try(now) > 0:
        return None
    right = passcode_matches(typed, passcode)
    if not right:
        with _wrong_lock:
            _wrong.append(now)
    return right


def _check_passcode() -> None:
    typed = str(st.session_state.pop("teacher_passcode_input", ""))  # not kept on the server
    passcode = teacher_passcode()
    right = try_passcode(typed, passcode) if passcode is not None else False
    st.session_state["teacher"] = bool(right)
    if right is None:
        wait = seconds_until_next_try()
        st.session_state["teacher_refused"] = f"Too many wrong passcodes: try in {wait:.0f} s."
    elif not right:
        st.session_state["teacher_refused"] = "That is not the passcode."


def _sign_out() -> None:
    st.session_state["teacher"] = False


def drop_passcode_from_link() -> bool:
    """Remove any passcode-like parameter from the address; True when there was one."""
    found = [name for name in st.query_params if name.lower() in LINK_NAMES]
    for name in found:
        del st.query_params[name]
    return bool(found)


def teacher_sign_in() -> bool:
    """The teacher's sign-in (or sign-out) block; True when this session is the teacher's."""
    if drop_passcode_from_link():
        st.warning(
            "A passcode in a link is ignored, and was removed from the address: links are "
            "shared. Type it below instead."
        )
    if teacher_passcode() is None:
        st.caption(
            f"Teacher actions (clear the class, export, hide the board) are off: set "
            f"{PASSCODE_VARIABLE} or {PASSCODE_SECRET} in .streamlit/secrets.toml to turn "
            "them on."
        )
        return False
    if is_teacher():
        st.button("Sign out", icon=":material/logout:", on_click=_sign_out, key="teacher-out")
        return True
    # Cleared on submit, in the browser too: a wrong passcode is not left in the field.
    with st.form("teacher-sign-in", border=False, clear_on_submit=True):
        st.text_input("Teacher's passcode", type="password", key="teacher_passcode_input")
        st.form_submit_button("Sign in", icon=":material/lock_open:", on_click=_check_passcode)
    refused = st.session_state.pop("teacher_refused", None)
    if refused:
        st.error(refused)
    return False

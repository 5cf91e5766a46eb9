"""Who this browser session is, and whether its tab is still open: from Streamlit's runtime."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


def session_id() -> str:
    """A random id for this browser session: who owns a training run."""
    return st.session_state.setdefault("session_id", uuid.uuid4().hex)


def tab_open() -> Callable[[], bool]:
    """A check, safe from any thread, that this browser tab is still connected to the server.

    Streamlit has no hook for a closed tab; a training job asks this instead. Always true
    where no server runs (AppTest).
    """
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return lambda: True
    runtime, session = Runtime.instance(), context.session_id
    return lambda: runtime.is_active_session(session)

"""A student on the Draw page without a browser: the websocket messages a real Chromium sent,
recorded once, then replayed by lightweight clients, each its own Streamlit session, with other
drawings put in the canvas's place.

Streamlit's protocol is protobuf over one websocket (`/_stcore/stream`): the browser sends a
`BackMsg` asking for a run of the page (with every widget's state: the canvas's is a JSON value
holding the drawing as a PNG data URL) and receives `ForwardMsg`s, one per element drawn.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RECORDING = Path(__file__).with_name("recordings") / "draw_page.json"
CANVAS_KEY = "canvas-0"  # the Draw page's canvas until its first Clear
# The big answer's markup (widgets.big_digit): the one delta a student waits for.
ANSWER_MARK = b'class="big-digit"'
_ANSWER_TEXT = re.compile(r'class="big-digit" style="([^"]*)"[^>]*>([^<]*)</p>')
_SMALL = 200  # bytes: session and run status messages, never an element


@dataclass(frozen=True)
class Recording:
    """What one Chromium sent: opening the Draw page, then one stroke on its canvas."""

    load: str  # base64 BackMsg: the page's first run
    drawing: str  # base64 BackMsg: the rerun a stroke sends, every widget's state with it
    answer: str  # what that browser showed for its stroke

    def save(self, path: Path = RECORDING) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load_from(cls, path: Path = RECORDING) -> Recording:
        return cls(**json.loads(path.read_text()))


def recording_from_frames(frames: list[bytes], answer: str) -> Recording:
    """The page's first run and the last rerun carrying a drawing, from a browser's sent frames."""
    runs = [frame for frame in frames if _parsed(frame).WhichOneof("type") == "rerun_script"]
    drawings = [frame for frame in runs if _canvas_state(_parsed(frame)) is not None]
    if not runs or not drawings:
        raise ValueError("the browser sent no run of the page with a drawing")
    return Recording(_b64(runs[0]), _b64(drawings[-1]), answer)


def load_message(recording: Recording, url: str) -> bytes:
    """The first run of the Draw page, as that browser asked for it, at `url`."""
    message = _parsed(base64.b64decode(recording.load))
    message.rerun_script.context_info.url = f"{url}/Draw"
    return message.SerializeToString()


def drawing_message(
    recording: Recording, url: str, rgba: np.ndarray | None = None, fragment: str | None = None
) -> bytes:
    """The recorded stroke's rerun with `rgba` (280x280 RGBA) as the canvas's drawing instead,
    every other widget as the browser had it; the browser's own drawing when None. `fragment`:
    the id of the fragment holding the canvas, as this session's server named it (None: the
    canvas is in none, and the whole page runs)."""
    message = _parsed(base64.b64decode(recording.drawing))
    message.rerun_script.context_info.url = f"{url}/Draw"
    message.rerun_script.fragment_id = fragment or ""
    if rgba is not None:
        state = _canvas_state(message)
        assert state is not None  # recording_from_frames kept only a run with one
        value = json.loads(state.json_value)
        value["drawing"]["data"] = png_data_url(rgba)
        value["drawing"]["raw"]["objects"] = []  # the strokes are in the PNG: the server reads it
        state.json_value = json.dumps(value)
    return message.SerializeToString()


def png_data_url(rgba: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def answer_in(frame: bytes) -> str | None:
    """The answer a ForwardMsg shows in big (a digit, or that it is none); None for any other
    message. The prompt shown before any drawing ("draw a digit") is muted, and is None too."""
    if ANSWER_MARK not in frame:
        return None
    message = _parsed_forward(frame)
    if message.WhichOneof("type") != "delta":
        return None
    found = _ANSWER_TEXT.search(message.delta.new_element.markdown.body)
    if found is None or "draw a digit" in found.group(2):
        return None
    return found.group(2)


def run_finished(frame: bytes) -> bool:
    return len(frame) < _SMALL and _parsed_forward(frame).WhichOneof("type") == "script_finished"


def canvas_fragment(frame: bytes) -> str | None:
    """The id of the fragment the canvas is drawn in, from the message drawing the canvas."""
    if f"-{CANVAS_KEY}".encode() not in frame:
        return None
    message = _parsed_forward(frame)
    if message.WhichOneof("type") != "delta":
        return None
    element = message.delta.new_element
    if element.WhichOneof("type") != "bidi_component" or not element.bidi_component.id.endswith(
        f"-{CANVAS_KEY}"
    ):
        return None
    return message.delta.fragment_id or None


class Student:
    """One session on the Draw page over its own websocket: open it, then draw and wait."""

    def __init__(self, url: str, recording: Recording) -> None:
        self.url = url
        self.recording = recording
        self.socket = None
        self.fragment: str | None = None

    async def open(self, timeout: float = 60.0) -> None:
        """Connect and run the Draw page once, as a browser opening it does."""
        from websockets.asyncio.client import connect

        address = self.url.replace("http://", "ws://", 1) + "/_stcore/stream"
        # As Chromium: subprotocol "streamlit", permessage-deflate offered (the default).
        self.socket = await connect(
            address, subprotocols=["streamlit"], max_size=None, open_timeout=timeout
        )
        await self.socket.send(load_message(self.recording, self.url))

        def learn_fragment(frame: bytes) -> bool:
            self.fragment = canvas_fragment(frame) or self.fragment
            return run_finished(frame)

        await self._until(learn_fragment, timeout)

    async def draw(self, rgba: np.ndarray | None, timeout: float = 60.0) -> tuple[str, float]:
        """Send a drawing; the answer shown and the seconds from sending to its message."""
        assert self.socket is not None, "open() first"
        start = time.perf_counter()
        await self.socket.send(drawing_message(self.recording, self.url, rgba, self.fragment))
        answer = await self._until(answer_in, timeout)
        seconds = time.perf_counter() - start
        await self._until(run_finished, timeout)  # a student reads the page once it is drawn
        return answer, seconds

    async def _until(self, wanted, timeout: float):
        import asyncio

        async def read():
            while True:
                frame = await self.socket.recv()
                if isinstance(frame, bytes) and (found := wanted(frame)):
                    return found

        return await asyncio.wait_for(read(), timeout)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def _b64(frame: bytes) -> str:
    return base64.b64encode(frame).decode()


def _parsed(frame: bytes) -> BackMsg:
    message = BackMsg()
    message.ParseFromString(frame)
    return message


def _parsed_forward(frame: bytes) -> ForwardMsg:
    message = ForwardMsg()
    message.ParseFromString(frame)
    return message


def _canvas_state(message: BackMsg):
    for widget in message.rerun_script.widget_states.widgets:
        if widget.id.endswith(f"-{CANVAS_KEY}") and widget.WhichOneof("value") == "json_value":
            return widget
    return None

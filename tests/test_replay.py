"""The load benchmark's student: a browser's recorded messages, replayed with other drawings."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.drawn import mnist_on_canvas
from benchmarks.replay import (
    CANVAS_KEY,
    Recording,
    answer_in,
    canvas_fragment,
    drawing_message,
    load_message,
    recording_from_frames,
    run_finished,
)

URL = "http://127.0.0.1:9999"


def parsed(frame: bytes) -> BackMsg:
    message = BackMsg()
    message.ParseFromString(frame)
    return message


def canvas_value(message: BackMsg) -> dict:
    (state,) = [w for w in message.rerun_script.widget_states.widgets if w.id.endswith(CANVAS_KEY)]
    return json.loads(state.json_value)


def test_the_recording_is_a_page_load_and_a_stroke_on_the_canvas():
    recording = Recording.load_from()
    load = parsed(load_message(recording, URL))
    assert load.rerun_script.page_name == "Draw" and load.rerun_script.context_info.url == (
        f"{URL}/Draw"
    )
    drawing = parsed(drawing_message(recording, URL))
    assert canvas_value(drawing)["drawing"]["data"].startswith("data:image/png;base64,")
    assert recording.answer.isdigit()


def test_a_replayed_drawing_is_the_one_given_and_every_other_widget_as_recorded(mnist):
    recording = Recording.load_from()
    own = parsed(drawing_message(recording, URL))
    rgba = mnist_on_canvas(mnist.x_test[0])
    replayed = parsed(drawing_message(recording, URL, rgba, fragment="f00"))
    data = canvas_value(replayed)["drawing"]["data"].split(",", 1)[1]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), rgba)
    others = [w for w in own.rerun_script.widget_states.widgets if not w.id.endswith(CANVAS_KEY)]
    kept = [w for w in replayed.rerun_script.widget_states.widgets if not w.id.endswith(CANVAS_KEY)]
    assert others == kept and others
    assert replayed.rerun_script.fragment_id == "f00"  # the canvas's fragment, as named here
    assert own.rerun_script.fragment_id == ""  # no fragment named: the whole page runs


def test_a_recording_needs_a_run_with_a_drawing():
    recording = Recording.load_from()
    load = base64.b64decode(recording.load)
    with pytest.raises(ValueError, match="no run of the page with a drawing"):
        recording_from_frames([load], "7")
    drawing = base64.b64decode(recording.drawing)
    again = recording_from_frames([load, drawing, drawing], "7")
    assert again.load == recording.load and again.drawing == recording.drawing


def forward(markdown: str = "", fragment: str = "", canvas: str = "") -> bytes:
    message = ForwardMsg()
    if canvas:
        message.delta.new_element.bidi_component.id = canvas
    else:
        message.delta.new_element.markdown.body = markdown
    message.delta.fragment_id = fragment
    return message.SerializeToString()


def test_the_answer_is_read_from_the_big_digit_and_the_prompt_is_not_one():
    digit = '<p class="big-digit" style="font-size:9rem;font-weight:700;">7</p>'
    prompt = '<p class="big-digit" style="color:#5f6b7a;">draw a digit</p>'
    assert answer_in(forward(digit)) == "7"
    assert answer_in(forward(prompt)) is None
    assert answer_in(forward("**Was it right?**")) is None
    finished = ForwardMsg()
    finished.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    assert run_finished(finished.SerializeToString())
    assert not run_finished(forward(digit))


def test_the_canvas_fragment_is_learned_from_the_canvas_element():
    assert canvas_fragment(forward(canvas=f"$$ID-abc-{CANVAS_KEY}", fragment="f1")) == "f1"
    assert canvas_fragment(forward(canvas="$$ID-abc-pen", fragment="f1")) is None
    assert canvas_fragment(forward(markdown=f"-{CANVAS_KEY}", fragment="f1")) is None

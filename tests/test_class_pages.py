"""The room's pages under AppTest: the presenter view, links that hide controls, the Class board
fed by drawings, the teacher's passcode, and fine-tuning on the class."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.drawn import mnist_on_canvas
from digit_studio.handwriting_view import CLASS, drawings_to_learn
from digit_studio.lesson import HIDEABLE, hidden_from
from digit_studio.teacher import PASSCODE_VARIABLE, passcode_matches
from digit_studio.text import plain
from mnist_core.class_board import WallLabel, wall_label
from mnist_core.figures import RIGHT_COLOUR, WRONG_COLOUR, drawing_wall
from mnist_core.samples import Answer

from conftest import canvas_value
from test_pages import page, shown_digit

PASSCODE = "owl-4-maths"


@pytest.fixture(autouse=True)
def no_wrong_passcodes_yet(monkeypatch):
    """The server-wide count of wrong passcodes, empty for each test."""
    from digit_studio import teacher

    monkeypatch.setattr(teacher, "_wrong", teacher.deque(maxlen=teacher.MAX_WRONG))


def draw(at, mnist, index: int, key: str = "canvas-0"):
    at.session_state[key] = canvas_value(mnist_on_canvas(mnist.x_test[index]))
    return at.run()


def markdown_text(at) -> str:
    return " ".join(str(m.value) for m in at.markdown)


def test_a_link_hides_what_a_lesson_leaves_out():
    assert hidden_from("Bars, teach,,nonsense") == {"bars", "teach"}
    assert hidden_from("") == frozenset()
    assert {"mode", "model", "teach", "inside", "bars", "join"} <= HIDEABLE.keys()


def test_the_presenter_view_is_the_canvas_and_a_big_answer(store, stored_model, mnist):
    at = page("app_pages/draw.py")
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert not at.title  # no page title, no settings: what the class should see
    assert not at.selectbox and not at.slider and not at.radio
    assert at.button(key="present-clear").label == "Clear"
    draw(at, mnist, 0)
    assert not at.exception
    assert "font-size:13rem" in markdown_text(at) and shown_digit(at) != "none"
    assert len(at.get("plotly_chart")) == 1
    at.button(key="present-clear").click().run()
    assert at.session_state["canvas_generation"] == 1 and shown_digit(at) == "none"


def test_the_presenter_view_can_be_left_and_started_again(store, stored_model):
    at = page("app_pages/draw.py").run()
    at.button(key="present").click().run()
    assert at.query_params["present"] == "1" and not at.title
    next(b for b in at.button if b.label == "Leave the presenter view").click().run()
    assert "present" not in at.query_params and at.title[0].value == "Draw a digit"


def test_a_lesson_link_hides_controls(store, stored_model, samples, mnist):
    at = page("app_pages/draw.py")
    at.query_params["hide"] = "model,pen,teach,inside,bars,mode"
    at.run()
    draw(at, mnist, 0)
    assert not at.exception and shown_digit(at) != "none"
    assert not at.selectbox and not at.slider and not at.radio and not at.expander
    assert not at.get("plotly_chart") and not at.get("button_group")
    assert at.text_input[0].label == "Your name (optional)"  # not hidden: still there


def test_every_drawing_goes_on_the_class_board(store, stored_model, samples, mnist):
    at = page("app_pages/draw.py").run()
    at.text_input[0].set_value("ada")
    draw(at, mnist, 0)
    said = int(shown_digit(at))
    (first,) = samples.class_answers()
    at.run()  # a rerun of the same drawing does not write it again
    assert samples.class_answers()[0].updated == first.updated
    next(b for b in at.button if b.label == f"Yes, it's a {said}").click().run()
    draw(at, mnist, 1, key="canvas-1")
    answers = samples.class_answers()
    assert [(a.writer, a.drawing, a.truth) for a in answers] == [("ada", 1, None), ("ada", 0, said)]
    assert answers[1].predicted == said and answers[1].model == stored_model

    board = page("app_pages/board.py").run()
    assert not board.exception
    assert [m.value for m in board.metric][:2] == ["2", "1"]
    (wall,) = board.get("image")  # the wall: one picture for every watcher
    assert wall.proto.imgs[0].caption.startswith("Newest first")
    assert "Name" in board.table[0].value.columns.tolist()


def test_a_drawing_wiped_by_the_canvas_toolbar_is_a_new_one_on_the_board(
    store, stored_model, samples, mnist
):
    at = page("app_pages/draw.py").run()
    draw(at, mnist, 0)
    at.session_state["canvas-0"] = canvas_value(np.zeros((280, 280, 4), np.uint8))  # its bin
    at.run()
    draw(at, mnist, 1)
    assert not at.exception
    assert [a.drawing for a in samples.class_answers()] == [1, 0]


def test_the_board_says_what_the_network_misreads(store, stored_model, samples, mnist):
    name = "[ada](http://e.vil) **bold**"  # a name is shown as typed, never as Markdown
    for drawing in range(3):
        samples.record_answer("s", drawing, mnist.x_test[drawing], 1, True, 0.9, writer=name)
        samples.set_truth("s", drawing, 7)
    at = page("app_pages/board.py").run()
    assert not at.exception
    assert "The network reads our 7s as 1s (3 times)." in markdown_text(at)
    assert len(at.get("plotly_chart")) == 1
    assert at.table[0].value["Name"].tolist() == [plain(name)]


def teacher_board(monkeypatch, passcode: str | None = PASSCODE):
    if passcode is None:
        monkeypatch.delenv(PASSCODE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(PASSCODE_VARIABLE, passcode)
    return page("app_pages/board.py").run()


def teacher_actions_offered(at) -> bool:
    return any(t.label == "Hide the board from students" for t in at.toggle)


def test_without_a_passcode_no_teacher_actions_are_offered(store, samples, monkeypatch):
    at = teacher_board(monkeypatch, passcode=None)
    assert not at.exception and not teacher_actions_offered(at)
    assert not [t for t in at.text_input if t.key == "teacher_passcode_input"]
    assert any(PASSCODE_VARIABLE in c.value for c in at.caption)


def submit(at, typed: str):
    at.text_input(key="teacher_passcode_input").input(typed)
    at.get("form_submit_button")[0].click()  # a FormSubmitButton has click()
    return at.run()


def test_a_wrong_passcode_gets_nothing(store, samples, monkeypatch):
    at = submit(teacher_board(monkeypatch), "owl-4-math")
    assert not at.exception and not teacher_actions_offered(at)
    assert at.error[0].value == "That is not the passcode."
    assert at.session_state["teacher_passcode_input"] == ""  # what was typed is not kept


def test_the_teacher_hides_the_board_exports_and_clears_the_class(
    store, samples, monkeypatch, mnist
):
    samples.record_answer("s", 0, mnist.x_test[0], 7, True, 0.99, writer="ada")
    samples.set_truth("s", 0, 7)
    student = page("app_pages/board.py").run()
    assert student.get("image")  # watching before the teacher hides it
    at = submit(teacher_board(monkeypatch), PASSCODE)
    assert not at.exception and teacher_actions_offered(at)
    assert "teacher_passcode_input" not in at.session_state  # signed in: no field, no text

    at.toggle(key="hide-board").set_value(True).run()
    student.run()
    assert "hidden" in student.info[0].value and not student.get("image")
    assert at.get("image")  # the teacher still sees it

    exports = {b.proto.label: b for b in at.get("download_button")}
    assert set(exports) == {"Export drawings (.npz)", "Export answers (.csv)"}
    at.button(key="clear-class").click().run()
    assert not at.exception and samples.class_answers() == []
    assert "Cleared 1 answer:" in at.success[0].value


def test_a_passcode_in_a_link_is_ignored_and_removed(store, samples, monkeypatch):
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    at = page("app_pages/board.py")
    at.query_params["passcode"] = PASSCODE
    at.run()
    assert not at.exception and not teacher_actions_offered(at)
    assert "passcode" not in at.query_params
    assert "A passcode in a link is ignored" in at.warning[0].value


def test_wrong_passcodes_pause_the_tries_for_everyone(monkeypatch):
    from digit_studio import teacher

    for second in range(teacher.MAX_WRONG):
        assert teacher.try_passcode("guess", PASSCODE, now=float(second)) is False
    assert teacher.try_passcode(PASSCODE, PASSCODE, now=10.0) is None  # not even compared
    assert teacher.seconds_until_next_try(now=10.0) == teacher.WRONG_WINDOW_SECONDS - 10
    assert teacher.try_passcode(PASSCODE, PASSCODE, now=61.0) is True


def test_passcodes_compare_whole():
    assert passcode_matches(PASSCODE, PASSCODE)
    assert not passcode_matches(PASSCODE[:-1], PASSCODE)
    assert not passcode_matches("", PASSCODE)
    assert passcode_matches("évé", "évé")  # not only ASCII: compared as UTF-8 bytes


def test_fine_tuning_on_the_class_learns_its_checked_drawings(samples, mnist):
    samples.add_many(mnist.x_test[:5], mnist.y_test[:5], writer="ada")
    for drawing in range(4):
        samples.record_answer("s", drawing, mnist.x_test[drawing], 3, True, 0.5)
    samples.set_truth("s", 1, 9)
    samples.set_truth("s", 2, 4)
    images, labels = drawings_to_learn(samples, CLASS)
    assert sorted(labels.tolist()) == [4, 9] and images.shape == (2, 28, 28)
    assert len(drawings_to_learn(samples, "ada")[1]) == 5


@pytest.mark.parametrize("writer", ["class", "Source.CLASS"])
def test_a_writer_named_like_the_class_is_still_a_writer(samples, mnist, writer):
    samples.add_many(mnist.x_test[:3], mnist.y_test[:3], writer=writer)
    assert np.array_equal(drawings_to_learn(samples, writer)[1], mnist.y_test[:3])


def test_answers_are_labelled_on_the_wall():
    image = np.zeros((28, 28), np.uint8)
    answer = Answer(1, 0.0, 0.0, "s", 0, "", None, 7, True, 0.9, None, image)
    assert wall_label(answer) == WallLabel("", "said 7", None)
    wrong = Answer(2, 0.0, 0.0, "s", 1, "ada", None, 1, True, 0.9, 7, image)
    assert wall_label(wrong) == WallLabel("ada", "said 1, was 7", False)
    rejected = Answer(3, 0.0, 0.0, "s", 2, "", None, 4, False, 0.3, 4, image)
    assert wall_label(rejected) == WallLabel("", "said not a digit, was 4", False)
    right = Answer(4, 0.0, 0.0, "s", 3, "", None, 4, True, 0.9, 4, image)
    assert wall_label(right) == WallLabel("", "4, right", True)


def test_the_wall_is_one_picture_coloured_by_the_truth():
    ink = np.full((28, 28), 255, np.uint8)
    labels = [WallLabel("ada", "7, right", True), WallLabel("", "said 1, was 7", False)]
    wall = drawing_wall([ink, ink], labels, columns=2)
    assert wall.shape == (162, 244, 3)  # two 112-pixel tiles, each with its two lines
    assert (wall[:112, :112] == 255).all()  # the drawing, white on black
    text = wall[112:162]
    assert (text == RIGHT_COLOUR).all(axis=-1)[:, :122].any()  # under the first: green
    assert (text == WRONG_COLOUR).all(axis=-1)[:, 122:].any()  # under the second: red

"""Learning by looking, under AppTest: models side by side on the Draw page, and the Learn
page's convolution, portraits and fooled drawing."""

from __future__ import annotations

import re
import threading

import numpy as np
import plotly.io

from benchmarks.drawn import mnist_on_canvas
from digit_studio import resources
from digit_studio.widgets import NOT_A_DIGIT
from mnist_core.adversarial import fool
from mnist_core.convolution import convolution_walk, first_convolution
from mnist_core.predict import load_classifier

from conftest import canvas_value, chart_array
from test_pages import ROOT, page


def big_answers(at) -> list[str]:
    text = " ".join(str(m.value) for m in at.markdown)
    return re.findall(r"class=\"big-digit\" style=\"[^\"]*\">([^<]*)<", text)


def test_the_same_drawing_through_several_models_side_by_side(
    store, stored_model, weaker_training, mnist
):
    store.save("weaker", weaker_training.model, weaker_training.model_info(0.5))
    at = page("app_pages/draw.py").run()
    drawing = mnist_on_canvas(mnist.x_test[8])
    at.session_state["canvas-0"] = canvas_value(drawing)
    at.session_state["side-by-side"] = True
    at.run()
    assert not at.exception
    # One model per architecture at first: here both are perceptrons.
    assert at.multiselect(key="compared").value == [stored_model]
    at.multiselect(key="compared").set_value([stored_model, "weaker"]).run()
    assert not at.exception
    expected = [
        load_classifier(name, store).classify(drawing, canvas=True)
        for name in (stored_model, "weaker")
    ]
    answers = big_answers(at)[-2:]  # after the main answer and its compact copy
    assert answers == [str(p.label) if p.is_digit else NOT_A_DIGIT for p in expected]
    timing = next(c.value for c in at.caption if "models answered in" in c.value)
    assert re.fullmatch(r"2 models answered in \d+ ms of this server's time: .*", timing)
    bars = [
        chart for chart in at.get("plotly_chart") if chart.key and chart.key.startswith("compared-")
    ]
    assert len(bars) == 2
    for chart, prediction in zip(bars, expected, strict=True):
        shown = chart_array(plotly.io.from_json(chart.proto.spec).data[0].y)
        assert np.allclose(shown, prediction.probabilities * 100, atol=0.01)


def test_the_shipped_models_are_compared_simplest_first(monkeypatch, mnist):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.session_state["side-by-side"] = True
    at.run()
    assert not at.exception
    assert at.multiselect(key="compared").value == ["perceptron", "mlp", "cnn-default"]
    assert big_answers(at)[-3:] == ["7", "7", "7"]


def learn_page(monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    return page("app_pages/learn.py").run()


def test_a_convolution_step_by_step_on_an_example_and_on_a_drawing(monkeypatch, mnist):
    at = learn_page(monkeypatch)
    assert not at.exception
    position = at.slider(key="conv_position")
    # Counted from 1: the middle of the 28 x 28 map, where the ink is.
    assert position.value == 14 * 28 + 14 + 1
    at.button(key="conv-step").click().run()
    assert at.slider(key="conv_position").value == 14 * 28 + 15 + 1
    at.button(key="conv-row").click().run()
    assert at.slider(key="conv_position").value == 15 * 28 + 15 + 1
    multiply_add = next(m.value for m in at.markdown if "(sum of the 9 products)" in m.value)
    # The total shown is the network's own number: the output map's cell at that position.
    classifier = load_classifier(store=ROOT / "models")
    image = mnist.x_test[mnist.y_test == 4][0] / 255.0
    walk = convolution_walk(first_convolution(classifier.model), image, 0)
    assert multiply_add.endswith(f"= {walk.output[15, 15]:.2f}</p>")
    assert any(c.value.startswith("Pooling: each 2 × 2 square") for c in at.caption)

    at.session_state["learn-canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert any(c.value.startswith("Your drawing, as the network sees it") for c in at.caption)
    at.toggle(key="conv_animate").set_value(True).run()
    assert not at.exception
    assert any(chart.key == "conv-animation" for chart in at.get("plotly_chart"))
    timing = next(c.value for c in at.caption if "of server time" in c.value)
    assert re.fullmatch(r"This view took \d+ ms of server time\.", timing)


def test_a_network_without_convolutions_says_why(monkeypatch):
    at = learn_page(monkeypatch)
    at.selectbox[0].set_value("perceptron").run()
    assert not at.exception
    assert "no filters that slide over the picture" in at.info[0].value


def test_the_example_digit_is_fooled_and_the_guard_says_so(monkeypatch, mnist):
    at = learn_page(monkeypatch)
    at.segmented_control(key="learn_look").set_value("Fool the network").run()
    assert not at.exception
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert "It reads 4" in captions
    fooled = next(text for text in captions if text.startswith("After the change it reads"))
    assert not fooled.startswith("After the change it reads 4")
    assert any("This is an adversarial example" in m.value for m in at.markdown)
    classifier = load_classifier(store=ROOT / "models")
    expected = fool(classifier, mnist.x_test[mnist.y_test == 4][0] / 255.0)
    guard = next(c.value for c in at.caption if "not-a-digit guard" in c.value)
    assert ("is fooled too" in guard) == expected.is_digit
    at.pills(key="fool_target").set_value(4).run()  # what it reads already
    assert "already reads a 4" in at.info[0].value
    at.pills(key="fool_target").set_value(9).run()
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert any(text.startswith("After the change it reads 9") for text in captions)


def test_what_the_network_thinks_each_digit_looks_like_is_painted_on_demand(monkeypatch):
    at = learn_page(monkeypatch)
    at.segmented_control(key="learn_look").set_value("What it thinks digits look like").run()
    assert not at.exception
    assert len(at.get("image")) == 1  # only the example digit until asked
    at.button(key="paint").click().run()
    assert not at.exception
    captions = [image.proto.imgs[0].caption for image in at.get("image")][1:]
    shown = sorted(captions, key=lambda text: int(text.split(":")[0]))
    assert [text.split(":")[0] for text in shown] == [str(digit) for digit in range(10)]
    assert all(int(text.split(": ")[1].split("%")[0]) >= 90 for text in shown)
    timing = next(c.value for c in at.caption if c.value.startswith("Painted in"))
    assert re.match(r"Painted in \d+\.\d s of this server's time", timing)
    first = [image.proto.imgs[0].url for image in at.get("image")][1:]
    at.button(key="paint-again").click().run()
    assert at.session_state["portrait_seed"] == 1
    assert [image.proto.imgs[0].url for image in at.get("image")][1:] != first


def test_the_compared_models_are_kept_while_the_section_is_folded(monkeypatch, mnist):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.session_state["side-by-side"] = True
    at.run()
    at.multiselect(key="compared").set_value(["mlp"]).run()
    at.session_state["side-by-side"] = False
    at.run()
    at.session_state["side-by-side"] = True
    at.run()
    assert at.multiselect(key="compared").value == ["mlp"]


def test_clearing_the_learn_canvas_leaves_the_draw_canvas(monkeypatch, mnist):
    at = learn_page(monkeypatch)
    at.session_state["learn-canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert any(c.value.startswith("Your drawing") for c in at.caption)
    at.button(key="learn-clear").click().run()
    assert not at.exception
    assert not any(c.value.startswith("Your drawing") for c in at.caption)
    assert "canvas_generation" not in at.session_state  # the Draw page's counter, untouched
    assert "board_drawing" not in at.session_state


def test_the_portrait_painter_is_traced_while_the_page_offers_to_paint(store, stored_model):
    at = page("app_pages/learn.py").run()
    at.segmented_control(key="learn_look").set_value("What it thinks digits look like").run()
    assert not at.exception
    for thread in threading.enumerate():
        if thread.name == f"warm-portraits-{stored_model}":
            thread.join(timeout=60)
    info = store.info(stored_model)
    traced = resources._portrait_painter(info.name, info.file)._optimize
    assert traced.experimental_get_tracing_count() == 1  # before anyone asked for portraits
    at.button(key="paint").click().run()
    assert not at.exception
    assert traced.experimental_get_tracing_count() == 1  # the click painted with that trace

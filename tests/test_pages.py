"""Every page under streamlit.testing.v1.AppTest, against a temporary model store."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_core.drawn import mnist_on_canvas

from conftest import png_bytes

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds per run: the first import of TensorFlow alone takes several


def page(path: str) -> AppTest:
    """A page of the multipage app, entered through app.py as a browser would."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    return app if path == "app.py" else app.switch_page(path)


def canvas_value(rgba: np.ndarray) -> dict:
    """What the canvas component sends back: the drawing as a PNG data URL."""
    encoded = base64.b64encode(png_bytes(rgba)).decode()
    return {
        "drawing": {
            "raw": {"objects": [], "background": ""},
            "data": f"data:image/png;base64,{encoded}",
        },
        "backgroundFit": None,
    }


def shown_digit(at: AppTest) -> str:
    text = " ".join(str(m.value) for m in at.markdown)
    found = re.search(r"class=\"big-digit\" style=\"[^\"]*\">(\d)<", text)
    return found.group(1) if found else "none"


def test_home_page(store, stored_model):
    at = page("app.py").run()
    assert not at.exception
    assert "Digit Studio" in at.title[0].value
    assert any(stored_model in info.value for info in at.info)


def test_draw_page_recognizes_real_mnist_digits(store, stored_model, mnist):
    at = page("pages/1_Draw.py").run()
    assert not at.exception
    assert "draw a digit" in " ".join(str(m.value) for m in at.markdown)
    assert at.slider(key="pen_width").value == 22
    assert at.selectbox[0].value == stored_model

    correct = 0
    for index in range(10):
        at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[index]))
        at.run()
        assert not at.exception
        correct += shown_digit(at) == str(mnist.y_test[index])
    assert correct >= 7  # the quick test model is a one-epoch perceptron
    assert len(at.get("plotly_chart")) == 1 and len(at.get("image")) == 1


def test_draw_page_clear_gives_a_fresh_canvas(store, stored_model, mnist):
    at = page("pages/1_Draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert shown_digit(at) != "none"
    at.button[0].click().run()
    assert at.session_state["canvas_generation"] == 1
    assert shown_digit(at) == "none"


def test_draw_page_with_an_empty_store(store):
    at = page("pages/1_Draw.py").run()
    assert not at.exception
    assert "no model yet" in at.warning[0].value


def test_upload_page_classifies_good_files_and_reports_bad_ones(store, stored_model, mnist):
    at = page("pages/3_Upload.py").run()
    assert not at.exception
    paper = 255 - np.asarray(Image.fromarray(mnist.x_test[1]).resize((300, 300)))  # dark on light
    at.file_uploader[0].set_value(
        [
            ("seven.png", png_bytes(mnist.x_test[0]), "image/png"),
            ("broken.png", b"\x89PNG but not really", "image/png"),
            ("photo.jpg", png_bytes(paper, format="JPEG"), "image/jpeg"),
        ]
    ).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("**broken.png**:")
    headings = [m.value for m in at.markdown if m.value.startswith("### ") and ": **" in m.value]
    assert headings[0].startswith("### seven.png: **7**")
    assert headings[1].startswith(f"### photo.jpg: **{mnist.y_test[1]}**")
    assert len(at.get("plotly_chart")) == 2


def test_evaluate_page_shows_the_confusion_matrix(store, stored_model):
    at = page("pages/4_Evaluate.py").run()
    assert not at.exception
    assert at.metric[0].label == "Test accuracy"
    assert len(at.get("plotly_chart")) == 2
    assert "Confusion matrix" in [h.value for h in at.subheader]


def test_models_page_sets_default_and_deletes(store, stored_model, quick_training):
    store.save("second", quick_training.model, quick_training.model_info(0.8))
    at = page("pages/5_Models.py").run()
    assert not at.exception
    assert len(at.dataframe) == 1
    at.selectbox[0].set_value("second").run()
    next(b for b in at.button if b.label == "Make default").click().run()
    assert store.default_name() == "second"
    next(b for b in at.button if b.label == "Delete…").click().run()
    assert "for good" in at.warning[0].value
    next(b for b in at.button if b.label == "Yes, delete it").click().run()
    assert [info.name for info in store.list_models()] == [stored_model]


def test_train_page_trains_shows_charts_and_saves(store, monkeypatch):
    at = page("pages/2_Train.py").run()
    assert not at.exception
    at.selectbox[0].set_value("perceptron")
    at.radio[0].set_value("quick")
    at.run()
    next(b for b in at.button if b.label == "Start").click().run()
    job = at.session_state["training_job"]
    job.join(timeout=120)
    at.run()
    assert not at.exception
    assert at.get("plotly_chart")
    assert "test digits recognized" in at.success[0].value
    at.text_input[0].set_value("trained-here")
    at.checkbox[0].check()
    at.button(key="FormSubmitter:save-Save").click().run()
    assert store.default_name() == "trained-here"
    assert any("trained-here" in info.value for info in at.info)


def test_training_goes_on_across_pages_and_other_sessions_are_told(store, small_mnist):
    at = page("pages/2_Train.py").run()
    at.selectbox[0].set_value("mlp")
    at.radio[0].set_value("quick")
    at.run()
    next(b for b in at.button if b.label == "Start").click().run()
    job = at.session_state["training_job"]

    other = page("pages/2_Train.py").run()  # another browser, same server
    assert any("busy training a model for someone else" in w.value for w in other.warning)
    assert next(b for b in other.button if b.label == "Start").disabled

    at.switch_page("pages/1_Draw.py").run()
    assert not at.exception
    at.switch_page("pages/2_Train.py").run()
    assert at.session_state["training_job"] is job
    assert next(b for b in at.button if b.label == "Start").disabled or job.done
    job.join(timeout=120)
    at.run()
    assert "test digits recognized" in at.success[0].value
    other.run()
    assert not other.warning and not next(b for b in other.button if b.label == "Start").disabled


def test_train_page_reads_its_settings_from_the_link(store):
    at = page("pages/2_Train.py")
    at.query_params.update({"arch": "perceptron", "epochs": "2", "train": "2000", "val": "1000"})
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == "perceptron"
    assert at.radio[0].value == "quick"
    assert at.slider[0].value == 2
    bad = page("pages/2_Train.py")
    bad.query_params["epochs"] = "lots"
    bad.run()
    assert "not a valid value" in bad.warning[0].value


def test_draw_page_opens_the_inside_of_the_network(store, stored_model, mnist):
    at = page("pages/1_Draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert len(at.get("image")) == 1  # closed: nothing computed
    at.session_state["inside"] = True
    at.run()
    assert not at.exception
    assert len(at.get("image")) == 3  # the seen digit, the saliency, the first-layer weights
    control = at.get("button_group")[0]
    assert control.value == int(shown_digit(at))
    control.set_value(3).run()
    assert not at.exception

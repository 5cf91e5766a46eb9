"""Every page under streamlit.testing.v1.AppTest, against a temporary model store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_shipped_model import NON_DIGITS

from benchmarks.drawn import mnist_on_canvas
from digit_studio.text import plain
from digit_studio.train_settings import config_to_query
from digit_studio.widgets import NOT_A_DIGIT
from mnist_core.calibrate import Calibration
from mnist_core.config import PRESETS
from mnist_core.figures import MUTED

from conftest import canvas_value, png_bytes

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds per run: the first import of TensorFlow alone takes several


def page(path: str) -> AppTest:
    """A page of the multipage app (its file, "app_pages/draw.py"), entered through app.py as a
    browser would; not yet run.

    AppTest finds a page by its file only once st.navigation has registered the pages, so the
    Home page runs first; "app.py" is the Home page as a visitor first sees it.
    """
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    return app if path == "app.py" else app.run().switch_page(path)


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
    at = page("app_pages/draw.py").run()
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
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert shown_digit(at) != "none"
    at.button(key="clear").click().run()
    assert at.session_state["canvas_generation"] == 1
    assert shown_digit(at) == "none"


def test_draw_page_with_an_empty_store(store):
    at = page("app_pages/draw.py").run()
    assert not at.exception
    assert "no model yet" in at.warning[0].value


def test_upload_page_classifies_good_files_and_reports_bad_ones(store, stored_model, mnist):
    at = page("app_pages/upload.py").run()
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
    assert len(at.error) == 1 and at.error[0].value.startswith(f"**{plain('broken.png')}**:")
    headings = [m.value for m in at.markdown if m.value.startswith("### ") and ": **" in m.value]
    assert headings[0] == f"### {plain('seven.png')}: **7**"
    assert headings[1] == f"### {plain('photo.jpg')}: **{mnist.y_test[1]}**"
    assert any(c.value.endswith("% sure") for c in at.caption)
    assert len(at.get("plotly_chart")) == 2


def test_evaluate_page_shows_the_confusion_matrix(store, stored_model):
    at = page("app_pages/evaluate.py").run()
    assert not at.exception
    assert at.metric[0].label == "Test accuracy"
    assert len(at.get("plotly_chart")) == 3  # confusion, per digit, reliability
    assert "Confusion matrix" in [h.value for h in at.subheader]
    assert any("not taught non-digits" in c.value for c in at.caption)


def test_evaluate_page_shows_how_honest_the_shipped_model_is(monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    at = page("app_pages/evaluate.py").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[2].proto.spec)
    ece = re.search(r"expected calibration error (\d+\.\d)%", figure["layout"]["title"]["text"])
    assert ece is not None and float(ece.group(1)) <= 2.0
    taken = next(m for m in at.metric if m.label == "Test digits taken for non-digits")
    assert float(taken.value.rstrip("%")) <= 0.5


def test_the_draw_page_says_when_a_model_rejects_few_non_digits(store, quick_training):
    weak = Calibration(1.0, 0.3, non_digits_rejected=0.12)
    store.save("weak", quick_training.model, quick_training.model_info(0.9, calibration=weak))
    at = page("app_pages/draw.py").run()
    assert not at.exception
    assert any("turns away only 12% of the non-digits" in c.value for c in at.caption)


def test_draw_and_upload_pages_say_when_it_is_not_a_digit(monkeypatch):
    """With the shipped model, which rejects non-digits: the muted answer and best guesses."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(NON_DIGITS["smiley"])
    at.run()
    assert not at.exception
    text = " ".join(str(m.value) for m in at.markdown)
    assert NOT_A_DIGIT in text and shown_digit(at) == "none"
    assert re.search(r"Best guesses: \d \(\d+%\) or \d \(\d+%\)\. It only knows 0 to 9", text)
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["marker"]["color"]
    assert set(bars) == {MUTED}  # no digit highlighted as the answer

    at = page("app_pages/upload.py").run()
    noise = NON_DIGITS["noise"]
    at.file_uploader[0].set_value([("noise.png", png_bytes(noise), "image/png")]).run()
    assert not at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headings == [f"### {plain('noise.png')}: {NOT_A_DIGIT}"]


def test_models_page_sets_default_and_deletes(store, stored_model, quick_training):
    store.save("second", quick_training.model, quick_training.model_info(0.8))
    at = page("app_pages/models.py").run()
    assert not at.exception
    assert len(at.dataframe) == 1
    at.selectbox[0].set_value("second").run()
    next(b for b in at.button if b.label == "Make default").click().run()
    assert store.default_name() == "second"
    next(b for b in at.button if b.label == "Delete…").click().run()
    assert "for good" in at.warning[0].value
    next(b for b in at.button if b.label == "Yes, delete it").click().run()
    assert [info.name for info in store.list_models()] == [stored_model]


SMALL = {"arch": "perceptron", "train": "2000", "val": "1000", "epochs": "2", "patience": "none"}


def test_train_page_opens_on_the_demo(store):
    at = page("app_pages/train.py").run()
    assert not at.exception
    assert at.radio[0].value == "demo" and at.selectbox[0].value == "cnn-fast"


def test_train_page_trains_shows_charts_and_saves(store, monkeypatch):
    at = page("app_pages/train.py")
    at.query_params.update(SMALL)
    at.run()
    assert not at.exception and at.radio[0].value == "custom"
    next(b for b in at.button if b.label == "Start").click().run()
    job = at.session_state["training_job"]
    job.join(timeout=120)
    at.run()
    assert not at.exception
    assert at.get("plotly_chart")
    assert "test digits recognized" in at.success[0].value
    at.text_input[0].set_value("trained-here")
    at.checkbox[0].check()
    at.button(key="FormSubmitter:save-training_job-saved-as-Save").click().run()
    assert store.default_name() == "trained-here"
    assert any("trained-here" in info.value for info in at.info)


def test_training_goes_on_across_pages_and_other_sessions_watch_and_queue(store, small_mnist):
    at = page("app_pages/train.py")
    at.query_params.update({**SMALL, "arch": "mlp", "epochs": "5"})
    at.run()
    next(b for b in at.button if b.label == "Start").click().run()
    job = at.session_state["training_job"]

    other = page("app_pages/train.py").run()  # another browser, same server
    assert any("training a model for someone else" in i.value for i in other.info)
    assert any("for someone else" in h.value for h in other.subheader)  # watching it live
    assert not next(b for b in other.button if b.label == "Start").disabled  # it queues

    at.switch_page("app_pages/draw.py").run()
    assert not at.exception
    at.switch_page("app_pages/train.py").run()
    assert at.session_state["training_job"] is job
    assert next(b for b in at.button if b.label == "Start").disabled or job.done
    job.join(timeout=120)
    at.run()
    assert "test digits recognized" in at.success[0].value
    other.run()
    assert not any("someone else" in i.value for i in other.info)
    assert not next(b for b in other.button if b.label == "Start").disabled


def test_a_race_trains_three_networks_and_shows_them_on_one_chart(store):
    at = page("app_pages/train.py")
    at.query_params.update(SMALL)
    at.run()
    next(b for b in at.button if b.label.startswith("Race perceptron, mlp, cnn-fast")).click()
    at.run()
    jobs = at.session_state["race"]
    assert [job.task.architecture for job in jobs] == ["perceptron", "mlp", "cnn-fast"]
    assert {job.task.train_size for job in jobs} == {2000}  # the same images
    jobs[-1].join(timeout=300)
    at.run()
    assert not at.exception
    results = at.table[-1].value
    assert list(results["network"]) == ["perceptron", "mlp", "cnn-fast"]
    assert all(value.endswith("%") for value in results["test accuracy"])
    assert at.get("plotly_chart")


def test_train_page_reads_its_settings_from_the_link(store):
    at = page("app_pages/train.py")
    at.query_params.update({"arch": "perceptron", "epochs": "2", "train": "2000", "val": "1000"})
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == "perceptron"
    assert at.radio[0].value == "custom"
    assert [n.value for n in at.number_input[:2]] == [2000, 1000] and at.slider[0].value == 2
    demo = page("app_pages/train.py")
    demo.query_params.update(config_to_query(PRESETS["demo"].config(epochs=3)))
    demo.run()
    assert demo.radio[0].value == "demo" and demo.slider[0].value == 3
    for query, message in [("lots", "not a valid value"), ("100", "not between 1 and 30")]:
        bad = page("app_pages/train.py")
        bad.query_params["epochs"] = query
        bad.run()
        assert not bad.exception
        assert message in bad.warning[0].value


def test_draw_page_opens_the_inside_of_the_network(store, stored_model, mnist):
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    assert len(at.get("image")) == 1  # closed: nothing computed
    at.session_state["inside"] = True
    at.run()
    assert not at.exception
    assert len(at.get("image")) == 3  # the seen digit, the saliency, the first-layer weights
    control = next(group for group in at.get("button_group") if group.key is None)
    assert control.value == int(shown_digit(at))
    control.set_value(3).run()
    assert not at.exception


def test_draw_page_saves_confirmed_and_corrected_drawings(store, stored_model, samples, mnist):
    at = page("app_pages/draw.py").run()
    at.text_input[0].set_value("ada")
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    said = int(shown_digit(at))
    next(b for b in at.button if b.label == f"Yes, it's a {said}").click().run()
    assert not at.exception
    assert [toast.value for toast in at.toast] == [f"Saved as a {said}."]
    assert at.session_state["canvas_generation"] == 1  # a fresh canvas for the next digit
    (sample,) = samples.samples()
    assert (sample.label, sample.predicted, sample.model, sample.writer) == (
        said, said, stored_model, "ada",
    )  # fmt: skip
    assert sample.image.max() > 200 and sample.drawing_png.startswith(b"\x89PNG")

    at.session_state["canvas-1"] = canvas_value(mnist_on_canvas(mnist.x_test[1]))
    at.run()
    said = int(shown_digit(at))
    other = (said + 1) % 10
    at.pills(key="fix-1").set_value(other).run()
    assert not at.exception
    assert [(s.label, s.predicted) for s in samples.samples()][1] == (other, said)
    assert at.session_state["canvas_generation"] == 2


def test_draw_page_reads_a_whole_number(store, stored_model, mnist):
    import numpy as np

    from benchmarks.drawn import written_number

    at = page("app_pages/draw.py").run()
    at.radio(key="draw_mode").set_value("A whole number").run()
    digits = [mnist.x_test[i] for i in (1, 2, 0)]  # 2, 1, 7
    number = written_number(digits, "217", np.random.default_rng(3))
    at.session_state["number-0"] = canvas_value(number.image)
    at.run()
    assert not at.exception
    text = " ".join(str(m.value) for m in at.markdown)
    found = re.search(r"class=\"big-digit\" style=\"[^\"]*\">(\d+)<", text)
    assert found is not None and len(found.group(1)) == 3
    assert len(at.get("plotly_chart")) == 3  # one probability chart per digit
    assert len(at.get("image")) == 4  # the boxes, and what each digit looks like to the model


def test_my_handwriting_page_shows_deletes_and_fine_tunes(store, stored_model, samples, mnist):
    at = page("app_pages/my_handwriting.py").run()
    assert not at.exception
    assert "No drawings yet" in at.info[0].value
    samples.add_many(mnist.x_test[:30], mnist.y_test[:30], writer="ada")
    at.run()
    assert not at.exception
    assert "30 drawings" in at.subheader[0].value
    newest = samples.samples()[-1]
    at.button(key=f"delete-{newest.id}").click().run()
    assert samples.counts().sum() == 29

    at.selectbox[0].set_value("ada").run()
    next(b for b in at.button if b.label == "Fine-tune").click().run()
    assert not at.exception
    job = at.session_state["finetune_job"]
    job.join(timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert "test digits recognized" in at.success[0].value
    table = at.table[0].value
    assert list(table["accuracy on"]) == ["your held-out drawings", "MNIST's 10,000 test digits"]
    next(t for t in at.text_input if t.label == "Name").set_value("quick-mine")
    at.button(key="FormSubmitter:save-finetune_job-saved-as-Save").click().run()
    info = store.info("quick-mine")
    assert info.hyperparameters["fine_tuned_from"] == stored_model
    assert info.hyperparameters["personal_samples"] == 29


def test_my_handwriting_page_imports_a_file_and_shows_it(store, stored_model, samples, mnist):
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, x=mnist.x_test[:12], y=mnist.y_test[:12])
    at = page("app_pages/my_handwriting.py").run()
    at.get("file_uploader")[0].set_value(("theirs.npz", buffer.getvalue(), "application/zip"))
    at.text_input[0].set_value("bob")
    at.button(key="FormSubmitter:import-Import").click().run()
    assert not at.exception
    assert samples.counts("bob").sum() == 12
    assert plain("Added 12 drawings from theirs.npz") in at.success[0].value
    assert "12 drawings" in at.subheader[0].value  # the page was drawn again with them


def test_a_drawing_leaves_the_models_compiled(store, stored_model, mnist, monkeypatch):
    """Streamlit calls keras' clear_session after each run, which empties TensorFlow's kernel
    cache: every answer then compiled the model's graph again (~35 ms of CPU where the call
    takes ~2). The app turns that off once a model is loaded."""
    import keras

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    at = page("app_pages/draw.py").run()  # loads the model
    cleared.clear()
    for index in range(3):
        at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[index]))
        at.run()
        assert shown_digit(at) == str(mnist.y_test[index])
    assert not at.exception
    assert cleared == []

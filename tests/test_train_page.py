"""The Train page and home page against crafted links, hostile names and a result not yet saved."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import weakref
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from digit_studio import training_jobs, training_view
from digit_studio.training_jobs import TrainingJob
from mnist_core.config import TrainingConfig

from test_pages import page

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# A name the store accepts that Markdown would show as "x-<em>y</em>".
EMPHASIS_NAME = "x-_y_"


def rendered(body: str) -> tuple[str, str]:
    """The HTML CommonMark makes of `body`, and the text a reader sees in it."""
    markup = MARKDOWN.render(body)
    return markup, html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def assert_inert(body: str, literal: str) -> None:
    """`body` shows `literal` as typed: no link, image, emphasis or HTML made of it."""
    markup, seen = rendered(body)
    assert "](" not in body and "![" not in body
    assert not re.search(r"<(a|img|em|script|b|h\d)\b", markup), markup
    assert literal in seen


def finished_job(model=None, info=None) -> TrainingJob:
    """A job that finished without a child process: what the page holds after a training."""
    job = TrainingJob(TrainingConfig(architecture="perceptron"), owner="test")
    job.folder = Path(tempfile.mkdtemp(prefix="digit-studio-training-"))
    job._finalizer = weakref.finalize(job, shutil.rmtree, job.folder, True)
    if model is not None:
        model.save(job.model_file)
    if info is None:
        info = finished_info()
    job._record(training_jobs.Tested(info, stopped_by_request=False, stopped_early=False))
    return job


def finished_info():
    from mnist_core.store import ModelInfo

    return ModelInfo("perceptron-1", "perceptron", 7850, {}, 2000, 1000, 1, 1.0, 0.9)


@pytest.mark.parametrize(
    "query",
    [
        {"epochs": "[Click here to sign in again](https://evil.example/login)"},
        {"epochs": "![x](https://evil.example/p.png)"},
        {"arch": "<img src=x onerror=alert(1)>"},
        {"seed": ":red[x] :material/home: $x$"},
        {"lr": "*a* **b** x-_y_"},
    ],
)
def test_a_link_cannot_put_markdown_into_the_warning(store, query):
    at = page("app_pages/train.py")
    at.query_params.update(query)
    at.run()
    assert not at.exception
    assert len(at.warning) == 1 and "using the demo's settings" in at.warning[0].value
    value = next(iter(query.values()))
    assert_inert(at.warning[0].value, value)
    for directive in (":red[", ":material/", "$x$"):
        assert directive not in at.warning[0].value


def test_a_link_whose_training_and_validation_exceed_mnist_is_refused(store):
    at = page("app_pages/train.py")
    at.query_params.update({"train": "59000", "val": "20000"})
    at.run()
    assert not at.exception
    assert "more than MNIST's 60,000" in rendered(at.warning[0].value)[1]
    assert "using the demo's settings" in at.warning[0].value
    assert at.radio[0].value == "demo"
    assert not next(b for b in at.button if b.label == "Start").disabled


def test_custom_sizes_beyond_mnist_disable_start(store):
    at = page("app_pages/train.py").run()
    at.radio[0].set_value("custom").run()
    at.number_input[0].set_value(59_000)
    at.number_input[1].set_value(20_000).run()
    assert not at.exception
    assert "more than MNIST's 60,000" in rendered(at.error[0].value)[1]
    assert next(b for b in at.button if b.label == "Start").disabled


@pytest.fixture
def started(monkeypatch) -> list[TrainingJob]:
    """The jobs Start starts, each a finished fake; discarded after the test."""
    jobs: list[TrainingJob] = []

    def request_training(task):
        jobs.append(finished_job())
        return jobs[-1]

    monkeypatch.setattr(training_view, "request_training", request_training)
    yield jobs
    for job in jobs:
        job.discard()


def test_start_asks_before_throwing_away_an_unsaved_model(store, started):
    old = finished_job()
    at = page("app_pages/train.py")
    at.session_state["training_job"] = old
    at.run()
    start = next(b for b in at.button if b.label == "Start")
    start.click().run()
    assert not at.exception
    assert started == [] and at.session_state["training_job"] is old and old.folder.exists()
    assert "not saved" in at.warning[0].value

    next(b for b in at.button if b.label == "Keep it").click().run()
    assert not at.warning and started == [] and at.session_state["training_job"] is old

    next(b for b in at.button if b.label == "Start").click().run()
    next(b for b in at.button if b.label == "Discard it and start").click().run()
    assert not at.exception
    assert len(started) == 1 and at.session_state["training_job"] is started[0]
    assert not old.folder.exists()


def test_start_does_not_ask_once_the_model_is_saved(store, started, quick_training):
    old = finished_job(quick_training.model, quick_training.model_info(0.9))
    at = page("app_pages/train.py")
    at.session_state["training_job"] = old
    at.run()
    at.text_input[0].set_value(EMPHASIS_NAME)
    at.button(key="FormSubmitter:save-training_job-saved-as-Save").click().run()
    assert not at.exception
    assert store.info(EMPHASIS_NAME).name == EMPHASIS_NAME
    assert_inert(at.info[0].value, f"Saved as {EMPHASIS_NAME}")

    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception and not at.warning
    assert at.session_state["training_job"] is started[0]


def test_a_bad_model_name_is_shown_as_typed(store, quick_training):
    job = finished_job(quick_training.model, quick_training.model_info(0.9))
    at = page("app_pages/train.py")
    at.session_state["training_job"] = job
    at.run()
    name = "[sign in](https://evil.example)"
    at.text_input[0].set_value(name)
    at.button(key="FormSubmitter:save-training_job-saved-as-Save").click().run()
    assert not at.exception
    assert "invalid model name" in at.error[0].value
    assert_inert(at.error[0].value, name)
    job.discard()


def test_a_failed_jobs_error_is_shown_as_plain_text(store):
    job = TrainingJob(TrainingConfig(architecture="perceptron"), owner="test")
    job.fail("cannot read ![x](https://evil.example/p.png)")
    at = page("app_pages/train.py")
    at.session_state["training_job"] = job
    at.run()
    assert not at.exception
    assert_inert(at.error[0].value, "![x](https://evil.example/p.png)")
    job.discard()


def test_model_names_are_not_markdown_on_the_home_page(store, quick_training):
    store.save(EMPHASIS_NAME, quick_training.model, quick_training.model_info(0.9))
    store.set_default(EMPHASIS_NAME)
    home = page("app.py").run()
    assert not home.exception
    assert_inert(home.info[0].value, f"Recognizing with {EMPHASIS_NAME} (perceptron")


def test_errors_naming_a_model_are_not_markdown_on_the_evaluate_page(store, quick_training):
    info = store.save(EMPHASIS_NAME, quick_training.model, quick_training.model_info(0.9))
    store.set_default(EMPHASIS_NAME)
    (store.root / info.file).unlink()  # a model that can't be loaded: its error names it
    evaluate = page("app_pages/evaluate.py").run()
    assert not evaluate.exception
    assert_inert(evaluate.error[0].value, EMPHASIS_NAME)


def test_start_into_an_unwritable_store_says_why_before_training(tmp_path, monkeypatch):
    blocked = tmp_path / "models"
    blocked.write_text("a file where the store's folder should be")
    monkeypatch.setenv("MNIST_MODELS_DIR", str(blocked))
    started = []
    monkeypatch.setattr(training_view, "request_training", lambda task: started.append(1))
    at = page("app_pages/train.py").run()
    next(b for b in at.button if b.label == "Start").click().run()
    assert not at.exception
    assert started == []
    assert "cannot write to the model store" in at.error[0].value

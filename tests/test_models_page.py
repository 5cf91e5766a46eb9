"""The Models page when the store is damaged or cannot be written."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from digit_studio.text import plain

from test_pages import page as app_page


def page() -> AppTest:
    """The Models page, entered through app.py as a browser would."""
    return app_page("app_pages/models.py")


def click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def test_missing_weights_are_shown_and_the_model_can_be_deleted(store, stored_model):
    (store.root / store.info(stored_model).file).unlink()
    at = page().run()
    assert not at.exception
    assert "is missing" in at.error[0].value
    click(at, "Delete…")
    click(at, "Yes, delete it")
    assert not at.exception
    assert store.list_models() == []


def test_make_default_that_cannot_be_written_says_why(store, stored_model, quick_training):
    store.save("second", quick_training.model, quick_training.model_info(0.5))
    (store.root / "default.txt").unlink()
    (store.root / "default.txt").mkdir()  # set_default cannot replace a folder
    at = page().run()
    at.selectbox[0].set_value("second").run()
    click(at, "Make default")
    assert not at.exception
    assert "cannot write to the model store" in at.error[0].value


def test_a_failed_delete_is_shown_after_the_rerun(store, stored_model, monkeypatch):
    def read_only(self, missing_ok=False):
        raise OSError(30, "Read-only file system")

    at = page().run()
    click(at, "Delete…")
    monkeypatch.setattr(Path, "unlink", read_only)
    click(at, "Yes, delete it")
    monkeypatch.undo()
    assert not at.exception
    assert plain("read-only file system") in at.error[0].value
    assert [info.name for info in store.list_models()] == [stored_model]


def test_names_and_reasons_are_shown_as_plain_text(store, stored_model):
    (store.root / "x__bold__.json").write_text("{not json")
    at = page().run()
    assert not at.exception
    warning = at.warning[0].value
    assert plain("x__bold__") in warning and plain(str(store.root)) in warning

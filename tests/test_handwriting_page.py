"""The My handwriting gallery (pages, undo, export on demand) and saving from the Draw page,
under streamlit.testing.v1.AppTest."""

from __future__ import annotations

import time

import numpy as np
from streamlit.testing.v1 import AppTest
from test_samples import write_held

from benchmarks.drawn import mnist_on_canvas
from digit_studio.text import plain
from mnist_core.samples import SampleStore

from conftest import canvas_value
from test_pages import page

HANDWRITING = "app_pages/my_handwriting.py"


def delete_buttons(at: AppTest) -> list:
    return [button for button in at.button if (button.key or "").startswith("delete-")]


def counting(monkeypatch, *names: str) -> dict[str, int]:
    """How often each of SampleStore's methods `names` is called from here on."""
    calls = dict.fromkeys(names, 0)
    for name in names:
        method = getattr(SampleStore, name)

        def counted(self, *args, _name=name, _method=method, **kwargs):
            calls[_name] += 1
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(SampleStore, name, counted)
    return calls


def test_the_gallery_shows_one_page_and_reads_only_that(stored_model, samples, mnist, monkeypatch):
    ids = samples.add_many(mnist.x_test[:120], mnist.y_test[:120], writer="ada")
    calls = counting(monkeypatch, "samples", "arrays", "export_npz", "newest", "counts", "writers")
    at = page(HANDWRITING).run()
    assert not at.exception
    assert "120 drawings" in at.subheader[0].value
    assert len(delete_buttons(at)) == 48
    assert delete_buttons(at)[0].key == f"delete-{ids[-1]}"
    at.number_input(key="gallery_page").set_value(3).run()
    assert not at.exception
    assert len(delete_buttons(at)) == 120 - 2 * 48
    assert delete_buttons(at)[-1].key == f"delete-{ids[0]}"
    # Each run read the names, the counts and one page of drawings once, never all the drawings,
    # and packed no export.
    assert calls == {
        "samples": 0, "arrays": 0, "export_npz": 0, "newest": 2, "counts": 2, "writers": 2,
    }  # fmt: skip


def test_the_export_is_built_only_when_asked(stored_model, samples, mnist, monkeypatch):
    samples.add_many(mnist.x_test[:12], mnist.y_test[:12])
    calls = counting(monkeypatch, "export_npz")
    at = page(HANDWRITING).run()
    assert not at.get("download_button")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert not at.exception
    assert calls["export_npz"] == 1
    assert "Download 12 drawings" in at.get("download_button")[0].proto.label
    at.run()
    assert calls["export_npz"] == 1 and at.get("download_button")


def test_a_deleted_drawing_can_be_brought_back(stored_model, samples, mnist):
    hostile = "[ada](https://evil.example/login)"
    samples.add_many(mnist.x_test[:3], mnist.y_test[:3], writer=hostile)
    original = samples.samples()[-1]
    at = page(HANDWRITING).run()
    at.button(key=f"delete-{original.id}").click().run()
    assert not at.exception
    assert samples.counts().sum() == 2
    message = at.info[0].value
    assert message == plain(f"Deleted a drawing of a {original.label} by {hostile}.")
    assert "[ada](" not in message  # shown as text, not as a link
    at.button(key="undo-delete").click().run()
    assert not at.exception
    assert samples.counts().sum() == 3
    (back,) = [s for s in samples.samples() if s.id == original.id]
    assert (back.label, back.writer, back.created) == (original.label, hostile, original.created)
    assert np.array_equal(back.image, original.image)
    assert not at.get("button") or all(b.key != "undo-delete" for b in at.button)


def test_an_import_error_quoting_the_file_name_is_plain_text(stored_model, samples):
    name = "[sign in](https://evil.example).npz"
    at = page(HANDWRITING).run()
    at.get("file_uploader")[0].set_value((name, b"not a zip", "application/zip"))
    at.button(key="FormSubmitter:import-Import").click().run()
    assert not at.exception
    assert at.error[0].value.startswith(plain(name))
    assert "](https" not in at.error[0].value


def test_saving_while_another_session_writes_says_busy_quickly(stored_model, samples, mnist):
    at = page("app_pages/draw.py").run()
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.run()
    yes = next(b for b in at.button if b.label.startswith("Yes, it's a"))
    with write_held(samples):
        started = time.monotonic()
        yes.click().run()
        assert time.monotonic() - started < 8  # the save waits 2 s, not 30
        assert not at.exception
        assert "busy" in at.error[0].value and "damaged" not in at.error[0].value
        assert at.session_state["canvas_generation"] == 0  # the drawing stays, to try again
        at.pills(key="fix-0").set_value(3).run()
        assert "busy" in at.error[0].value and at.pills(key="fix-0").value is None
    assert samples.counts().sum() == 0
    next(b for b in at.button if b.label.startswith("Yes, it's a")).click().run()
    assert not at.exception and samples.counts().sum() == 1
    assert at.session_state["canvas_generation"] == 1

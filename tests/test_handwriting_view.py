"""The My handwriting page's rules: gallery pages, the undo stack, what Fine-tune trains."""

from __future__ import annotations

import numpy as np

from digit_studio.handwriting_view import (
    GALLERY_PAGE,
    UNDO_DEPTH,
    clamped_page,
    finetune_task,
    page_count,
    with_deleted,
)
from digit_studio.train_settings import offered_range
from mnist_core.config import FinetuneConfig
from mnist_core.samples import Sample


def sample(sample_id: int) -> Sample:
    return Sample(sample_id, 0.0, 1, None, None, "", np.zeros((28, 28), np.uint8), None)


def test_page_count_is_at_least_one():
    assert page_count(0) == 1
    assert page_count(GALLERY_PAGE) == 1
    assert page_count(GALLERY_PAGE + 1) == 2


def test_a_page_past_the_end_becomes_the_last():
    assert clamped_page(5, pages=3) == 3
    assert clamped_page(0, pages=3) == 1
    assert clamped_page(2, pages=3) == 2


def test_the_undo_stack_keeps_the_latest_deletions_on_top():
    stack: list[Sample] = []
    for sample_id in range(UNDO_DEPTH + 5):
        stack = with_deleted(stack, sample(sample_id))
    assert len(stack) == UNDO_DEPTH
    assert [s.id for s in stack[-2:]] == [UNDO_DEPTH + 3, UNDO_DEPTH + 4]


def test_the_slider_offers_the_configs_range_of_epochs():
    assert offered_range("epochs", FinetuneConfig) == (1, 30)


def test_fine_tune_reads_a_writers_drawings_when_started(store, stored_model, samples, mnist):
    samples.add_many(mnist.x_test[:8], mnist.y_test[:8], writer="ada")
    samples.add_many(mnist.x_test[8:10], mnist.y_test[8:10], writer="bob")
    task = finetune_task(samples, "ada", store.info(stored_model), epochs=2)
    samples.add(mnist.x_test[10], mnist.y_test[10], writer="ada")
    made = task()
    assert (made.base_name, made.models_dir, made.config.epochs) == (
        stored_model, str(store.root), 2,
    )  # fmt: skip
    assert len(made.labels) == len(made.images) == 9

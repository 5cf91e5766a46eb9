"""The drawings people confirmed or corrected on the Draw page, and a network fine-tuned on them."""

import time
from functools import partial

import streamlit as st

from digit_studio.handwriting_view import (
    CLASS,
    GALLERY_COLUMNS,
    GALLERY_PAGE,
    clamped_page,
    delete_sample,
    finetune_task,
    page_count,
    read_or_stop,
    undo_delete,
)
from digit_studio.resources import cached_class_board, sample_store
from digit_studio.text import plain
from digit_studio.train_settings import offered_range
from digit_studio.training_jobs import TrainingJob
from digit_studio.training_view import job_view, start_and_stop
from digit_studio.widgets import choose_model, page_title, writer_name
from mnist_core.config import FinetuneConfig
from mnist_core.errors import MnistCoreError
from mnist_core.figures import pixelated, sample_counts
from mnist_core.finetune import MIN_SAMPLES

st.session_state.setdefault("deleted_samples", [])
page_title(
    "My handwriting",
    "label",
    "fine-tuning",
    "neural network",
    "model",
    "epoch",
    "MNIST",
    "accuracy",
)
st.caption(
    "Every drawing you confirm or correct on the **Draw** page is kept here with its label. "
    "Fine-tune a network on them and see whether it reads your handwriting better."
)

store = sample_store()
if store is None:
    st.stop()

writers = read_or_stop(store.writers)
writer = st.selectbox(
    "Whose drawings",
    [None, *writers],
    format_func=lambda name: "Everyone" if name is None else name or "(no name)",
    help="The name given on the Draw page.",
    on_change=lambda: st.session_state.update(gallery_page=1),
)
counts = read_or_stop(partial(store.counts, writer))
total = int(counts.sum())

st.plotly_chart(sample_counts(counts), config={"displayModeBar": False}, key="counts")
if "gallery_error" in st.session_state:
    st.error(plain(st.session_state.pop("gallery_error")))
if st.session_state["deleted_samples"]:
    last = st.session_state["deleted_samples"][-1]
    by = f" by {last.writer}" if last.writer else ""
    message, undo = st.columns([4, 1], vertical_alignment="center")
    message.info(plain(f"Deleted a drawing of a {last.label}{by}."), icon=":material/delete:")
    undo.button(
        "Undo", icon=":material/undo:", key="undo-delete", on_click=undo_delete, args=(store,)
    )
if not total:
    st.info("No drawings yet: draw on the **Draw** page and tell the network if it was right.")
else:
    pages = page_count(total)
    newest_first = ", the newest first" if pages > 1 else ""
    st.subheader(f"{total:,} {'drawing' if total == 1 else 'drawings'}{newest_first}")
    page = 1
    if pages > 1:
        # Set before the widget is drawn, which then shows it.
        st.session_state["gallery_page"] = clamped_page(
            st.session_state.get("gallery_page", 1), pages
        )
        page = st.number_input(f"Page (of {pages:,})", 1, pages, key="gallery_page", step=1)
    try:
        shown = store.newest(writer, GALLERY_PAGE, (page - 1) * GALLERY_PAGE)
    except MnistCoreError as error:
        st.error(plain(error))
        shown = []
    for start in range(0, len(shown), GALLERY_COLUMNS):
        row = st.columns(GALLERY_COLUMNS)
        for column, sample in zip(row, shown[start : start + GALLERY_COLUMNS], strict=False):
            with column, st.container(key=f"sample-{sample.id}"):
                said = (
                    ""
                    if sample.predicted in (None, sample.label)
                    else f" (read {sample.predicted})"
                )
                st.image(pixelated(sample.image / 255, size=84), caption=f"{sample.label}{said}")
                st.button(
                    ":material/delete:",
                    key=f"delete-{sample.id}",
                    help="Delete it (Undo brings it back)",
                    on_click=delete_sample,
                    args=(store, sample.id),
                )

export, load = st.columns(2, gap="large")
with export:
    st.subheader("Export")
    # Packed only when asked: compressing thousands of drawings on every rerun would stall the page.
    if st.button("Prepare export", icon=":material/package_2:", disabled=not total):
        try:
            data = store.export_npz(writer)
        except MnistCoreError as error:
            st.error(plain(error))
        else:
            st.session_state["export"] = (writer, total, time.strftime("%H:%M"), data)
    prepared = st.session_state.get("export")
    if prepared is not None and prepared[0] == writer:
        _, count, when, data = prepared
        st.download_button(
            f"Download {count:,} drawings as .npz",
            data,
            file_name="my-handwriting.npz",
            mime="application/octet-stream",
            icon=":material/download:",
            help=f"Prepared at {when}. x: the 28x28 images (uint8), y: their labels. "
            "`numpy.load` reads it.",
        )
with load, st.form("import", clear_on_submit=True):
    st.subheader("Import")
    upload = st.file_uploader("A .npz with x (N x 28 x 28) and y (N labels)", type=["npz"])
    name = writer_name()
    if st.form_submit_button("Import", icon=":material/upload:") and upload is not None:
        try:
            added = store.import_npz(upload.getvalue(), writer=name)
        except MnistCoreError as error:
            st.error(plain(f"{upload.name}: {error}"))
        else:
            st.session_state["imported"] = f"Added {added:,} drawings from {upload.name}."
            st.session_state.pop("export", None)
            st.rerun()  # the counts, gallery and names above include them
    if "imported" in st.session_state:
        st.success(plain(st.session_state.pop("imported")))

st.header("Fine-tune a network on these drawings")
job: TrainingJob | None = st.session_state.get("finetune_job")
running = job is not None and not job.done
reading = cached_class_board()
class_checked = reading.board.checked if reading is not None else 0
settings, progress = st.columns([1, 2], gap="large")
with settings:
    source = st.radio(
        "Drawings to learn",
        [writer, CLASS],
        format_func=lambda choice: (
            f"The class board's checked drawings ({class_checked:,})"
            if choice == CLASS
            else f"The drawings above ({total:,})"
        ),
        disabled=running,
        help="The class board keeps every drawing of this class with its Yes / No, until the "
        "teacher clears it.",
    )
    base = choose_model("Start from")
    epochs = st.slider(
        "Epochs",
        *offered_range("epochs", FinetuneConfig),
        FinetuneConfig().epochs,
        disabled=running,
    )
    st.caption(
        f"Trains on three quarters of the drawings mixed with MNIST, so it doesn't forget how "
        f"everyone else writes; the other quarter measures the change. Needs {MIN_SAMPLES} "
        "drawings or more."
    )
    task = None  # Fine-tune stays off without a model to start from or enough drawings
    if base is not None and (class_checked if source == CLASS else total) >= MIN_SAMPLES:
        task = finetune_task(store, source, base, epochs)
    start_and_stop("finetune_job", "Fine-tune", task)

with progress:
    job_view(
        "finetune_job",
        "Press **Fine-tune** to start. The charts fill in as the network learns.",
        "Fine-tuning",
    )

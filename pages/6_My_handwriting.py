"""The drawings people confirmed or corrected on the Draw page, and a network fine-tuned on them."""

import streamlit as st

from digit_studio.training_view import job_view, start_and_stop
from digit_studio.ui import choose_model, model_store, sample_store, setup_page, writer_name
from mnist_core.config import EPOCHS_RANGE, FinetuneConfig
from mnist_core.errors import MnistCoreError
from mnist_core.figures import pixelated, sample_counts
from mnist_core.finetune import MIN_SAMPLES, FinetuneTask
from mnist_core.jobs import TrainingJob

GALLERY_SIZE = 60  # the newest drawings shown; all of them are exported and trained on
GALLERY_COLUMNS = 8

setup_page("My handwriting")
st.title("My handwriting")
st.caption(
    "Every drawing you confirm or correct on the **Draw** page is kept here with its label. "
    "Fine-tune a network on them and see whether it reads your handwriting better."
)

store = sample_store()
if store is None:
    st.stop()

try:
    writers = store.writers()
except MnistCoreError as error:
    st.error(str(error))
    st.stop()
writer = st.selectbox(
    "Whose drawings",
    [None, *writers],
    format_func=lambda name: "Everyone" if name is None else name or "(no name)",
    help="The name given on the Draw page.",
)
try:
    counts, samples, exported = (
        store.counts(writer),
        store.samples(writer),
        store.export_npz(writer),
    )
except MnistCoreError as error:
    st.error(str(error))
    st.stop()

st.plotly_chart(sample_counts(counts), config={"displayModeBar": False}, key="counts")
samples = store.samples(writer)
if not samples:
    st.info("No drawings yet: draw on the **Draw** page and tell the network if it was right.")
else:
    plural = "drawing" if len(samples) == 1 else "drawings"
    newest_only = f", the newest {GALLERY_SIZE}" if len(samples) > GALLERY_SIZE else ""
    st.subheader(f"{len(samples)} {plural}{newest_only}")
    newest = samples[::-1][:GALLERY_SIZE]
    for start in range(0, len(newest), GALLERY_COLUMNS):
        row = st.columns(GALLERY_COLUMNS)
        for column, sample in zip(row, newest[start : start + GALLERY_COLUMNS], strict=False):
            with column, st.container(key=f"sample-{sample.id}"):
                said = (
                    ""
                    if sample.predicted in (None, sample.label)
                    else f" (read {sample.predicted})"
                )
                st.image(pixelated(sample.image / 255, size=84), caption=f"{sample.label}{said}")
                if st.button(":material/delete:", key=f"delete-{sample.id}", help="Delete it"):
                    try:
                        store.delete(sample.id)
                    except MnistCoreError as error:
                        st.error(str(error))
                    else:
                        st.rerun()

export, load = st.columns(2, gap="large")
with export:
    st.subheader("Export")
    st.download_button(
        "Download as .npz",
        exported,
        file_name="my-handwriting.npz",
        mime="application/octet-stream",
        icon=":material/download:",
        disabled=not samples,
        help="x: the 28x28 images (uint8), y: their labels. `numpy.load` reads it.",
    )
with load, st.form("import", clear_on_submit=True):
    st.subheader("Import")
    upload = st.file_uploader("A .npz with x (N x 28 x 28) and y (N labels)", type=["npz"])
    name = writer_name()
    if st.form_submit_button("Import", icon=":material/upload:") and upload is not None:
        try:
            added = store.import_npz(upload.getvalue(), writer=name)
        except MnistCoreError as error:
            st.error(f"{upload.name}: {error}")
        else:
            st.session_state["imported"] = f"Added {added} drawings from {upload.name}."
            st.rerun()  # the counts, gallery and names above include them
    if "imported" in st.session_state:
        st.success(st.session_state.pop("imported"))

st.header("Fine-tune a network on these drawings")
job: TrainingJob | None = st.session_state.get("finetune_job")
running = job is not None and not job.done
settings, progress = st.columns([1, 2], gap="large")
with settings:
    base = choose_model("Start from")
    epochs = st.slider("Epochs", *EPOCHS_RANGE, FinetuneConfig().epochs, disabled=running)
    st.caption(
        f"Trains on three quarters of the drawings mixed with MNIST, so it doesn't forget how "
        f"everyone else writes; the other quarter measures the change. Needs {MIN_SAMPLES} "
        "drawings or more."
    )

    def task() -> FinetuneTask:
        images, labels = store.arrays(writer)
        config = FinetuneConfig(epochs=epochs)
        return FinetuneTask(base.name, str(model_store().root), images, labels, config)

    ready = base is not None and len(samples) >= MIN_SAMPLES
    start_and_stop("finetune_job", "Fine-tune", task if ready else None)

with progress:
    job_view(
        "finetune_job",
        "Press **Fine-tune** to start. The charts fill in as the network learns.",
        "Fine-tuning",
    )

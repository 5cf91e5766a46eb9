"""The model store: every saved model, the default, deleting and downloading."""

import streamlit as st

from digit_studio.resources import model_store
from digit_studio.text import plain
from digit_studio.widgets import page_title
from mnist_core.errors import MnistCoreError

page_title(
    "Models", "model", "neural network", "perceptron", "MLP", "CNN", "accuracy", "parameters",
    "epoch", "MNIST",
)  # fmt: skip
st.caption(
    "Every model trained and saved here. The default one is what the other pages start with."
)

store = model_store()
infos = store.list_models()
default = store.default_name()
if failure := st.session_state.pop("models_error", None):  # from before the last rerun
    st.error(plain(failure))
for name, reason in store.broken_models().items():
    st.warning(f"**{plain(name)}** cannot be used: {plain(reason)}")
if not infos:
    st.info("The store is empty: train a model on the **Train** page.")
    st.stop()

st.dataframe(
    [
        {
            "default": info.name == default,
            "name": info.name,
            "architecture": info.architecture,
            "parameters": info.parameters,
            "test accuracy": None if info.test_accuracy is None else info.test_accuracy * 100,
            'says "not a digit"': info.rejects_non_digits,
            "epochs": info.epochs_run,
            "training time (s)": info.training_seconds,
            "created": info.created,
        }
        for info in infos
    ],
    column_config={
        "default": st.column_config.CheckboxColumn("default"),
        "test accuracy": st.column_config.NumberColumn("test accuracy", format="%.2f%%"),
        "parameters": st.column_config.NumberColumn("parameters", format="localized"),
    },
    hide_index=True,
    width="stretch",
)

names = [info.name for info in infos]
name = st.selectbox("Model", names, index=names.index(default) if default in names else 0)
make_default, download, delete = st.columns(3)
if make_default.button("Make default", disabled=name == default, width="stretch"):
    try:
        store.set_default(name)
    except MnistCoreError as error:
        st.error(plain(str(error)))
    else:
        st.rerun()
try:
    weights = store.read_weights(name)
except MnistCoreError as error:
    download.button("Download .keras", disabled=True, width="stretch")
    st.error(plain(str(error)))
else:
    download.download_button(
        "Download .keras",
        data=weights,
        file_name=f"{name}.keras",
        mime="application/zip",
        width="stretch",
    )
if delete.button("Delete…", width="stretch"):
    st.session_state["confirm_delete"] = name
if st.session_state.get("confirm_delete") == name:
    st.warning(f"Delete **{plain(name)}** for good?")
    confirm, cancel = st.columns(2)
    if confirm.button("Yes, delete it", type="primary", width="stretch"):
        try:
            store.delete(name)
        except MnistCoreError as error:
            st.session_state["models_error"] = str(error)
        st.session_state.pop("confirm_delete", None)
        st.rerun()
    if cancel.button("Cancel", width="stretch"):
        st.session_state.pop("confirm_delete", None)
        st.rerun()

"""The Class board's parts: the live wall of the class's drawings, what the class's corrections
say about the network, and the teacher's actions (hide, export, clear)."""

from __future__ import annotations

import time

import streamlit as st

from digit_studio.resources import (
    BOARD_HIDDEN,
    BoardReading,
    cached_class_board,
    forget_class_board,
)
from digit_studio.text import plain
from mnist_core.class_board import (
    ClassBoard,
    answers_csv,
    answers_npz,
    hardest_digits,
    misreadings,
    student_counts,
)
from mnist_core.errors import MnistCoreError
from mnist_core.samples import SampleStore

REFRESH_SECONDS = 2  # the wall's refresh: a drawing shows within about two seconds
FINDINGS_SECONDS = 10  # the confusion matrix, the words and the names: slower, cheaper to watch


def visible_reading(teacher: bool) -> BoardReading | None:
    """The board's shared reading, or None (with a note) while the teacher hides it from
    students."""
    reading = cached_class_board()
    if reading is not None and reading.hidden and not teacher:
        st.info("The teacher has hidden the board for now.", icon=":material/visibility_off:")
        return None
    return reading


def live_board(teacher: bool) -> None:
    """The wall, redrawn every REFRESH_SECONDS, and what the class found, every
    FINDINGS_SECONDS: each watcher's redraw costs the server, the reading is shared."""
    live_wall(teacher)
    findings(teacher)


@st.fragment(run_every=REFRESH_SECONDS)
def live_wall(teacher: bool) -> None:
    reading = visible_reading(teacher)
    if reading is None:
        return
    board = reading.board
    if not board.answers:
        st.info(
            "No drawings yet. Each drawing anyone makes on the **Draw** page shows here, "
            "with what the network said."
        )
        return
    drawings, checked, right = st.columns(3)
    drawings.metric("Drawings", f"{len(board.answers):,}")
    checked.metric("Checked by the class", f"{board.checked:,}")
    right.metric(
        "Read right",
        f"{board.right / board.checked:.0%}" if board.checked else "–",
        help="Of the drawings a student said were right or wrong (Yes / No on the Draw page).",
    )
    st.subheader("The latest drawings")
    if reading.wall is not None:
        st.image(
            reading.wall,
            caption="Newest first: who drew it, what the network said (green: right, red: wrong)",
            output_format="PNG",
        )
    st.caption(f"Updated at {time.strftime('%H:%M:%S', time.localtime(board.taken))}.")


@st.fragment(run_every=FINDINGS_SECONDS)
def findings(teacher: bool) -> None:
    reading = cached_class_board()  # the wall above says when the board is hidden
    if reading is None or not reading.board.answers or (reading.hidden and not teacher):
        return
    what_the_class_found(reading)
    who_drew(reading.board)


def what_the_class_found(reading: BoardReading) -> None:
    """The confusion matrix of the checked drawings, in pictures and in words."""
    board = reading.board
    if reading.confusion is None:
        st.caption(
            "Press Yes or No under an answer on the Draw page: the class's corrections show "
            "which digits the network gets wrong."
        )
        return
    matrix, words = st.columns([3, 2], gap="large")
    with matrix:
        st.subheader("What we drew, what it said")
        st.plotly_chart(reading.confusion, key="class-confusion", config={"displayModeBar": False})
    with words:
        st.subheader("What we found")
        found = misreadings(board.confusion)
        for misreading in found:
            st.markdown(f"- {misreading.sentence()}")
        if not found:
            st.markdown("The network read every checked drawing right.")
        hardest = [score for score in hardest_digits(board.confusion) if score.wrong][:3]
        if hardest:
            st.markdown(
                "Hardest for it: "
                + ", ".join(f"{s.digit} ({s.wrong} of {s.checked} wrong)" for s in hardest)
                + "."
            )


def who_drew(board: ClassBoard) -> None:
    """Each named student's drawings; anonymous ones are only counted on the wall."""
    students = student_counts(board.answers)
    if students:
        st.subheader("Who drew")
        # A table, not a dataframe: no download button handing names to a spreadsheet. Its
        # cells are Markdown: the names, typed by students, are made inert.
        st.table(
            {
                "Name": [plain(student.writer) for student in students],
                "Drawings": [student.drawings for student in students],
                "Checked": [student.checked for student in students],
                "Read right": [student.right for student in students],
            }
        )


def teacher_actions(store: SampleStore) -> None:
    """Hide the board from students, export the class's answers, clear the class."""
    reading = cached_class_board()
    count = len(reading.board.answers) if reading is not None else 0
    st.toggle(
        "Hide the board from students",
        value=reading is not None and reading.hidden,
        key="hide-board",
        on_change=lambda: _set_hidden(store, st.session_state["hide-board"]),
        help="Students see that the board is hidden; you keep seeing it.",
    )
    stamp = time.strftime("%Y-%m-%d-%H%M")
    npz, csv, clear = st.columns(3)
    # Built when clicked: every answer with its image is too much to read on every rerun.
    npz.download_button(
        "Export drawings (.npz)",
        lambda: answers_npz(store.class_answers(with_images=None)),
        file_name=f"class-{stamp}.npz",
        icon=":material/download:",
        disabled=not count,
    )
    csv.download_button(
        "Export answers (.csv)",
        lambda: answers_csv(store.class_answers(with_images=0)),
        file_name=f"class-{stamp}.csv",
        icon=":material/table:",
        disabled=not count,
    )
    with clear.popover("Clear the class", icon=":material/delete_sweep:", disabled=not count):
        st.markdown(
            f"Delete all {count:,} answers from the board? The drawings students saved "
            "with Yes / No stay on the **My handwriting** page."
        )
        st.button(
            "Yes, clear the class",
            type="primary",
            on_click=_clear,
            args=(store,),
            key="clear-class",
        )
    if "board_message" in st.session_state:
        st.success(st.session_state.pop("board_message"))
    elif "board_error" in st.session_state:
        st.error(plain(st.session_state.pop("board_error")))


def _set_hidden(store: SampleStore, hidden: bool) -> None:
    try:
        store.set_class_setting(BOARD_HIDDEN, "1" if hidden else "0")
    except MnistCoreError as error:
        st.session_state["board_error"] = str(error)
    forget_class_board()


def _clear(store: SampleStore) -> None:
    try:
        cleared = store.clear_answers()
    except MnistCoreError as error:
        st.session_state["board_error"] = str(error)
        return
    forget_class_board()
    drawings = "1 answer" if cleared == 1 else f"{cleared:,} answers"
    st.session_state["board_message"] = f"Cleared {drawings}: the board is empty."

"""Every page of the app, registered once: app.py hands them to st.navigation, the Home page
links to them. A new page is a file in app_pages/ and one entry here."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

APP_NAME = "Digit Studio"
APP_ICON = "✍️"


@dataclass(frozen=True)
class AppPage:
    file: str  # relative to app.py
    title: str  # the page link; the browser tab says "{title} · Digit Studio"
    icon: str
    url_path: str  # the page's address: /Draw; "" for the home page
    summary: str  # one line for the home page's links

    def streamlit_page(self) -> st.Page:
        return st.Page(
            self.file,
            title=self.title,
            icon=self.icon,
            url_path=self.url_path or None,
            default=not self.url_path,
        )


HOME = AppPage("app_pages/home.py", "Home", ":material/home:", "", "What Digit Studio is")
PAGES = (
    HOME,
    AppPage(
        "app_pages/draw.py",
        "Draw",
        ":material/draw:",
        "Draw",
        "Draw a digit, see what the network answers",
    ),
    AppPage(
        "app_pages/learn.py",
        "Learn",
        ":material/school:",
        "Learn",
        "A convolution step by step, what the network thinks digits look like, and fooling it",
    ),
    AppPage(
        "app_pages/train.py",
        "Train",
        ":material/model_training:",
        "Train",
        "Train a network, watch it learn",
    ),
    AppPage(
        "app_pages/upload.py",
        "Upload",
        ":material/upload_file:",
        "Upload",
        "Recognize photos of digits",
    ),
    AppPage(
        "app_pages/evaluate.py",
        "Evaluate",
        ":material/analytics:",
        "Evaluate",
        "Score a model on 10,000 digits",
    ),
    AppPage(
        "app_pages/models.py", "Models", ":material/inventory_2:", "Models", "The saved networks"
    ),
    AppPage(
        "app_pages/board.py",
        "Class board",
        ":material/dashboard:",
        "Class_board",
        "The class's drawings, live, and what the network gets wrong",
    ),
    AppPage(
        "app_pages/my_handwriting.py",
        "My handwriting",
        ":material/person_edit:",
        "My_handwriting",
        "Your corrected drawings: teach a network your handwriting",
    ),
)

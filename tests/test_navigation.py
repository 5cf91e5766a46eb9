"""The app's pages, registered once in digit_studio.navigation and nowhere else."""

from __future__ import annotations

from pathlib import Path

from digit_studio.navigation import HOME, PAGES

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_file_is_registered_once():
    registered = [page.file for page in PAGES]
    assert len(set(registered)) == len(registered)
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "app_pages").glob("*.py"))
    assert sorted(registered) == files


def test_the_addresses_stay_what_links_and_bookmarks_use():
    assert PAGES[0] is HOME and HOME.url_path == "" and HOME.title == "Home"
    assert [page.url_path for page in PAGES[1:]] == [
        "Draw", "Learn", "Train", "Upload", "Evaluate", "Models", "Class_board", "My_handwriting",
    ]  # fmt: skip


def test_no_pages_folder_next_to_the_entrypoint():
    # With one, Streamlit's older discovery runs a server's first request without app.py.
    assert not (ROOT / "pages").exists()

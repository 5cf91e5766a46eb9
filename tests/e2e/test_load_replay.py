"""The load benchmark speaks the protocol as a browser does: what Chromium sent on the Draw page,
replayed without a browser, gets the answer the browser showed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from benchmarks.drawn import mnist_on_canvas
from benchmarks.record_draw import frames_into
from benchmarks.replay import Student, recording_from_frames

from e2e.strokes import DIGIT_STROKES, draw_with_mouse
from e2e.test_browser import PREDICTION, empty_canvas, wait_until_idle


def test_a_replayed_browser_drawing_gets_the_browsers_answer(page, app_url, mnist):
    sent: list[bytes] = []
    page.on("websocket", lambda socket: socket.on("framesent", frames_into(sent)))
    page.goto(f"{app_url}/Draw")
    canvas = empty_canvas(page)
    wait_until_idle(page)
    draw_with_mouse(page, canvas.bounding_box(), DIGIT_STROKES["7"])
    expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text("7")
    recording = recording_from_frames(sent, "7")

    async def replay() -> list[str]:
        student = Student(app_url, recording)
        await student.open()
        try:
            answers = [(await student.draw(None))[0]]  # the browser's own drawing
            for index in range(4):
                answers.append((await student.draw(mnist_on_canvas(mnist.x_test[index])))[0])
        finally:
            await student.close()
        return answers

    with ThreadPoolExecutor(1) as thread:  # away from Playwright's own event loop
        answers = thread.submit(asyncio.run, replay()).result()
    assert answers == ["7", *(str(label) for label in mnist.y_test[:4])]
    # The browser's page is its own session: the replay did not change it.
    expect(page.locator(f"{PREDICTION} .big-digit")).to_have_text("7")

"""Learning by looking in a real Chromium: models side by side, words explained, a clickable
confusion matrix, a convolution stepped and animated, portraits and a fooled drawing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.test_browser import a_seven_drawn, wait_until_idle


def test_a_drawing_through_three_models_side_by_side(page, app_url, artifacts):
    a_seven_drawn(page, app_url)
    page.get_by_text("Side by side: other models, same drawing").click()
    timing = page.get_by_text(re.compile(r"^3 models answered in \d+ ms of this server's time"))
    expect(timing).to_be_visible()
    for name in ("perceptron", "mlp", "cnn-default"):
        expect(page.locator(f".st-key-compared-{name}")).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "draw-side-by-side.png", full_page=True)


def test_the_words_on_a_page_are_explained(page, app_url):
    page.goto(f"{app_url}/Draw")
    page.get_by_role("button", name="Words", exact=True).click()
    popover = page.get_by_test_id("stPopoverBody")
    expect(popover).to_contain_text("Saliency:")
    expect(popover).to_contain_text("Feature map:")


def test_a_confusion_matrix_cell_shows_its_digits(page, app_url, artifacts):
    page.goto(f"{app_url}/Evaluate")
    matrix = page.locator(".st-key-confusion .nsewdrag").first
    expect(matrix).to_be_visible()
    wait_until_idle(page)
    matrix.evaluate(
        "cell => cell.scrollIntoView({block: 'center'})"
    )  # the mouse needs it on screen
    box = matrix.bounding_box()
    true, answered = 9, 4  # the shipped model's most common mistake
    page.mouse.click(
        box["x"] + (answered + 0.5) * box["width"] / 10,
        box["y"] + (true + 0.5) * box["height"] / 10,
    )
    expect(page.get_by_text(re.compile(r"^\d+ test 9s read as 4"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^9 read as 4 \(\d+%\)$")).first).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "evaluate-cell.png", full_page=True)


def test_a_convolution_stepped_and_animated(page, app_url, artifacts):
    page.goto(f"{app_url}/Learn")
    sum_line = page.get_by_text(re.compile(r"\(sum of the 9 products\) [+−] .* \(bias\) = "))
    expect(sum_line).to_be_visible()
    wait_until_idle(page)
    position = page.locator(".st-key-conv_position").get_by_test_id("stSliderThumbValue")
    before = int(position.inner_text())
    page.get_by_role("button", name="One step", exact=True).click()
    expect(position).to_have_text(str(before + 1))
    wait_until_idle(page)
    page.screenshot(path=artifacts / "learn-convolution.png", full_page=True)
    page.get_by_text("Animate").click()
    expect(page.locator(".st-key-conv-animation .updatemenu-button").first).to_be_visible()


def test_the_network_is_fooled_by_a_small_change(page, app_url, artifacts):
    page.goto(f"{app_url}/Learn")
    page.get_by_text("Fool the network", exact=True).click()
    expect(page.get_by_text(re.compile(r"^After the change it reads \d"))).to_be_visible()
    expect(page.get_by_text("This is an adversarial example", exact=False)).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "learn-fooled.png", full_page=True)


def test_the_portraits_of_the_ten_digits(page, app_url, artifacts):
    page.goto(f"{app_url}/Learn")
    page.get_by_text("What it thinks digits look like", exact=True).click()
    page.get_by_role("button", name="Paint what it thinks each digit looks like").click()
    expect(
        page.get_by_text(re.compile(r"^Painted in \d+\.\d s of this server's time"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^7: \d+% sure$"))).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "learn-portraits.png", full_page=True)

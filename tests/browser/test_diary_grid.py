"""The diary's time grid on a tablet and a desktop: dragging a block moves it, or says why not,
next to it; the keyboard (and a tap) reach the move form instead."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import htmx_idle


def _central_day() -> dt.date:
    """A coming Monday to Wednesday: the demo books both clinicians at Central then."""
    day = dt.date.today() + dt.timedelta(days=1)
    while day.weekday() > 2:
        day += dt.timedelta(days=1)
    return day


def _open_day(page, by: str = "") -> None:
    page.goto("/calendar/")
    central = page.locator(".head-actions a", has_text="Central").get_attribute("href")
    site_week = re.search(r"/calendar/site/[0-9a-f-]{36}/", central)
    assert site_week, central
    extra = f"&by={by}" if by else ""
    page.goto(f"{site_week.group(0)}day/?date={_central_day().isoformat()}{extra}")
    expect(page.locator(".grid .blk").first).to_be_visible()


def _no_page_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_day_grid_fits_a_tablet_and_a_desktop(browser, live_app):
    for width, height in ((768, 1024), (1024, 768)):
        context = browser.new_context(
            base_url=live_app, viewport={"width": width, "height": height}, has_touch=True
        )
        page = context.new_page()
        login(page, "reception@demo.clinic")
        _open_day(page)
        assert _no_page_scroll(page), f"the page scrolls sideways at {width} px"
        columns = page.locator(".grid .res-head")
        assert columns.count() >= 2
        # Reception sees names and times, never which areas a session treats.
        expect(page.locator(".grid")).not_to_contain_text("(")
        screenshot(page, f"diary-day-{width}x{height}")
        _open_day(page, by="room")
        expect(page.locator(".grid .res-head").first).to_contain_text("Treatment room 1")
        assert _no_page_scroll(page)
        screenshot(page, f"diary-day-rooms-{width}x{height}")
        page.get_by_role("link", name="Week view").click()
        expect(page.locator(".grid .blk").first).to_be_visible()
        screenshot(page, f"diary-week-rooms-{width}x{height}")
        context.close()


def _drag(page, block, lane, minute: int) -> None:
    """Drag ``block`` by its top edge to ``minute`` (wall clock) in ``lane``."""
    grid = page.locator(".grid")
    start, rows = int(grid.get_attribute("data-start")), int(grid.get_attribute("data-rows"))
    box, target = block.bounding_box(), lane.bounding_box()
    y = target["y"] + (minute - start) / (rows * 5) * target["height"]
    page.mouse.move(box["x"] + 10, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(target["x"] + 12, y + 4, steps=8)
    expect(page.locator(".drop-mark")).to_be_visible()
    page.mouse.up()
    htmx_idle(page)


def _blocks_of(page, lane):
    column = lane.get_attribute("data-column")
    return page.locator(f".grid .blk[data-column='{column}'][data-movable]")


def test_dragging_a_block_moves_it_or_says_why_not(browser, live_app):
    # Tall enough that the whole day is on screen: a mouse drags within the viewport.
    context = browser.new_context(base_url=live_app, viewport={"width": 1024, "height": 1600})
    page = context.new_page()
    login(page, "practitioner@demo.clinic")
    _open_day(page)
    lane = page.locator(".grid .lane").first
    blocks = _blocks_of(page, lane)
    assert blocks.count() >= 2
    first, second = blocks.nth(0), blocks.nth(1)
    patient = first.locator(".blk-main").inner_text().split("\n")[0].split(" ", 1)[1]
    other_start = second.get_attribute("data-start")
    hour, minute = map(int, other_start.split(":"))
    # Onto the practitioner's own next appointment: refused, and the reason is beside it.
    _drag(page, first, lane, hour * 60 + minute)
    refusal = page.locator(".blk.refused .blk-refusal")
    expect(refusal).to_contain_text("already")
    expect(page.locator(".blk.refused")).to_contain_text(patient)
    screenshot(page, "diary-drag-refused")
    # To the first free quarter-hour of the lane: moved.
    free = page.locator(f".grid .free.gc-{lane.get_attribute('data-column')}").last
    text = free.inner_text()
    free_start = re.search(r"(\d\d):(\d\d)–", text)
    assert free_start, text
    to = int(free_start.group(1)) * 60 + int(free_start.group(2))
    to += -to % 15
    _drag(page, _blocks_of(page, lane).nth(0), lane, to)
    expect(page.locator(".grid-note")).to_contain_text(f"Moved {patient} to")
    expect(page.locator(".grid-note")).to_contain_text(f"{to // 60:02d}:{to % 60:02d}")
    screenshot(page, "diary-drag-moved")
    context.close()


def test_the_keyboard_selects_a_block_and_opens_the_move_form(page):
    login(page, "reception@demo.clinic")
    _open_day(page)
    main = page.locator(".grid .blk[data-movable] .blk-main").first
    main.focus()
    page.keyboard.press("Enter")
    move = page.locator(".blk.selected .blk-actions").get_by_role("link", name="Move")
    expect(move).to_be_focused()
    screenshot(page, "diary-block-selected")
    page.keyboard.press("Escape")
    expect(page.locator(".blk.selected")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(move).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Move "))).to_be_visible()


def test_the_booking_form_offers_free_starts_and_takes_the_treatments_length(page):
    login(page, "reception@demo.clinic")
    page.goto("/calendar/")
    page.get_by_role("link", name="New appointment").click()
    page.get_by_label("Practitioner").select_option(label="Dr Paul Moreau")
    page.get_by_label("Date").fill(_central_day().isoformat())
    page.get_by_label("Date").dispatch_event("change")
    page.get_by_label("Treatment").select_option(label="Injection lipolysis (60 min)")
    expect(page.locator("#new-slots")).to_contain_text("for 60 minutes")
    expect(page.get_by_label("Length (minutes)")).to_have_value("60")
    first = page.locator("#new-slots .slot").first
    chosen = first.inner_text()
    first.click()
    expect(page.get_by_label("Time")).to_have_value(chosen)
    screenshot(page, "diary-new-appointment-slots")


def test_every_block_is_a_finger_tall_and_still_says_how_long_it_is(browser, live_app):
    """A 15-minute review call is drawn 24 px tall by its minutes; its tap area reaches 44 px
    and its times still say how long it is; a tap shows its actions, Move among them."""
    context = browser.new_context(
        base_url=live_app, viewport={"width": 768, "height": 1024}, has_touch=True
    )
    page = context.new_page()
    login(page, "reception@demo.clinic")
    _open_day(page)
    # The demo books a 15-minute review call at midday (an earlier test may have moved it).
    short = page.locator(".grid .blk.short", has_text="Review call").first
    expect(short).to_contain_text(re.compile(r"\d\d:\d\d–\d\d:\d\d"))
    heights = page.eval_on_selector_all(
        ".grid .blk-main", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    # Back-to-back calls (12:30 and 12:45) sit side by side: no block's tap area lies
    # under another block, so a finger 40 px below each block's top lands on it.
    covered = page.eval_on_selector_all(
        ".grid .blk",
        """els => els.filter(e => !e.classList.contains('faded')).filter(e => {
            e.scrollIntoView({block: 'center', inline: 'center'});
            const r = e.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + 40);
            return !(hit && e.contains(hit));
        }).map(e => e.innerText.slice(0, 40))""",
    )
    assert covered == [], covered
    shorts = page.eval_on_selector_all(
        ".grid .blk.short", "els => els.map(e => [e.dataset.column, e.dataset.start, e.className])"
    )
    starts = {(column, start): classes for column, start, classes in shorts}
    pairs = [c for c, start, _ in shorts if start == "12:30" and (c, "12:45") in starts]
    for column in pairs:  # the demo's pair, unless an earlier test moved one of them
        assert "half-0" in starts[(column, "12:30")] and "half-1" in starts[(column, "12:45")]
    page.evaluate("window.scrollTo(0, 0)")
    short.locator(".blk-main").tap()
    expect(short.get_by_role("link", name="Move")).to_be_visible()
    assert _no_page_scroll(page)
    screenshot(page, "diary-day-short-block-768")
    context.close()


def _minutes(hhmm: str) -> int:
    hour, minute = map(int, hhmm.split(":"))
    return hour * 60 + minute


def test_arrow_keys_move_a_selected_block_and_keep_it_selected(page):
    """The keyboard's drag: a quarter-hour later into free time, then back, by the same
    checks as a drop, the block still selected on the new board for the next key."""
    login(page, "reception@demo.clinic")
    _open_day(page)
    frees = {}
    for chip in page.locator(".grid .free .free-text").all():
        found = re.search(r"Free (\d\d:\d\d)–(\d\d:\d\d)", chip.inner_text())
        column = re.search(r"gc-(\d+)", chip.locator("..").get_attribute("class"))
        if found and column:
            frees[(column.group(1), found.group(1))] = _minutes(found.group(2))
    chosen = None
    for blk in page.locator(".grid .blk[data-movable]").all():
        times = re.search(r"(\d\d:\d\d)–(\d\d:\d\d)", blk.locator(".blk-main").inner_text())
        ends = times and frees.get((blk.get_attribute("data-column"), times.group(2)))
        if ends and ends - _minutes(times.group(2)) >= 15:
            chosen = blk
            break
    assert chosen is not None, "no block with a free quarter-hour after it"
    appointment = chosen.get_attribute("data-appointment")
    start = chosen.get_attribute("data-start")
    patient = chosen.locator(".blk-main").inner_text().split("\n")[0].split(" ", 1)[1]
    chosen.locator(".blk-main").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    later = _minutes(start) + 15
    note = page.locator(".grid-note")
    expect(note).to_contain_text(f"Moved {patient} to")
    expect(note).to_contain_text(f"{later // 60:02d}:{later % 60:02d}")
    moved = page.locator(f".blk[data-appointment='{appointment}']")
    expect(moved).to_have_attribute("data-start", f"{later // 60:02d}:{later % 60:02d}")
    expect(moved).to_have_class(re.compile(r"\bselected\b"))
    screenshot(page, "diary-arrow-moved")
    page.keyboard.press("ArrowUp")
    expect(moved).to_have_attribute("data-start", start)

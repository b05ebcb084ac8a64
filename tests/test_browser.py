"""The website as a reader sees it: every page in headless Chromium, offline.

The built site is served from 127.0.0.1 by Python's http.server; Chromium (Debian's package,
never a downloaded browser) loads each page with background networking off. Every page must
load without console errors or failed requests, typeset all its math with the site's own
MathJax (no ``mjx-merror``), load every image, and fit the screen of a phone (390 px) and of
a laptop (1280 px) without scrolling sideways. A chapter loads at most 3 MB; the dark-mode
switch changes the page on its first click; there is one search box; printed, the code wraps
and the solutions are shown. Screenshots of the landing page and of a chapter land in
``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import BookBuild

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "_build" / "screenshots"
MATH_NODE = re.compile(r'class="math notranslate nohighlight"')
#: A phone and a laptop: no page may scroll sideways at either width.
WIDTHS = (390, 1280)
#: Everything one chapter page fetches (HTML, scripts, styles, fonts, images), decoded.
MAX_CHAPTER_BYTES = 3_000_000
#: The elements that make a page wider than the screen, for the failure message.
_WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let parent = element.parentElement, clipped = false;
    while (parent && parent !== document.body) {
      if (getComputedStyle(parent).overflowX !== "visible") { clipped = true; break; }
      parent = parent.parentElement;
    }
    if (clipped) continue;
    const name = element.tagName.toLowerCase() + "." + String(element.className).split(" ")[0];
    const text = (element.textContent || "").slice(0, 50);
    found.push(`${name} to ${Math.round(box.right)} px: ${text}`);
    if (found.length === 3) break;
  }
  return found;
}"""

#: The landing page, where the root redirects.
LANDING = "book/intro.html"

#: Resolves after two animation frames: the page has handled a resize and laid itself out.
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

pytestmark = pytest.mark.book

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must install Debian's chromium (see scripts/install-system-packages.sh)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def server(built_book: BookBuild) -> Iterator[str]:
    assert built_book.returncode == 0, "the book did not build"
    handler = functools.partial(_QuietHandler, directory=str(built_book.html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _pages(built_book: BookBuild) -> list[str]:
    """Every content page; redirect stubs (the root index.html) are left out."""
    html = built_book.html
    pages = []
    for path in sorted(html.rglob("*.html")):
        name = path.relative_to(html).as_posix()
        if name.startswith(("_", "genindex", "search", "py-modindex")):
            continue
        if 'http-equiv="Refresh"' in path.read_text(errors="replace"):
            continue
        pages.append(name)
    return pages


def _chapters(built_book: BookBuild) -> list[str]:
    return [p for p in _pages(built_book) if re.match(r"book/\d", p)]


def _typeset(page: object) -> None:
    page.evaluate(  # type: ignore[attr-defined]
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
    )


@dataclass
class _Visit:
    """What one page showed: its problems, how wide it was, what it fetched (chapters)."""

    problems: list[str] = field(default_factory=list)
    typeset: int = 0
    wide: str = ""
    wide_phone: str = ""
    fetched: list[str] = field(default_factory=list)
    total_bytes: int = 0
    largest: list[object] = field(default_factory=list)
    #: underscores typeset in formulas: all of them, and those typeset as spaced operators
    underscores: tuple[int, int] = (0, 0)
    #: on the landing page (at the laptop's width): visible search boxes, and the light/dark
    #: switch's icon, its box and the mask it is drawn with
    search_boxes: int = -1
    icon_box: dict[str, float] | None = None
    icon_mask: str = ""


def _too_wide(page: object, path: str, width: int) -> str:
    scroll, viewport = page.evaluate(  # type: ignore[attr-defined]
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll <= viewport:
        return ""
    culprits = "; ".join(page.evaluate(_WIDE_ELEMENTS))  # type: ignore[attr-defined]
    return f"{path} at {width} px is {scroll} px wide ({culprits})"


@pytest.fixture(scope="module")
def walk(built_book: BookBuild, server: str, browser: object) -> dict[str, _Visit]:
    """Every page once: errors, math, images, its width on a phone and on a laptop, the
    underscores in its formulas, for a chapter every byte it fetches, and on the landing page
    its search boxes and icons (one walk serves five tests).

    A page loads at the phone's width, as a phone opens it, and is measured there; the window
    then widens to the laptop's, which lays the same page out again (CSS media queries and
    the theme's resize handlers), and every other check runs at that width. MathJax 3 has no
    automatic line breaking, so its typesetting does not depend on the width.
    """
    pages = _pages(built_book)
    chapters = set(_chapters(built_book))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = {LANDING: "landing.png", min(chapters, default=""): "chapter.png"}
    phone, laptop = ({"width": width, "height": 900} for width in WIDTHS)
    context = browser.new_context(viewport=phone)  # type: ignore[attr-defined]
    visits: dict[str, _Visit] = {}
    page = context.new_page()
    # One page, navigated from one chapter to the next; the handlers report to the visit of
    # the moment (a navigation starts a new document, with its own performance entries).
    now: list[_Visit] = []

    def note(problem: str) -> None:
        now[-1].problems.append(problem)

    page.on("console", lambda m: note(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: note(str(exc)))
    page.on("requestfailed", lambda r: note(f"failed request {r.url}"))
    page.on("response", lambda r: note(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: now[-1].fetched.append(r.url))
    for path in pages:
        visit = visits[path] = _Visit()
        now.append(visit)
        errors = visit.problems
        page.set_viewport_size(phone)
        page.goto(f"{server}/{path}", wait_until="load")
        expected_math = len(MATH_NODE.findall((built_book.html / path).read_text()))
        if expected_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=30_000,
            )
            page.evaluate("() => MathJax.startup.promise")
        visit.wide_phone = _too_wide(page, path, WIDTHS[0])
        page.set_viewport_size(laptop)
        # the resize event reaches the page's handlers with the next frames
        page.evaluate(_TWO_FRAMES)
        visit.typeset = page.locator("mjx-container").count()
        if visit.typeset < expected_math:
            errors.append(f"{visit.typeset} formulas typeset of {expected_math}")
        if page.locator("mjx-merror").count():
            errors.append("MathJax reports an error in a formula")
        visit.wide = _too_wide(page, path, WIDTHS[1])
        visit.underscores = (
            page.locator("mjx-container mjx-c.mjx-c5F").count(),
            page.locator("mjx-container mjx-mo mjx-c.mjx-c5F").count(),
        )
        if path == LANDING:
            visit.search_boxes = page.locator(
                "form.bd-search:visible, .search-button-field:visible"
            ).count()
            icon = page.locator(".theme-switch-button:visible i:visible").first
            visit.icon_box = icon.bounding_box()
            visit.icon_mask = page.evaluate(
                "(e) => getComputedStyle(e).maskImage || getComputedStyle(e).webkitMaskImage",
                icon.element_handle(),
            )
        if path in chapters:
            # images below the fold load lazily: ask for all of them now, as a reader
            # scrolling to the end would
            page.evaluate(
                "() => document.querySelectorAll('img[loading=lazy]')"
                ".forEach(i => { i.loading = 'eager'; })"
            )
            page.wait_for_load_state("networkidle")
            visit.total_bytes, visit.largest = page.evaluate(
                """() => {
                  const all = performance.getEntriesByType("navigation")
                    .concat(performance.getEntriesByType("resource"));
                  const sizes = all.map(e => [e.name.split("?")[0].split("/").slice(-2).join("/"),
                                              e.decodedBodySize || 0]);
                  sizes.sort((a, b) => b[1] - a[1]);
                  return [sizes.reduce((s, e) => s + e[1], 0), sizes.slice(0, 4)];
                }"""
            )
        broken = page.evaluate(
            "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        errors += [f"image did not load: {src}" for src in broken]
        if path in shot:
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOTS / shot[path]), full_page=False)
    context.close()
    return visits


def test_every_page_loads_typesets_its_math_and_shows_its_images(
    walk: dict[str, _Visit],
) -> None:
    assert LANDING in walk and any(re.match(r"book/\d", p) for p in walk)
    problems = [f"{path}: {problem}" for path, v in walk.items() for problem in v.problems]
    assert not problems, "\n".join(problems)
    typeset_total = sum(v.typeset for v in walk.values())
    assert typeset_total > 0
    print(f"{len(walk)} pages, {typeset_total} formulas typeset")


def test_the_root_redirects_to_the_landing_page(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server}/index.html")
    page.wait_for_url(f"**/{LANDING}", timeout=30_000)
    assert "Cross-entropy" in page.title()
    page.close()


def test_search_finds_a_word_of_the_course(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server}/search.html?q=entropy", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=30_000)
    assert page.locator("#search-results li").count() > 0
    page.close()


def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(walk: dict[str, _Visit]) -> None:
    assert any(p.startswith("book/api/") for p in walk), "the API pages were not built"
    wide = [w for v in walk.values() for w in (v.wide_phone, v.wide) if w]
    assert not wide, "pages that scroll sideways:\n" + "\n".join(wide)


def test_a_chapter_page_fetches_at_most_3_mb(
    built_book: BookBuild, walk: dict[str, _Visit]
) -> None:
    chapters = _chapters(built_book)
    assert chapters, "no chapter was measured"
    heavy: list[str] = []
    for path in chapters:
        visit = walk[path]
        assert visit.total_bytes > 0, path
        assert not [u for u in visit.fetched if "fontawesome.js" in u], (
            f"{path} loads fontawesome.js"
        )
        assert not [u for u in visit.fetched if u.endswith("searchindex.js")], (
            f"{path} loads the index"
        )
        if visit.total_bytes > MAX_CHAPTER_BYTES:
            heavy.append(f"{path}: {visit.total_bytes / 1e6:.2f} MB; largest: {visit.largest}")
    print({path: f"{walk[path].total_bytes / 1e6:.2f} MB" for path in chapters})
    assert not heavy, "\n".join(heavy)


def test_the_dark_mode_switch_changes_the_page_on_its_first_click(
    server: str, browser: object
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{server}/{LANDING}", wait_until="load")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    light = page.evaluate(background)
    switch = page.locator(".theme-switch-button:visible").first
    switch.click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) != light, "the first click did not change the page"
    switch.click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.evaluate(background) == light
    # the choice is remembered on the next page
    switch.click()
    page.goto(f"{server}/book/glossary.html", wait_until="load")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    page.evaluate("() => localStorage.clear()")
    page.close()


def test_a_page_has_one_search_box_and_draws_its_icons(walk: dict[str, _Visit]) -> None:
    landing = walk[LANDING]
    assert landing.search_boxes == 1, f"{landing.search_boxes} search boxes on the page"
    # the icons come from xent-icons.css (CSS masks), not from fontawesome.js
    box = landing.icon_box
    assert box is not None and box["width"] > 5 and box["height"] > 5
    assert landing.icon_mask.startswith("url("), landing.icon_mask


def test_a_printed_chapter_wraps_its_code_and_shows_its_solutions(
    built_book: BookBuild, server: str, browser: object
) -> None:
    with_solutions = [
        p for p in _chapters(built_book) if 'class="solution' in (built_book.html / p).read_text()
    ]
    assert with_solutions, "no chapter has a solution"
    page = browser.new_page(viewport={"width": 800, "height": 1100})  # type: ignore[attr-defined]
    page.goto(f"{server}/{with_solutions[0]}", wait_until="load")
    _typeset(page)
    page.emulate_media(media="print")
    count_hidden = """() => Array.from(document.querySelectorAll(".solution.admonition"))
             .flatMap(s => Array.from(s.children).filter(c => !c.matches(".admonition-title")))
             .filter(c => { const s = getComputedStyle(c);
                            return s.visibility !== "visible" || s.opacity === "0"
                                   || c.getBoundingClientRect().height === 0; })
             .length"""
    # The toggle's collapse may still be in a CSS transition when print media is switched on:
    # give it a moment to settle before counting.
    try:
        page.wait_for_function(f"({count_hidden})() === 0", timeout=5000)
    except Exception:  # noqa: BLE001  (the assertion below reports the count)
        pass
    hidden = page.evaluate(count_hidden)
    solutions = page.locator(".solution.admonition").count()
    assert solutions > 0
    assert hidden == 0, f"{hidden} parts of {solutions} solutions are hidden in print"
    wrapping = page.evaluate(
        """() => Array.from(document.querySelectorAll(".bd-article pre"))
             .map(p => getComputedStyle(p).whiteSpace)"""
    )
    assert wrapping and set(wrapping) == {"pre-wrap"}, set(wrapping)
    assert page.locator("button.toggle-button:visible").count() == 0
    page.close()


def test_an_underscore_in_a_formula_is_a_letter_not_an_operator(walk: dict[str, _Visit]) -> None:
    underscores, _ = walk["book/api/special.html"].underscores
    assert underscores > 0, "no underscore typeset: rel\\_entr is no longer on the page?"
    spaced = {path: v.underscores[1] for path, v in walk.items() if v.underscores[1]}
    assert not spaced, f"underscores typeset as spaced operators ('rel _ entr'): {spaced}"

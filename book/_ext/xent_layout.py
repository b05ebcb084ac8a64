"""How the pages look and behave: on a phone, on paper and in the dark.

* ``static/xent.css``: nothing scrolls the page sideways on a phone (long code words and API
  signatures wrap; display math, outputs and tables scroll inside their own box), one search
  box, and a print style sheet (code wraps, solutions print expanded, no buttons).
* ``static/xent-theme.js``: the light/dark switch flips between light and dark on every click
  (the theme's own switch passes through "auto" first, which looks like nothing happened).
* **Icons without fontawesome.js.** The theme loads Font Awesome's 1.4 MB script to draw a
  dozen icons. ``templates/static/webpack-macros.html`` drops that script, and after the
  build ``_static/xent-icons.css`` draws the icons the pages use, each as a CSS mask made
  from the same Font Awesome data (read from the theme's copy, so nothing is vendored).

Assets live in ``book/_ext/static`` (not ``_static``: Jupyter Book adds every file under
``_static`` to every page).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ICONS_CSS = "xent-icons.css"
#: Icons that scripts add after the page loaded (the theme's search dialog close button).
_SCRIPT_ICONS = {"xmark"}
#: Font Awesome classes that are not icons.
_MODIFIERS = {
    "solid",
    "regular",
    "brands",
    "lg",
    "xs",
    "sm",
    "xl",
    "2xl",
    "fw",
    "spin",
    "pulse",
    "border",
    "pull-left",
    "pull-right",
    "inverse",
    "flip",
    "beat",
    "fade",
    "bounce",
    "shake",
    "2x",
    "3x",
    "4x",
    "5x",
    "stack",
    "stack-1x",
    "stack-2x",
    "rotate-90",
    "rotate-180",
    "rotate-270",
    "flip-horizontal",
    "flip-vertical",
    "flip-both",
    "sr-only",
}
_FA_CLASS = re.compile(r"\bfa-([a-z0-9-]+)")
_CLASS_ATTR = re.compile(r'class="([^"]*\bfa-[^"]*)"')
# name:[width,height,[aliases],"unicode","path"] in Font Awesome's bundled script
_FA_ICON = re.compile(
    r'(?:"(?P<quoted>[\w-]+)"|(?P<bare>[\w$]+)):\[(?P<w>\d+),(?P<h>\d+),\[(?P<aliases>[^\]]*)\],'
    r'"[0-9a-f]+","(?P<path>[^"]+)"\]'
)
_FA_PACK = re.compile(r'\w+\("(fa[srb])",')
#: pack ("fas", "far", "fab") -> icon name -> (width, height, SVG path)
Packs = dict[str, dict[str, tuple[int, int, str]]]


def _add_assets(app: Sphinx, config: Config) -> None:
    config.html_static_path.append(str(HERE / "static"))
    config.templates_path.insert(0, str(HERE / "templates"))


def font_awesome_icons(script: str) -> Packs:
    """Read Font Awesome's bundled script: pack ("fas", "far", "fab") -> name -> (w, h, path).

    The script defines each pack's icons, then registers them with ``X("fas", icons)``; an
    icon belongs to the first registration after it.
    """
    registrations = [(m.start(), m.group(1)) for m in _FA_PACK.finditer(script)]
    packs: Packs = {"fas": {}, "far": {}, "fab": {}}
    for match in _FA_ICON.finditer(script):
        pack = next((p for at, p in registrations if at > match.start()), None)
        if pack is None:
            continue
        name = match.group("quoted") or match.group("bare")
        size = (int(match.group("w")), int(match.group("h")))
        aliases = re.findall(r'"([\w-]+)"', match.group("aliases"))
        for alias in (name, *aliases):
            packs[pack].setdefault(alias, (*size, match.group("path")))
    return packs


def _theme_font_awesome() -> Path:
    import pydata_sphinx_theme

    return (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme"
        / "pydata_sphinx_theme"
        / "static"
        / "scripts"
        / "fontawesome.js"
    )


def _used_icons(outdir: Path) -> set[tuple[str, str]]:
    """(pack, name) of every Font Awesome icon in the HTML pages of ``outdir``."""
    used: set[tuple[str, str]] = {("fas", name) for name in _SCRIPT_ICONS}
    for page in outdir.rglob("*.html"):
        for classes in _CLASS_ATTR.findall(page.read_text(encoding="utf8", errors="replace")):
            words = set(classes.split())
            pack = (
                "fab"
                if words & {"fab", "fa-brands"}
                else "far"
                if words & {"far", "fa-regular"}
                else "fas"
            )
            for name in _FA_CLASS.findall(classes):
                if name not in _MODIFIERS:
                    used.add((pack, name))
    return used


def icons_css(used: set[tuple[str, str]], packs: Packs) -> tuple[str, list[str]]:
    """The style sheet that draws ``used`` icons; and the icons it could not find."""
    rules = [
        "/* Font Awesome icons used by the pages (Font Awesome Free, icons CC BY 4.0,"
        " https://fontawesome.com/license/free), drawn as CSS masks. Written by"
        " book/_ext/xent_layout.py. */",
        ".fa, .fas, .far, .fab, .fa-solid, .fa-regular, .fa-brands {"
        " display: inline-block; width: calc(var(--xent-fa-ratio, 1) * 1em); height: 1em;"
        " vertical-align: -0.125em; background-color: currentColor;"
        " -webkit-mask: var(--xent-fa) center / contain no-repeat;"
        " mask: var(--xent-fa) center / contain no-repeat; }",
        # no glyph from the theme's icon font: its 270 kB of web fonts are never fetched
        ".fa::before, .fas::before, .far::before, .fab::before, .fa-solid::before,"
        " .fa-regular::before, .fa-brands::before { content: none !important; }",
        ".fa-lg { font-size: 1.25em; vertical-align: -0.2em; }",
        ".fa-fw { width: 1.25em; }",
    ]
    missing = []
    for pack, name in sorted(used):
        order = {"fab": ("fab", "fas"), "far": ("far", "fas"), "fas": ("fas", "fab")}[pack]
        found = next((packs[p][name] for p in order if name in packs[p]), None)
        if found is None:
            missing.append(f"{pack} fa-{name}")
            continue
        width, height, path = found
        svg = (
            f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'>"
            f"<path d='{path}'/></svg>"
        )
        uri = "data:image/svg+xml," + quote(svg, safe="/:=' ")
        if pack == "fas":
            selector = f".fa-{name}"
        else:
            long_name = "brands" if pack == "fab" else "regular"
            selector = f".{pack}.fa-{name}, .fa-{long_name}.fa-{name}"
        rules.append(
            f'{selector} {{ --xent-fa: url("{uri}"); --xent-fa-ratio: {width / height:.4f}; }}'
        )
    return "\n".join(rules) + "\n", missing


def _write_icons(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder is None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    script = _theme_font_awesome()
    packs = font_awesome_icons(script.read_text(encoding="utf8"))
    css, missing = icons_css(_used_icons(outdir), packs)
    for icon in missing:
        logger.warning("the icon %s is not in %s", icon, script, type="xent_book", subtype="icons")
    (outdir / "_static" / ICONS_CSS).write_text(css, encoding="utf8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_assets)
    app.add_css_file("xent.css")
    app.add_css_file(ICONS_CSS)
    app.add_js_file("xent-theme.js")
    app.connect("build-finished", _write_icons)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""Citations: author-year everywhere, and the API's docstring references linked.

* **One style in the text and in the bibliography.** The reference style
  ``author_year_round`` gives "(Shannon, 1948)" and "Shannon (1948)" in the text
  (``bibtex_reference_style`` in ``_config.yml``); the bibliography style ``author_year``
  labels each entry the same way, "Shannon, 1948", instead of a number, and sorts the list
  by author and year (``bibtex_default_style``).
* **Docstring references become citations.** A docstring's ``References:`` section is plain
  text in ``xent/`` ("Shannon, C. E. (1948). A mathematical theory ..."), readable in
  ``help()``. When the API reference is built, an ``autodoc-process-docstring`` hook finds the
  entry of ``book/references.bib`` with the same first author and year, and turns the
  "authors (year)" part into ``:cite:t:`key```: "Shannon (1948)", linked to the bibliography.
  A reference with no entry in the bibliography is a warning (an error under ``-W``): add
  the entry to ``book/references.bib``.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_NAME = r"(?:[a-z]+ )*[^\W\d_][\w'’-]*"  # "Shannon", "Csiszár", "van den Oord"
_INITIALS = r"[A-Z]\.(?:[ -]?[A-Z]\.)*"  # "C. E.", "T.-Y."
_PERSON = rf"{_NAME}, {_INITIALS}"
#: One reference's authors and year: "Goodfellow, I., Bengio, Y. and Courville, A. (2016)".
_REFERENCE = re.compile(
    rf"(?P<authors>(?P<first>{_NAME}), {_INITIALS}(?:(?:,? and |, ){_PERSON})*(?: et al\.)?)"
    r" \((?P<year>\d{4})[a-z]?\)"
)
_SECTION = re.compile(r"^(?P<indent>\s*)References:\s*$")


def _decode(latex: str) -> str:
    """BibTeX text to plain text: ``M{\\"u}ller`` -> ``Müller``, ``{SymPy}`` -> ``SymPy``."""
    import codecs

    import latexcodec  # noqa: F401 - registers the "ulatex" codec (a pybtex dependency)

    return codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")


def _plain(name: str) -> str:
    """``Csiszár`` -> ``csiszar``; ``van den Oord`` -> ``oord``."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", ascii_only)
    return (words[-1] if words else ascii_only).lower()


# --------------------------------------------------------------------------- styles
def _register_styles() -> None:
    from pybtex.plugin import register_plugin as register_pybtex_plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle
    from sphinxcontrib.bibtex.plugin import register_plugin
    from sphinxcontrib.bibtex.style.referencing import BracketStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    def round_brackets() -> BracketStyle:
        # several works in one citation: (Cover and Thomas, 2006; MacKay, 2003)
        return BracketStyle(left="(", right=")", sep="; ")

    @dataclasses.dataclass
    class AuthorYearRoundReferenceStyle(AuthorYearReferenceStyle):
        """Author-year references in round brackets: (Shannon, 1948), Shannon (1948)."""

        bracket_textual: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_author: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_label: BracketStyle = dataclasses.field(default_factory=round_brackets)
        bracket_year: BracketStyle = dataclasses.field(default_factory=round_brackets)

    class AuthorYearLabelStyle(BaseLabelStyle):
        """Bibliography labels as the text cites: "Shannon, 1948", "Cover and Thomas, 2006"."""

        def format_labels(self, sorted_entries: Any) -> Any:
            entries = list(sorted_entries)
            labels = [self._label(entry) for entry in entries]
            # two works of one author and year: "Stanford CS231n, n.d.-a", "... n.d.-b"
            seen: dict[str, int] = {}
            for label in labels:
                seen[label] = seen.get(label, 0) + 1
            counter: dict[str, int] = {}
            for label in labels:
                if seen[label] == 1:
                    yield label
                    continue
                counter[label] = counter.get(label, 0) + 1
                yield f"{label}-{chr(ord('a') + counter[label] - 1)}"

        @staticmethod
        def _label(entry: Any) -> str:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_decode(" ".join(p.prelast_names + p.last_names)) for p in people]
            if not names:
                who = entry.fields.get("organization") or entry.fields.get("key") or entry.key
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            return f"{_decode(str(who))}, {entry.fields.get('year', 'n.d.')}"

    class AuthorYearStyle(PlainStyle):
        """pybtex's plain style, labelled and sorted by author and year."""

        default_label_style = AuthorYearLabelStyle
        default_sorting_style = "author_year_title"

    register_plugin(
        "sphinxcontrib.bibtex.style.referencing",
        "author_year_round",
        AuthorYearRoundReferenceStyle,
        force=True,
    )
    register_pybtex_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle, force=True)
    register_pybtex_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle, force=True)
    # sphinxcontrib-bibtex asks pybtex for its plain-text backend at every citation, and
    # pybtex looks it up among the entry points of every installed distribution unless it
    # is registered at run time: 25 ms a citation, 3 to 5 s of each build.
    from pybtex.plugin import find_plugin

    plaintext = find_plugin("pybtex.backends", "plaintext")
    register_pybtex_plugin("pybtex.backends", "plaintext", plaintext, force=True)


# --------------------------------------------------------------------------- docstrings
def _bibliography_index(app: Sphinx) -> dict[tuple[str, str], list[str]]:
    """(first author's surname, year) -> keys of the entries of the book's .bib files."""
    from pybtex.database import parse_file

    index: dict[tuple[str, str], list[str]] = {}
    for name in app.config.bibtex_bibfiles:
        database = parse_file(str(Path(app.srcdir) / name), bib_format="bibtex")
        for key, entry in database.entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            if not people:
                continue
            surname = _plain(_decode(" ".join(people[0].last_names)))
            index.setdefault((surname, entry.fields.get("year", "")), []).append(key)
    return index


def cite_references(lines: list[str], index: dict[tuple[str, str], list[str]]) -> list[str]:
    """Turn each reference's "authors (year)" in ``lines`` into a ``:cite:t:``, in place.

    A ``References:`` section's lines are joined into one (a reference may span lines, and
    a line may hold the end of one reference and the start of the next). Returns the
    references that match no entry of ``index``, as "Surname (year)".
    """
    unmatched: list[str] = []

    def cite(match: re.Match[str]) -> str:
        surname, year = _plain(match.group("first")), match.group("year")
        keys = sorted(set(index.get((surname, year), [])))
        if not keys:  # an arXiv year against a proceedings year: one year apart at most
            near = (str(int(year) + step) for step in (-1, 1))
            keys = sorted({key for y in near for key in index.get((surname, y), [])})
        if len(keys) != 1:
            unmatched.append(f"{match.group('first')} ({year})")
            return match.group(0)
        return f":cite:t:`{keys[0]}`"

    number = 0
    while number < len(lines):
        section = _SECTION.match(lines[number])
        number += 1
        if not section:
            continue
        indent = section.group("indent")
        end = number
        while end < len(lines) and lines[end].startswith(indent + " ") and lines[end].strip():
            end += 1
        if end == number:
            continue
        body = " ".join(line.strip() for line in lines[number:end])
        inner = lines[number][: len(lines[number]) - len(lines[number].lstrip())]
        lines[number:end] = [inner + _REFERENCE.sub(cite, body)]
        number += 1
    return unmatched


def _process_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    index = getattr(app.env, "xent_bibliography_index", None)
    if index is None:
        index = _bibliography_index(app)
        app.env.xent_bibliography_index = index  # type: ignore[attr-defined]
    for missing in cite_references(lines, index):
        logger.warning(
            "%s: the reference %s has no entry in the bibliography (book/references.bib)",
            name,
            missing,
            type="xent_book",
            subtype="citation",
        )


def _forget_index(app: Sphinx, *args: object) -> None:
    if hasattr(app.env, "xent_bibliography_index"):
        del app.env.xent_bibliography_index


def setup(app: Sphinx) -> dict[str, Any]:
    _register_styles()
    # before napoleon (priority 500) turns the "References:" section into a rubric
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
    app.connect("env-before-read-docs", _forget_index)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""One look for every figure of the course: sizes, fonts and colour-blind-safe colours.

A chapter starts its first plotting cell with::

    import matplotlib.pyplot as plt
    from xent.plotting import COLORS, use_style

    use_style()

and then plots as usual. The colour cycle is the Okabe-Ito palette, which stays
distinguishable under the common colour-vision deficiencies, and each colour comes with its
own line style so that curves also stay distinct in greyscale print.

The chapters also hand the numbers they compute to the website's text with :func:`glue`.

matplotlib is imported inside the functions only: ``import xent`` never needs it.

References:
    Okabe, M. and Ito, K. (2008). *Color Universal Design (CUD): How to make figures and
    presentations that are friendly to colorblind people*. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "CYCLE",
    "GLUE_PREFIX",
    "LINESTYLES",
    "MARKERS",
    "STYLE",
    "glue",
    "new_figure",
    "use_style",
]

#: The Okabe-Ito palette, by name.
COLORS: Mapping[str, str] = MappingProxyType(
    {
        "blue": "#0072B2",
        "vermillion": "#D55E00",
        "bluish_green": "#009E73",
        "orange": "#E69F00",
        "reddish_purple": "#CC79A7",
        "sky_blue": "#56B4E9",
        "yellow": "#F0E442",
        "black": "#000000",
    }
)

#: The colour cycle. Dark and light colours alternate, so that neighbouring curves differ
#: in greyscale too; yellow is last because it is faint on white.
CYCLE: tuple[str, ...] = (
    COLORS["blue"],
    COLORS["vermillion"],
    COLORS["bluish_green"],
    COLORS["orange"],
    COLORS["reddish_purple"],
    COLORS["sky_blue"],
    COLORS["black"],
    COLORS["yellow"],
)

#: A line style for each colour of :data:`CYCLE` (cycled together with it).
LINESTYLES: tuple[Any, ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1)),
    (0, (3, 1, 1, 1, 1, 1)),
    (0, (1, 3)),
    (0, (8, 2, 2, 2)),
)

#: Markers to pair with :data:`CYCLE` in scatter plots or sparse line plots
#: (``ax.plot(x, y, marker=MARKERS[i])``); they are not in the default cycle because
#: dense curves would drown in them.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

#: The rcParams set by :func:`use_style` (without the property cycle).
STYLE: Mapping[str, Any] = MappingProxyType(
    {
        # 600 x 350 CSS pixels inline, drawn at twice that resolution in a notebook (see
        # use_style): sharp on high-density screens, and still a light page.
        "figure.figsize": (6.0, 3.5),
        "figure.dpi": 100,
        "figure.constrained_layout.use": True,
        "figure.facecolor": "white",
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "savefig.facecolor": "white",
        # A phone shows a 600-pixel figure at about 60 %: 10-point tick labels stay near
        # 8 CSS pixels there (9-point ones fell to 6 or 7).
        "font.size": 11.0,
        "axes.titlesize": 12.0,
        "axes.titleweight": "normal",
        "axes.labelsize": 11.0,
        "xtick.labelsize": 10.0,
        "ytick.labelsize": 10.0,
        "legend.fontsize": 10.0,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
        "lines.linewidth": 2.0,
        "lines.markersize": 5.0,
        "image.cmap": "viridis",
    }
)


def use_style(**overrides: Any) -> None:
    """Set the course's matplotlib style for every figure that follows.

    The settings are those of :data:`STYLE`, plus a property cycle that pairs each colour of
    :data:`CYCLE` with a line style of :data:`LINESTYLES`. Inside a Jupyter kernel, inline
    figures are also switched to ``retina``: PNGs at twice the resolution, shown at the
    size of :data:`STYLE` (crisp on high-density screens; PNG rather than SVG, which is
    heavier for dense plots and which strict nbval would compare byte for byte). Keyword
    arguments override individual rcParams; their names contain dots, so pass them as a
    dictionary:
    ``use_style(**{"figure.figsize": (6.0, 6.0)})``.

    Args:
        **overrides: rcParams to set after the course's defaults.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from xent.plotting import COLORS, use_style
        >>> use_style()
        >>> plt.rcParams["figure.figsize"]
        [6.0, 3.5]
        >>> fig, ax = plt.subplots()
        >>> first, second = ax.plot([0, 1], [0, 1]), ax.plot([0, 1], [1, 0])
        >>> first[0].get_color() == COLORS["blue"], second[0].get_linestyle()
        (True, '--')
        >>> plt.close(fig)
        >>> matplotlib.rc_file_defaults()  # leave the doctest's process as it found it
    """
    import matplotlib as mpl
    from cycler import cycler

    settings: dict[str, Any] = dict(STYLE)
    settings["axes.prop_cycle"] = cycler(color=list(CYCLE)) + cycler(linestyle=list(LINESTYLES))
    settings.update(overrides)
    # RcParams is typed with a Literal of the known keys; the keys here are checked at run time.
    rc_params: Any = mpl.rcParams
    rc_params.update(settings)
    _retina_inline_figures()


def _retina_inline_figures() -> None:
    """Ask the notebook's inline backend for 2x PNGs shown at 1x width; nothing outside Jupyter."""
    import importlib

    try:
        ipython: Any = importlib.import_module("IPython")
    except ImportError:  # plain Python without IPython: no inline figures to set up
        return
    shell = ipython.get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a script, or a terminal IPython
        return
    inline: Any = importlib.import_module("matplotlib_inline.backend_inline")
    inline.set_matplotlib_formats("retina")
    pylabtools: Any = importlib.import_module("IPython.core.pylabtools")
    from matplotlib.figure import Figure

    def png_2x(figure: Figure) -> tuple[str, dict[str, int]] | None:
        # IPython's retina PNG carries both display width and height; a page narrower than
        # the figure (a phone) would then squash it. Keep the width only: the browser scales
        # the height with it.
        result = pylabtools.retina_figure(figure, base64=True, bbox_inches="tight")
        if result is None:  # an empty figure shows nothing
            return None
        data, metadata = result
        return data, {"width": metadata["width"]}

    shell.display_formatter.formatters["image/png"].for_type(Figure, png_2x)


#: The prefix myst-nb puts on the MIME types of a value glued without being shown.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Hand ``variable`` to the website's text under ``name``; show it too when ``display``.

    On the website, ``{glue}`name``` in a chapter's text prints the value as the notebook
    computed it. This writes the output that myst-nb's own ``glue`` writes (the value's
    display formats, under :data:`GLUE_PREFIX` when it is not shown, with its name in the
    ``scrapbook`` metadata), without importing myst-nb: its ``glue`` loads Sphinx and
    nbformat, 2 seconds of every chapter. It writes it wherever the notebook runs, myst-nb
    installed or not, so that a chapter gives the same outputs on a laptop, on Binder and
    for the website; JupyterLab shows nothing for a value glued without being shown.

    Args:
        name: the key the chapter's text uses.
        variable: any object IPython can display (a number, a string, a figure).
        display: show the value in the notebook as well.

    Examples:
        Outside IPython there is nothing to glue into; a shown value is printed:

        >>> from xent.plotting import glue
        >>> glue("answer", 42)
        42
        >>> glue("hidden", 42, display=False)
    """
    import importlib

    try:
        ipython: Any = importlib.import_module("IPython")
    except ImportError:  # plain Python: print what would be shown
        if display:
            print(variable)
        return
    show = importlib.import_module("IPython.display").display
    if ipython.get_ipython() is None:  # a script: nothing records outputs
        if display:
            show(variable)
        return
    formatters: Any = importlib.import_module("IPython.core.formatters")
    bundle, metadata = formatters.format_display_data(variable)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    show({prefix + kind: value for kind, value in bundle.items()}, raw=True, metadata=metadata)


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float] | None = None,
    **subplots_kwargs: Any,
) -> tuple[Figure, Any]:
    """Apply :func:`use_style` and return ``plt.subplots(nrows, ncols, ...)``.

    With several panels the default width stays 6 inches and the height grows with the
    number of rows, so a page never gets a figure wider than its text.

    Args:
        nrows: number of rows of axes.
        ncols: number of columns of axes.
        figsize: ``(width, height)`` in inches; default ``(6, 3.5)`` for one row, and
            ``(6, 2.5 * nrows + 1)`` for more.
        **subplots_kwargs: passed to :func:`matplotlib.pyplot.subplots`.

    Returns:
        ``(fig, ax)`` for one panel, ``(fig, axes)`` with an array of axes otherwise,
        exactly as :func:`matplotlib.pyplot.subplots` returns them.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from xent.plotting import new_figure
        >>> fig, ax = new_figure()
        >>> fig.get_size_inches().tolist()
        [6.0, 3.5]
        >>> fig2, axes = new_figure(2, 2)
        >>> axes.shape, fig2.get_size_inches().tolist()
        ((2, 2), [6.0, 6.0])
        >>> plt.close("all")
        >>> matplotlib.rc_file_defaults()
    """
    import matplotlib.pyplot as plt

    use_style()
    if figsize is None:
        figsize = (6.0, 3.5) if nrows == 1 else (6.0, 2.5 * nrows + 1.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **subplots_kwargs)
    return fig, axes

#!/usr/bin/env bash
# System packages the test suite needs beyond Python:
# - Debian's Chromium and its driver, for the browser tests of the website (Playwright drives
#   this browser; it never downloads one);
# - bubblewrap (bwrap) and util-linux's setpriv, the grader's sandbox for students' notebooks;
# - the TeX the PDF of the book needs (jupyter-book build . --builder pdflatex, which Jupyter
#   Book runs with xelatex), about 450 MB: latexmk and xelatex, the LaTeX packages of Sphinx
#   and Jupyter Book (latex-recommended, latex-extra, fonts-recommended), the FreeFont OpenType
#   fonts Sphinx sets for xelatex, and poppler's pdftotext/pdfinfo for the test that reads the
#   PDF. Not texlive-fonts-extra (1.45 GB): book/_ext/latex/bbm.sty stands in for the one
#   package of it that Jupyter Book loads.
set -euo pipefail
missing=0
for command in chromium chromedriver bwrap setpriv xelatex latexmk pdftotext pdfinfo kpsewhich fc-list; do
    command -v "$command" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
    # a TeX installation without the packages the book's PDF loads counts as missing
    for style in fncychap.sty ucharclasses.sty unicode-math.sty changepage.sty pgfplots.sty \
        mathrsfs.sty; do
        kpsewhich "$style" >/dev/null 2>&1 || missing=1
    done
    fc-list : family | grep FreeSerif >/dev/null || missing=1
fi
if [ "$missing" -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver bubblewrap util-linux \
    latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
    fonts-freefont-otf poppler-utils

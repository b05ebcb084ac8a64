#!/usr/bin/env bash
# System packages the test suite needs beyond Python:
# - Debian's Chromium and its driver, for the browser tests of the website (Playwright drives
#   this browser; it never downloads one);
# - bubblewrap (bwrap) and util-linux's setpriv, the grader's sandbox for students' notebooks;
# - the TeX the PDF of the book needs (jupyter-book build . --builder pdflatex), about 400 MB:
#   latexmk and pdflatex, the LaTeX packages of Sphinx and Jupyter Book (latex-recommended,
#   latex-extra, fonts-recommended), the TeX Gyre fonts, and poppler's pdftotext for the test
#   that reads the PDF. Not texlive-fonts-extra (1.45 GB): book/_ext/latex/bbm.sty stands in
#   for the one package of it that Jupyter Book loads.
set -euo pipefail
missing=0
for command in chromium chromedriver bwrap setpriv pdflatex latexmk pdftotext kpsewhich; do
    command -v "$command" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
    # a TeX installation without the packages the book's PDF loads counts as missing
    for style in fncychap.sty tgtermes.sty changepage.sty pgfplots.sty mathrsfs.sty; do
        kpsewhich "$style" >/dev/null 2>&1 || missing=1
    done
fi
if [ "$missing" -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver bubblewrap util-linux \
    latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended tex-gyre \
    poppler-utils

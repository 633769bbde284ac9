#!/bin/sh
# Write report.html in the current directory: the recommend report (HTML, one self-contained page)
# of the shipped first-line example patient. Needs: pip install 'hcc-asp[report]' (and Graphviz's
# dot for the pictures on the why-not pages). Open report.html in any browser, or print it.
set -eu
hcc-asp recommend "$(dirname "$0")/first-line-complete.yaml" --format html > report.html
echo "wrote report.html"

"""Allow ``python -m hcc_asp`` (the same process set-up as the ``hcc-asp`` console script)."""

from hcc_asp.console import run

run()

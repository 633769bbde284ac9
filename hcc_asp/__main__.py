"""Allow ``python -m hcc_asp``."""

from hcc_asp.cli import main

main()

"""`python -m dateline`."""

from dateline.cli import run

run()

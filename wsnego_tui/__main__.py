"""`python -m wsnego_tui` runs the command-line entry point."""

from wsnego_tui.cli import main

main()

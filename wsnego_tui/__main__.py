"""`python -m wsnego_tui` runs the command-line entry point."""

from wsnego_tui.launch import main

main()

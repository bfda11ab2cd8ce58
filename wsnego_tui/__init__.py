"""wsnego-tui: self-service repayment negotiation (协商还款) in the terminal.

Importing the package is cheap: it must never import textual, SQLModel or the database layer.
"""

__version__ = "0.1.0"

"""Pure domain: money, the schedule calculator, annualized rates, policy and review rules.

Nothing in this package imports textual, rich, SQLModel, SQLAlchemy or touches files or the
network; a test proves it.
"""

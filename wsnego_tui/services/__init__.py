"""Use cases (open the database, log in, list loans, ...) joining the core and the store.

Screens call these from thread workers, never from the UI thread, and get plain objects from
`wsnego_tui.core.views` back. Importing this package is cheap: the store (and with it SQLModel)
is imported on first use, inside the worker.
"""

from wsnego_tui.services.api import SchemaOutdated, ServiceError, Services

__all__ = ["SchemaOutdated", "ServiceError", "Services"]

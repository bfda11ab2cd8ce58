"""The services facade the screens, the CLI and the tests talk to.

Each method is one use case in one transaction, and hands back plain objects from
`wsnego_tui.core.views`, never ORM rows. Methods block (database work): screens call them from
thread workers. The store (and SQLModel) is imported on first use, so importing this module
costs almost nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from decimal import Decimal
from typing import TYPE_CHECKING

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import Clock, SystemClock, today
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.pins import UNKNOWN_CUSTOMER_HASH, is_well_formed_pin, verify_pin
from wsnego_tui.core.policy import DEFAULT_POLICY, Policy, load_policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import (
    CustomerView,
    ApplicationView,
    DatabaseState,
    LoanDetail,
    LoanSummary,
    LoginOutcome,
    LoginResult,
    PaymentReceipt,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

MAX_LOGIN_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


class SchemaOutdated(RuntimeError):
    """The database schema is older than this version of the app (PostgreSQL: run `db upgrade`)."""


class ServiceError(Exception):
    """A use case refused: the message is for the user, `code` for translations and tests."""

    def __init__(self, code: str, message: str, fields: dict | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(message)
        self.code = code
        self.fields = fields or {}
        """Form errors by field name (core.application_form.FieldError), when the refusal is
        about what was entered."""


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None, policy: Policy | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        if policy is None and settings.policy_file is not None:
            policy = load_policy(settings.policy_file)  # PolicyError names the file and the key
        self.policy = policy or DEFAULT_POLICY
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------------

    @property
    def engine(self) -> "Engine":
        with self._engine_lock:
            if self._engine is None:
                from wsnego_tui.store.engine import create_db_engine

                self._engine = create_db_engine(self.settings.db_url)
            return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _write(self):  # type: ignore[no-untyped-def]
        from wsnego_tui.store.engine import write_session

        return write_session(self.engine)

    def _read(self):  # type: ignore[no-untyped-def]
        from wsnego_tui.store.engine import read_session

        return read_session(self.engine)

    def _audit(self, session: "Session", actor: str, action: str, subject: str, **detail: object) -> None:
        from wsnego_tui.store import audit

        audit.append(session, at=self.clock.now(), actor=actor, action=action, subject=subject, detail=detail)

    # -- database -------------------------------------------------------------------------

    def prepare(self) -> DatabaseState:
        """Open the database: SQLite is upgraded in place; an outdated PostgreSQL raises
        SchemaOutdated. Returns how many customers there are and whether all are demo ones."""
        from wsnego_tui.store import migrate

        if self.engine.dialect.name == "sqlite":
            if not migrate.is_current(self.engine):
                migrate.upgrade(self.engine)
        elif not migrate.is_current(self.engine):
            raise SchemaOutdated(
                "the database schema is out of date; run `wsnego-tui db upgrade` first"
            )
        return self.database_state()

    def upgrade_schema(self) -> tuple[str | None, str]:
        """Run the migrations (`wsnego-tui db upgrade`); returns (before, after) revisions."""
        from wsnego_tui.store import migrate

        before = migrate.current_revision(self.engine)
        migrate.upgrade(self.engine)
        return before, migrate.head_revision()

    def database_state(self) -> DatabaseState:
        from sqlmodel import func, select

        from wsnego_tui.store.models import Customer

        with self._read() as s:
            total = s.exec(select(func.count()).select_from(Customer)).one()
            real = s.exec(select(func.count()).select_from(Customer).where(Customer.is_demo == False)).one()  # noqa: E712
        return DatabaseState(customers=total, demo_only=real == 0)

    def load_demo(self) -> int:
        """Seed the demo borrowers and officers; refuses a database that holds real customers.
        Returns how many demo customers were added (0 when they are already there)."""
        from wsnego_tui.store import demo

        with self._write() as s:
            added = demo.load(s, today(self.clock), self.clock.now(), self.policy)
            if added:
                self._audit(s, "system", "demo.load", "database", customers=added)
        return added

    # -- customers ------------------------------------------------------------------------

    def login(self, customer_no: str, pin: str) -> LoginResult:
        """Check a customer number and PIN. A wrong number and a wrong PIN get the same answer
        and cost the same time; five wrong PINs lock the customer for 15 minutes (the counter
        lives in the database, shared by every session)."""
        from sqlmodel import select

        from wsnego_tui.store.models import Customer

        now = self.clock.now()
        with self._write() as s:
            customer = s.exec(select(Customer).where(Customer.customer_no == customer_no)).first()
            stored = customer.pin_hash if customer else UNKNOWN_CUSTOMER_HASH
            pin_ok = is_well_formed_pin(pin) and verify_pin(pin, stored)
            subject = f"customer:{_digits(customer_no)}"
            if customer is None:
                self._audit(s, "anonymous", "login.rejected", subject)
                return LoginResult(LoginOutcome.REJECTED)
            if customer.locked_until is not None and customer.locked_until > now:
                self._audit(s, "anonymous", "login.locked", subject)
                return LoginResult(LoginOutcome.LOCKED, locked_until=customer.locked_until)
            if not pin_ok:
                customer.failed_logins += 1
                locked_until = None
                if customer.failed_logins >= MAX_LOGIN_FAILURES:
                    locked_until = customer.locked_until = now + LOCKOUT
                    customer.failed_logins = 0
                customer.version += 1
                s.add(customer)
                self._audit(s, "anonymous", "login.rejected", subject, locked=locked_until is not None)
                if locked_until is not None:
                    return LoginResult(LoginOutcome.LOCKED, locked_until=locked_until)
                return LoginResult(LoginOutcome.REJECTED)
            customer.failed_logins = 0
            customer.locked_until = None
            customer.version += 1
            s.add(customer)
            self._audit(s, subject, "login.ok", subject)
            return LoginResult(LoginOutcome.OK, customer=_customer_view(customer))

    def customer(self, customer_id: int) -> CustomerView:
        from wsnego_tui.store.models import Customer

        with self._read() as s:
            row = s.get(Customer, customer_id)
            if row is None:
                raise ServiceError("no_customer", "no such customer")
            return _customer_view(row)

    # -- loans ----------------------------------------------------------------------------

    def loans_of(self, customer_id: int) -> list[LoanSummary]:
        from sqlmodel import select

        from wsnego_tui.store import queries
        from wsnego_tui.store.models import Loan

        day = today(self.clock)
        with self._read() as s:
            loans = s.exec(select(Loan).where(Loan.customer_id == customer_id).order_by(Loan.id)).all()
            return [queries.loan_summary(s, loan, day, self.policy) for loan in loans]

    def loan_detail(self, customer_id: int, loan_id: int) -> LoanDetail:
        """A loan of this customer with every plan and its history. Another customer's loan is
        reported exactly like a loan that does not exist."""
        from wsnego_tui.store import queries
        from wsnego_tui.store.models import Loan

        with self._read() as s:
            loan = s.get(Loan, loan_id)
            if loan is None or loan.customer_id != customer_id:
                raise ServiceError("no_loan", "no such loan")
            return queries.loan_detail(s, loan, today(self.clock), self.policy)

    # -- applications -----------------------------------------------------------------------

    def _application_call(self, customer_id: int, application_id: int, change) -> ApplicationView:  # type: ignore[no-untyped-def]
        """Run `change(session, row)` on the customer's application under the write lock and
        return the application as it then stands."""
        from wsnego_tui.store import applications as apps

        try:
            with self._write() as s:
                row = apps.load_for_update(s, customer_id, application_id)
                change(s, row)
                s.flush()
                return apps.to_view(s, row, self.policy)
        except apps.ApplicationRefused as exc:
            raise ServiceError(exc.code, str(exc), exc.fields) from None

    def start_application(self, customer_id: int, loan_id: int, kind: ApplicationKind) -> ApplicationView:
        """The draft for this loan and kind: resumed if one was started, else a new one."""
        from wsnego_tui.store import applications as apps

        try:
            with self._write() as s:
                row = apps.start(s, customer_id, loan_id, kind, self.clock.now())
                return apps.to_view(s, row, self.policy)
        except apps.ApplicationRefused as exc:
            raise ServiceError(exc.code, str(exc)) from None

    def application(self, customer_id: int, application_id: int) -> ApplicationView:
        from wsnego_tui.store import applications as apps

        try:
            with self._read() as s:
                return apps.to_view(s, apps.load(s, customer_id, application_id), self.policy)
        except apps.ApplicationRefused as exc:
            raise ServiceError(exc.code, str(exc)) from None

    def save_application_form(
        self, customer_id: int, application_id: int, form: FormFields, *, version: int | None
    ) -> ApplicationView:
        """Save the draft's form; a field that breaks a rule is refused and nothing is saved."""
        from wsnego_tui.store import applications as apps

        now, day = self.clock.now(), today(self.clock)
        return self._application_call(
            customer_id, application_id,
            lambda s, row: apps.save_form(s, row, form, version=version, now=now, policy=self.policy, today=day),
        )

    def attach_proof(self, customer_id: int, application_id: int, kind: ProofKind, path: Path) -> ApplicationView:
        """Check the file, copy it into the proof store, and attach it."""
        from wsnego_tui.services.proof_files import ProofRejected, ingest
        from wsnego_tui.store import applications as apps

        self.application(customer_id, application_id)  # refuse early for a foreign application
        try:
            stored = ingest(
                path,
                allowed_roots=self.settings.proof_roots,
                store_dir=self.settings.paths.proofs_dir,
                max_bytes=self.policy.proof_max_bytes,
            )
        except ProofRejected as exc:
            raise ServiceError(exc.code, str(exc)) from None
        now = self.clock.now()

        def change(s, row):  # type: ignore[no-untyped-def]
            apps.attach_proof(
                s, row, kind=kind, sha256=stored.sha256, size_bytes=stored.size_bytes,
                media_type=stored.media_type, original_name=stored.original_name, now=now, policy=self.policy,
            )
            self._audit(s, f"customer:{customer_id}", "proof.attach", f"application:{row.id}",
                        kind=kind, sha256=stored.sha256, size=stored.size_bytes)

        return self._application_call(customer_id, application_id, change)

    def remove_proof(self, customer_id: int, application_id: int, proof_id: int) -> ApplicationView:
        from wsnego_tui.store import applications as apps

        now = self.clock.now()
        return self._application_call(
            customer_id, application_id, lambda s, row: apps.remove_proof(s, row, proof_id, now)
        )

    def submit_application(
        self, customer_id: int, application_id: int, *, version: int | None, idempotency_key: str
    ) -> ApplicationView:
        """Submit for review. Refused, naming what is missing, until the form is complete and
        the required proofs are attached; pressing it twice submits once."""
        from wsnego_tui.store import applications as apps

        now, day = self.clock.now(), today(self.clock)

        def change(s, row):  # type: ignore[no-untyped-def]
            before = row.status
            apps.submit(s, row, version=version, now=now, policy=self.policy, today=day, idempotency_key=idempotency_key)
            if row.status != before:
                self._audit(s, f"customer:{customer_id}", "application.submit", f"application:{row.id}",
                            kind=row.kind, income=row.monthly_income, expenses=row.essential_expenses)

        return self._application_call(customer_id, application_id, change)

    def withdraw_application(self, customer_id: int, application_id: int) -> ApplicationView:
        from wsnego_tui.store import applications as apps

        now = self.clock.now()

        def change(s, row):  # type: ignore[no-untyped-def]
            apps.withdraw(s, row, now=now)
            self._audit(s, f"customer:{customer_id}", "application.withdraw", f"application:{row.id}")

        return self._application_call(customer_id, application_id, change)

    def pay(self, loan_id: int, amount: Decimal, idempotency_key: str, *, actor: str) -> PaymentReceipt:
        """Apply a payment to a loan's active plan (overdue first, oldest first; penalty →
        interest → principal). The same idempotency key never pays twice: the first receipt
        comes back instead. Paying more than is owed is refused."""
        from sqlalchemy.exc import IntegrityError

        from wsnego_tui.store import queries

        try:
            with self._write() as s:
                replay = queries.find_payment(s, idempotency_key)
                if replay is not None:
                    return replay
                receipt = queries.apply_payment(
                    s, loan_id, amount, idempotency_key, today(self.clock), self.clock.now(), self.policy
                )
                self._audit(
                    s, actor, "payment", f"loan:{receipt.loan_no}",
                    receipt=receipt.receipt_no, amount=receipt.amount, to_penalty=receipt.to_penalty,
                    to_interest=receipt.to_interest, to_principal=receipt.to_principal,
                )
                return receipt
        except IntegrityError:
            # A concurrent session committed the same idempotency key first.
            with self._read() as s:
                replay = queries.find_payment(s, idempotency_key)
            if replay is None:
                raise
            return replay
        except queries.PaymentRefused as exc:
            raise ServiceError(exc.code, str(exc)) from None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())[:16]


def _customer_view(row) -> CustomerView:  # type: ignore[no-untyped-def]
    return CustomerView(id=row.id, customer_no=row.customer_no, name=row.name)


__all__ = ["SchemaOutdated", "ServiceError", "Services"]

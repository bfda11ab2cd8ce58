"""The services facade the screens, the CLI and the tests talk to.

Each method is one use case in one transaction, and hands back plain objects from
`wsnego_tui.core.views`, never ORM rows. Methods block (database work): screens call them from
thread workers. The store (and SQLModel) is imported on first use, so importing this module
costs almost nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace
from pathlib import Path
from decimal import Decimal
from typing import TYPE_CHECKING

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import Clock, SystemClock, today
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.pins import UNKNOWN_CUSTOMER_HASH, PinCheck
from wsnego_tui.core.policy import DEFAULT_POLICY, Policy, load_policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import (
    CustomerView,
    ApplicationView,
    CurrentPlanView,
    DatabaseState,
    LoanDetail,
    LoanSummary,
    LoginOutcome,
    LoginResult,
    NotificationView,
    OfferView,
    PaymentOptions,
    PaymentPreview,
    PaymentReceipt,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from wsnego_tui.services.proof_files import InboxWindow

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
        if policy is None and settings.review_delay_seconds is not None:
            self.policy = replace(self.policy, review_delay_seconds=settings.review_delay_seconds)
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
        self.record_policy()
        return self.database_state()

    def record_policy(self) -> bool:
        """Write the policy in force to the audit log when it differs from the one last recorded
        there (a bank edited its policy file, or a process runs with another one). Returns
        whether it was recorded. Reads first, so an unchanged policy costs no write."""
        from wsnego_tui.core.policy import policy_values
        from wsnego_tui.store import audit

        values = policy_values(self.policy)
        with self._read() as s:
            if audit.recorded_policy(s) == values:
                return False
        source = str(self.settings.policy_file) if self.settings.policy_file is not None else "default"
        with self._write() as s:
            return audit.record_policy(s, at=self.clock.now(), values=values, source=source)

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

    def pin_check(self, customer_no: str, pin: str) -> PinCheck:
        """The slow half of `login`: `pin` checked (scrypt) against the hash a plain read finds
        for `customer_no`, with no lock held. It answers nothing and counts no attempt; a
        log-in form starts it once the PIN is complete and passes it to `login`."""
        from sqlmodel import select

        from wsnego_tui.store.models import Customer

        with self._read() as s:
            stored = s.exec(select(Customer.pin_hash).where(Customer.customer_no == customer_no)).first()
        return PinCheck(pin, stored or UNKNOWN_CUSTOMER_HASH)

    def login(self, customer_no: str, pin: str, check: PinCheck | None = None) -> LoginResult:
        """Check a customer number and PIN. A wrong number and a wrong PIN get the same answer
        and cost the same time; five wrong PINs lock the customer for 15 minutes (the counter
        lives in the database, shared by every session). `check`, from `pin_check`, saves
        scrypt's time here; one made for another PIN is ignored, and one made against a hash
        that has changed since is made again."""
        from sqlmodel import select

        from wsnego_tui.store.models import Customer

        now = self.clock.now()
        if check is None or not check.is_for(pin):
            check = self.pin_check(customer_no, pin)
        with self._write() as s:
            # FOR UPDATE: on PostgreSQL two wrong PINs at once would otherwise both read the same
            # failed_logins and write the same next value, and the lock-out would come late.
            customer = s.exec(select(Customer).where(Customer.customer_no == customer_no).with_for_update()).first()
            pin_ok = check.matches(customer.pin_hash if customer else UNKNOWN_CUSTOMER_HASH)
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

        self.catch_up(customer_id)
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

    def attach_proof(
        self, customer_id: int, application_id: int, kind: ProofKind, path: Path, *, inbox: InboxWindow | None = None
    ) -> ApplicationView:
        """Check the file, copy it into the proof store, and attach it. Refused
        ("materials_expired") once the bank's materials request is past its deadline: the
        overdue request is expired first, as catching up would. `inbox`: a kiosk's window on
        its inbox (services.proof_files.ingest)."""
        from wsnego_tui.services.proof_files import ProofRejected, ingest, remove_from_inbox
        from wsnego_tui.store import applications as apps

        self.catch_up(customer_id)
        # refuse early, before copying the file, for a foreign application or a lapsed request
        try:
            with self._read() as s:
                apps.check_materials_deadline(s, apps.load(s, customer_id, application_id), self.clock.now())
        except apps.ApplicationRefused as exc:
            raise ServiceError(exc.code, str(exc)) from None
        try:
            stored = ingest(
                path,
                allowed_roots=self.settings.proof_roots,
                store_dir=self.settings.paths.proofs_dir,
                max_bytes=self.policy.proof_max_bytes,
                inbox=inbox,
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

        view = self._application_call(customer_id, application_id, change)
        remove_from_inbox(stored)  # a kiosk's scan leaves the inbox once it is attached, not before
        return view

    def remove_proof(self, customer_id: int, application_id: int, proof_id: int) -> ApplicationView:
        from wsnego_tui.store import applications as apps

        now = self.clock.now()

        def change(s, row):  # type: ignore[no-untyped-def]
            proof = apps.remove_proof(s, row, proof_id, now)
            self._audit(s, f"customer:{customer_id}", "proof.remove", f"application:{row.id}",
                        proof=proof_id, kind=proof.kind, sha256=proof.sha256, size=proof.size_bytes)

        return self._application_call(customer_id, application_id, change)

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

    # -- review, offers, agreement --------------------------------------------------------------

    def catch_up(self, customer_id: int | None = None) -> int:
        """Do the automatic work that has fallen due (reviews, deadlines, plans completed or
        broken), for one customer or for everyone, and for one customer the reminders of
        installments due soon. Every read of a customer's loans or applications calls it first,
        so whichever process looks next does the work, once. Returns how many applications or
        plans were moved on (reminders are not counted)."""
        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Loan

        now, day = self.clock.now(), today(self.clock)
        with self._read() as s:
            due = rf.due_application_ids(s, now, self.policy, customer_id=customer_id)
            plans = rf.loans_with_plan_news(s, customer_id, day, self.policy)
            reminders = rf.due_reminders(s, customer_id, day, self.policy) if customer_id is not None else []
        if not due and not plans and not reminders:
            return 0
        moved = 0
        with self._write() as s:
            for application_id in due:
                if rf.advance(s, application_id, now, day, self.policy):
                    moved += 1
                    self._audit(s, "engine", "application.advance", f"application:{application_id}")
            for loan_id in plans:
                rf.lock_open_applications(s, loan_id)  # before the loan, as an agreement does
                loan = s.get(Loan, loan_id)
                assert loan is not None
                before = loan.status
                if not rf.settle_plan_outcome(s, loan, day, now, self.policy):
                    continue  # another session settled it between our read and our write
                moved += 1
                self._audit(s, "engine", "plan.outcome", f"loan:{loan.loan_no}", before=before, after=loan.status)
            if reminders:
                assert customer_id is not None
                rf.remind(s, customer_id, reminders, now)
        return moved

    def eligibility(self, customer_id: int, loan_id: int):  # type: ignore[no-untyped-def]
        """The negotiation kinds this loan may use now, each with its checklist
        (core.eligibility.Eligibility by kind)."""
        from wsnego_tui.core.eligibility import eligibility
        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Loan

        self.catch_up(customer_id)
        with self._read() as s:
            loan = s.get(Loan, loan_id)
            if loan is None or loan.customer_id != customer_id:
                raise ServiceError("no_loan", "no such loan")
            return eligibility(rf.loan_facts(s, loan, today(self.clock), self.policy), self.policy)

    def applications_of(self, customer_id: int, loan_id: int | None = None) -> list[ApplicationView]:
        """The customer's applications (drafts included), newest first."""
        from sqlmodel import select

        from wsnego_tui.store import applications as apps
        from wsnego_tui.store.models import Application

        self.catch_up(customer_id)
        with self._read() as s:
            query = select(Application).where(Application.customer_id == customer_id)
            if loan_id is not None:
                query = query.where(Application.loan_id == loan_id)
            rows = s.exec(query.order_by(Application.id.desc())).all()  # type: ignore[union-attr]
            return [apps.to_view(s, row, self.policy) for row in rows]

    def offers(self, customer_id: int, application_id: int) -> tuple[CurrentPlanView, list[OfferView]]:
        """The plan in force and every offer on the application, each with its full schedule."""
        from wsnego_tui.store import applications as apps
        from wsnego_tui.store import offers as offer_views

        self.catch_up(customer_id)
        try:
            with self._read() as s:
                row = apps.load(s, customer_id, application_id)
                return offer_views.current_plan(s, row.loan_id, today(self.clock), self.policy), offer_views.offers_of(s, row)
        except apps.ApplicationRefused as exc:
            raise ServiceError(exc.code, str(exc)) from None

    def answer_materials(self, customer_id: int, application_id: int, *, version: int | None) -> ApplicationView:
        """Send the requested materials back: the application is reviewed again at once.
        Refused ("materials_expired") once the request is past its deadline: the overdue
        request is expired first (catching up), and nothing of the answer is written."""
        from wsnego_tui.core.eligibility import missing_proofs
        from wsnego_tui.store import applications as apps
        from wsnego_tui.store import review_flow as rf

        self.catch_up(customer_id)
        now, day = self.clock.now(), today(self.clock)

        def change(s, row):  # type: ignore[no-untyped-def]
            apps.check_materials_deadline(s, row, now)
            if row.status != "materials_requested":
                raise apps.ApplicationRefused("not_requested", "no materials were requested")
            if version is not None and row.version != version:
                raise apps.ApplicationRefused("changed", "the application was changed elsewhere")
            still = missing_proofs(ApplicationKind(row.kind), (p.kind for p in apps.proofs_of(s, row.id)), self.policy)
            if still:
                raise apps.ApplicationRefused("missing_proofs", "required proofs are missing: " + ", ".join(still))
            # The bank's decision period starts again with the complete file: counting it from
            # the first submission could leave no time at all (or a deadline already passed).
            apps.record_status(s, row, "under_review", actor="customer", now=now,
                               deadline_at=now + dt.timedelta(days=self.policy.bank_decision_days))
            rf.run_engine(s, row, now, day, self.policy)
            self._audit(s, f"customer:{customer_id}", "application.materials", f"application:{row.id}")

        return self._application_call(customer_id, application_id, change)

    def customer_pin_check(self, customer_id: int, pin: str) -> PinCheck:
        """`pin_check` for a customer who is logged in (the agreement asks for the PIN again)."""
        from sqlmodel import select

        from wsnego_tui.store.models import Customer

        with self._read() as s:
            return PinCheck(pin, s.exec(select(Customer.pin_hash).where(Customer.id == customer_id)).one())

    def accept_offer(
        self, customer_id: int, application_id: int, offer_id: int, *, pin: str, last4: str,
        check: PinCheck | None = None,
    ) -> ApplicationView:
        """Confirm the agreement (确认协商协议): the last four digits of the customer number and
        the PIN again, then one transaction replaces the plan — or nothing changes. A wrong PIN
        counts towards the lock-out like a wrong log-in. `check` (from `customer_pin_check`)
        as for `login`."""
        from sqlmodel import select

        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Customer

        self.catch_up(customer_id)
        now, day = self.clock.now(), today(self.clock)
        if check is None or not check.is_for(pin):
            check = self.customer_pin_check(customer_id, pin)
        with self._write() as s:
            customer = s.exec(select(Customer).where(Customer.id == customer_id).with_for_update()).one()
            if last4 != customer.customer_no[-4:]:
                raise ServiceError("last4", "the last four digits of the customer number do not match")
            if customer.locked_until is not None and customer.locked_until > now:
                raise ServiceError("locked", "too many wrong PINs; try again later")
            if not check.matches(customer.pin_hash):
                customer.failed_logins += 1
                if customer.failed_logins >= MAX_LOGIN_FAILURES:
                    customer.locked_until = now + LOCKOUT
                    customer.failed_logins = 0
                s.add(customer)
                self._audit(s, f"customer:{customer_id}", "agreement.pin_rejected", f"application:{application_id}")
                # commit the counter; the refusal is raised after the transaction
                refused = ServiceError("pin", "the PIN is not correct")
            else:
                refused = None
        if refused is not None:
            raise refused

        def change(s, row):  # type: ignore[no-untyped-def]
            before = self._plan_figures(s, row.loan_id)
            offer = rf.accept(s, row, offer_id, now=now, today=day, policy=self.policy)
            self._audit(s, f"customer:{customer_id}", "agreement.accept", f"application:{row.id}",
                        offer=offer.id, kind=offer.kind, before=before,
                        after={"principal": offer.principal, "installment": offer.installment,
                               "months": offer.months, "total_payment": offer.total_payment,
                               "waived_penalty": offer.waived_penalty, "waived_interest": offer.waived_interest})

        try:
            return self._application_call(customer_id, application_id, change)
        except ServiceError as exc:
            if exc.code == "offer_stale":
                self._review_again(customer_id, application_id)
            raise

    def _review_again(self, customer_id: int, application_id: int) -> None:
        """An offer was refused as made before its loan changed: its application's offers are
        withdrawn and it is reviewed again on the loan as it is now, so that it never waits
        with offers nobody can accept."""
        from sqlmodel import select

        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Loan

        def change(s, row):  # type: ignore[no-untyped-def]
            loan = s.exec(select(Loan).where(Loan.id == row.loan_id).with_for_update()).one()
            if row.status == "offer_issued":
                rf.loan_changed(s, loan, self.clock.now(), today(self.clock), self.policy, reason="loan_changed.other")

        self._application_call(customer_id, application_id, change)

    def _plan_figures(self, s, loan_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
        from wsnego_tui.store import offers as offer_views

        plan = offer_views.current_plan(s, loan_id, today(self.clock), self.policy)
        return {"installment": plan.installment, "months": plan.remaining_months, "total_payment": plan.total_payment}

    def decline_offers(self, customer_id: int, application_id: int) -> ApplicationView:
        from wsnego_tui.store import review_flow as rf

        now = self.clock.now()

        def change(s, row):  # type: ignore[no-untyped-def]
            rf.decline(s, row, now=now)
            self._audit(s, f"customer:{customer_id}", "agreement.decline", f"application:{row.id}")

        return self._application_call(customer_id, application_id, change)

    def inbox(self, customer_id: int) -> list[NotificationView]:
        """The customer's messages from the bank, newest first."""
        import json

        from sqlmodel import select

        from wsnego_tui.store.models import Notification

        self.catch_up(customer_id)
        with self._read() as s:
            rows = s.exec(
                select(Notification).where(Notification.customer_id == customer_id)
                .order_by(Notification.created_at.desc(), Notification.id.desc())  # type: ignore[union-attr]
            ).all()
            return [
                NotificationView(r.id, r.kind, r.loan_id, r.application_id, json.loads(r.params), r.created_at, r.read_at is not None)  # type: ignore[arg-type]
                for r in rows
            ]

    def mark_read(self, customer_id: int, notification_id: int) -> None:
        from wsnego_tui.store.models import Notification

        with self._write() as s:
            row = s.get(Notification, notification_id)
            if row is None or row.customer_id != customer_id:
                raise ServiceError("no_notification", "no such message")
            if row.read_at is None:
                row.read_at = self.clock.now()
                s.add(row)

    def payment_options(self, customer_id: int, loan_id: int) -> PaymentOptions:
        from wsnego_tui.store import queries
        from wsnego_tui.store.models import Loan

        self.catch_up(customer_id)
        with self._read() as s:
            loan = s.get(Loan, loan_id)
            if loan is None or loan.customer_id != customer_id:
                raise ServiceError("no_loan", "no such loan")
            return queries.payment_options(s, loan, today(self.clock), self.policy)

    def payment_preview(self, customer_id: int, loan_id: int, amount: Decimal) -> PaymentPreview:
        """How `amount` would be allocated; refused (code "overpayment") above what is owed."""
        from wsnego_tui.store import queries
        from wsnego_tui.store.models import Loan

        with self._read() as s:
            loan = s.get(Loan, loan_id)
            if loan is None or loan.customer_id != customer_id:
                raise ServiceError("no_loan", "no such loan")
            try:
                return queries.payment_preview(s, loan, amount, today(self.clock), self.policy)
            except queries.PaymentRefused as exc:
                raise ServiceError(exc.code, str(exc)) from None

    def pay(self, loan_id: int, amount: Decimal, idempotency_key: str, *, actor: str) -> PaymentReceipt:
        """Apply a payment to a loan's active plan (overdue first, oldest first; penalty →
        interest → principal). The same idempotency key never pays twice: the first receipt
        comes back instead. Paying more than is owed is refused."""
        from sqlalchemy.exc import IntegrityError

        from wsnego_tui.store import queries
        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Loan

        try:
            with self._write() as s:
                replay = queries.find_payment(s, idempotency_key)
                if replay is not None:
                    return replay
                rf.lock_open_applications(s, loan_id)
                receipt = queries.apply_payment(
                    s, loan_id, amount, idempotency_key, today(self.clock), self.clock.now(), self.policy
                )
                loan = s.get(Loan, loan_id)
                assert loan is not None
                rf.settle_plan_outcome(s, loan, today(self.clock), self.clock.now(), self.policy)
                self._audit(
                    s, actor, "payment", f"loan:{receipt.loan_no}",
                    receipt=receipt.receipt_no, amount=receipt.amount, to_penalty=receipt.to_penalty,
                    to_interest=receipt.to_interest, to_principal=receipt.to_principal,
                )
                # offers worked out before this payment no longer fit the loan
                rf.loan_changed(s, loan, self.clock.now(), today(self.clock), self.policy, reason="loan_changed.paid")
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

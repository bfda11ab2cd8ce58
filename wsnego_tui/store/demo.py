"""Demo data: five borrowers whose loans exercise every path of the journey, and three officers.

Dates are laid out relative to the business date the data is loaded on, so the demo always
shows the same situation (two installments overdue, a plan one payment behind, ...) whatever
the day. Amounts come from the shared calculator, never typed in. The customers and PINs are
listed in the README; they are marked `is_demo`, and loading refuses a database that holds any
real customer. No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, func, select

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.core.dates import add_months
from wsnego_tui.core.ledger import position
from wsnego_tui.core.lifecycle import ApplicationKind, ApplicationStatus
from wsnego_tui.core.pins import hash_pin
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.schedule import Method, Rate, Renegotiation, Schedule, build_schedule, renegotiate
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.store.models import (
    Application,
    Customer,
    Installment,
    Loan,
    LoanProduct,
    Offer,
    Officer,
    Payment,
    ScheduleVersion,
    StatusEvent,
)
from wsnego_tui.store.queries import receipt_number, state_of
from wsnego_tui.core.apr import annualized_rate


class DemoRefused(Exception):
    """The database holds real customers: demo data is never mixed into it."""


@dataclass(frozen=True)
class DemoCustomer:
    customer_no: str
    pin: str
    name: str
    story: str


DEMO_CUSTOMERS = (
    DemoCustomer("80000001", "111111", "张伟", "two installments overdue; a first negotiation is open"),
    DemoCustomer("80000002", "222222", "李娜", "on a first negotiated plan, one payment behind; may ask for a second"),
    DemoCustomer("80000003", "333333", "王芳", "her first negotiated plan is broken"),
    DemoCustomer("80000004", "444444", "刘洋", "three months overdue with savings to settle at once"),
    DemoCustomer("80000005", "555555", "陈静", "fully current: nothing to negotiate"),
)
DEMO_OFFICERS = (
    ("O0001", "900001", "赵敏", "officer"),
    ("O0002", "900002", "孙强", "senior"),
    # A second senior officer: a senior's own proposal needs another senior's approval.
    ("O0005", "900005", "周静", "senior"),
)

PRODUCTS = (
    # code, zh, en, method, basis, quoted rate (%). No character of ambiguous East Asian width
    # (a "·" is drawn two cells wide by a CJK terminal and shifts every column after it).
    ("WSD-STD", "网商贷", "MYbank Loan", Method.EQUAL_INSTALLMENT, "daily", Decimal("0.04")),
    ("WSD-FLEX", "网商贷-随借随还", "MYbank Flexi Loan", Method.INTEREST_FIRST, "daily", Decimal("0.05")),
    ("WSD-BIZ", "网商贷-经营贷", "MYbank Business Loan", Method.EQUAL_PRINCIPAL, "annual", Decimal("14.4")),
)


def load(session: Session, today: dt.date, now: dt.datetime, policy: Policy) -> int:
    real = session.exec(select(func.count()).select_from(Customer).where(Customer.is_demo == False)).one()  # noqa: E712
    if real:
        raise DemoRefused("the database holds real customers; demo data is only loaded into a demo database")
    if session.exec(select(func.count()).select_from(Customer)).one():
        return 0
    seeder = _Seeder(session, today, now, policy)
    return seeder.run()


class _Seeder:
    def __init__(self, session: Session, today: dt.date, now: dt.datetime, policy: Policy) -> None:
        self.s = session
        self.today = today
        self.now = now
        self.policy = policy
        self.products: dict[str, LoanProduct] = {}
        self.loan_seq = 0

    def run(self) -> int:
        for code, zh, en, method, basis, rate in PRODUCTS:
            product = LoanProduct(code=code, name_zh=zh, name_en=en, method=method, rate_basis=basis, quoted_rate=rate)
            self.s.add(product)
            self.products[code] = product
        for officer_no, pin, name, role in DEMO_OFFICERS:
            self.s.add(Officer(officer_no=officer_no, name=name, role=role, pin_hash=hash_pin(pin), is_demo=True))
        customers = {}
        for demo in DEMO_CUSTOMERS:
            customer = Customer(
                customer_no=demo.customer_no, name=demo.name, pin_hash=hash_pin(demo.pin),
                is_demo=True, created_at=self.now,
            )
            self.s.add(customer)
            customers[demo.customer_no] = customer
        self.s.flush()
        t = self.today
        # 张伟: two installments overdue (about two months), and a small current flexi loan.
        self.loan(customers["80000001"], "WSD-STD", "50000.00", 12, add_months(t, -8), paid=5)
        self.loan(customers["80000001"], "WSD-FLEX", "8000.00", 6, add_months(t, -2) + dt.timedelta(days=9), paid=1)
        # 李娜: fell behind, negotiated a first plan five months ago, now one payment behind.
        loan, version = self.loan(customers["80000002"], "WSD-STD", "80000.00", 24, add_months(t, -14), paid=6)
        self.negotiate(loan, version, add_months(t, -5) + dt.timedelta(days=3), months=36, paid=3)
        # 王芳: negotiated a first plan eight months ago, missed three installments in a row.
        loan, version = self.loan(customers["80000003"], "WSD-STD", "30000.00", 12, add_months(t, -16), paid=5)
        self.negotiate(loan, version, add_months(t, -8), months=24, paid=4, broken=True)
        # 刘洋: a business loan three installments overdue.
        self.loan(customers["80000004"], "WSD-BIZ", "100000.00", 12, add_months(t, -10), paid=6)
        # 陈静: fully current.
        self.loan(customers["80000005"], "WSD-STD", "20000.00", 12, add_months(t, -4) + dt.timedelta(days=10), paid=3)
        self.s.flush()
        return len(customers)

    def loan(
        self, customer: Customer, code: str, principal: str, months: int, start: dt.date, *, paid: int
    ) -> tuple[Loan, ScheduleVersion]:
        product = self.products[code]
        rate = Rate.daily(product.quoted_rate) if product.rate_basis == "daily" else Rate.annual(product.quoted_rate)
        self.loan_seq += 1
        loan = Loan(
            loan_no=f"WS{start:%Y%m}{self.loan_seq:06d}",
            customer_id=customer.id,  # type: ignore[arg-type]
            product_id=product.id,  # type: ignore[arg-type]
            principal=Decimal(principal),
            annual_rate=rate.annual_pct,
            term_months=months,
            start_date=start,
            status=LoanStatus.CURRENT,
        )
        self.s.add(loan)
        self.s.flush()
        schedule = build_schedule(Decimal(principal), rate, months, method=Method(product.method), start=start)
        version = self.version(loan, 1, "original", schedule, None, paid)
        return loan, version

    def version(
        self, loan: Loan, seq: int, origin: str, schedule: Schedule, application: Application | None, paid: int
    ) -> ScheduleVersion:
        version = ScheduleVersion(
            loan_id=loan.id,  # type: ignore[arg-type]
            seq=seq,
            origin=origin,
            application_id=application.id if application else None,
            principal=schedule.principal,
            annual_rate=schedule.rate.annual_pct,
            method=schedule.method,
            months=schedule.months,
            grace_months=schedule.grace_months,
            grace_kind=schedule.grace_kind,
            start_date=schedule.start,
            status="active",
            started_at=_at(schedule.start),
        )
        self.s.add(version)
        self.s.flush()
        for row in schedule.rows:
            settled = row.period <= paid
            self.s.add(
                Installment(
                    schedule_version_id=version.id,  # type: ignore[arg-type]
                    period=row.period,
                    due_date=row.due_date,
                    payment=row.payment,
                    interest=row.interest,
                    principal=row.principal,
                    capitalised=row.capitalised,
                    balance=row.balance,
                    paid_interest=row.interest if settled else Decimal(0),
                    paid_principal=row.principal if settled else Decimal(0),
                    settled_on=row.due_date if settled else None,
                )
            )
            if settled and row.payment > 0:
                key = f"demo-{loan.loan_no}-{seq}-{row.period}"
                self.s.add(
                    Payment(
                        loan_id=loan.id,  # type: ignore[arg-type]
                        amount=row.payment,
                        to_penalty=Decimal(0),
                        to_interest=row.interest,
                        to_principal=row.principal,
                        paid_at=_at(row.due_date),
                        idempotency_key=key,
                        receipt_no=receipt_number(key, _at(row.due_date)),
                    )
                )
        self.s.flush()
        return version

    def negotiate(
        self, loan: Loan, old: ScheduleVersion, on: dt.date, *, months: int, paid: int, broken: bool = False
    ) -> None:
        """A first negotiation decided and accepted on `on`: the overdue interest and penalty of
        the old plan are capitalised, the penalty waived in full (first negotiation)."""
        rows = self.s.exec(select(Installment).where(Installment.schedule_version_id == old.id)).all()
        rate = Rate.annual(old.annual_rate)
        pos = position([state_of(r) for r in rows], rate, on, self.policy.penalty_multiplier)
        submitted = _at(on - dt.timedelta(days=4))
        application = Application(
            loan_id=loan.id,  # type: ignore[arg-type]
            customer_id=loan.customer_id,
            kind=ApplicationKind.FIRST,
            status=ApplicationStatus.BROKEN if broken else ApplicationStatus.PLAN_ACTIVE,
            hardship_category="income_drop",
            hardship_text="店铺营业额下降，收入减少，无法按原计划还款。",
            monthly_income=Decimal("6000.00"),
            essential_expenses=Decimal("3200.00"),
            other_debt=Decimal("500.00"),
            wish_months=months,
            created_at=submitted,
            updated_at=_at(on),
            submitted_at=submitted,
            decided_at=_at(on - dt.timedelta(days=2)),
            idempotency_key=f"demo-app-{loan.loan_no}",
        )
        self.s.add(application)
        self.s.flush()
        schedule = renegotiate(
            Renegotiation(
                outstanding_principal=pos.outstanding_principal,
                arrears_capitalised=pos.overdue_interest,
                rate=rate,
                months=months,
                start=on,
            )
        )
        apr = annualized_rate(schedule)
        self.s.add(
            Offer(
                application_id=application.id,  # type: ignore[arg-type]
                kind=ApplicationKind.FIRST,
                status="accepted",
                label="as_requested",
                principal=schedule.principal,
                capitalised_arrears=pos.overdue_interest,
                waived_penalty=pos.overdue_penalty,
                annual_rate=rate.annual_pct,
                method=schedule.method,
                months=months,
                start_date=on,
                installment=schedule.installment,
                total_payment=schedule.total_payment,
                total_interest=schedule.total_interest,
                apr_nominal=apr.nominal_pct.quantize(Decimal("0.0001")),
                apr_effective=apr.effective_pct.quantize(Decimal("0.0001")),
                created_by="engine",
                created_at=_at(on - dt.timedelta(days=2)),
                expires_at=_at(on - dt.timedelta(days=2)) + dt.timedelta(days=self.policy.offer_valid_days),
            )
        )
        timeline = [
            (ApplicationStatus.SUBMITTED, submitted),
            (ApplicationStatus.UNDER_REVIEW, submitted),
            (ApplicationStatus.OFFER_ISSUED, _at(on - dt.timedelta(days=2))),
            (ApplicationStatus.ACCEPTED, _at(on)),
            (ApplicationStatus.PLAN_ACTIVE, _at(on)),
        ]
        if broken:
            timeline.append((ApplicationStatus.BROKEN, _at(add_months(on, paid + 2) + dt.timedelta(days=1))))
        for status, at in timeline:
            actor = "customer" if status in (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED) else "engine"
            self.s.add(StatusEvent(application_id=application.id, status=status, at=at, actor=actor))  # type: ignore[arg-type]
        old.status = "closed"
        old.closed_at = _at(on)
        self.s.add(old)
        self.s.flush()
        self.version(loan, old.seq + 1, ApplicationKind.FIRST, schedule, application, paid)
        loan.negotiations_used = 1
        loan.status = LoanStatus.BROKEN if broken else LoanStatus.NEGOTIATED
        self.s.add(loan)


def _at(day: dt.date) -> dt.datetime:
    """10:00 in Beijing on `day`: when the demo's past events happened."""
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=CHINA_TZ)

"""Officer queue benchmark: the first page of the queue and a filter change over 100,000
applications on the embedded SQLite database, timed through OfficerServices.

    .venv/bin/python scripts/bench_queue.py [--applications 100000] [--runs 9] [--home DIR] [--keep]

What it does, and how:

* Builds a fresh SQLite database under a temporary home folder (or `--home DIR`, which must not
  hold a database yet), migrates it and loads the demo data (products, the demo officers).
* Fills it with generated borrowers (one per 4 applications), two loans each, and the
  applications spread over the loans (at most one open application per loan, the rest closed),
  inserted with SQLAlchemy core executemany in batches. The mix: kinds first 60 % / second 25 % /
  settlement 15 %; of the open applications 40 % under review (the queue), the others waiting
  for materials, for the borrower's answer to offers, or accepted; the rest of the applications
  rejected, expired, withdrawn, completed, broken or on an active plan. Deadlines follow the
  policy (21 days to decide, 14 to answer a materials request, 7 for an offer), all still
  running at the benchmark's fixed clock, as in a bank that keeps up. Each application under
  review carries its status events and two engine-recommended offers; 2 % of them carry an
  officer's proposal waiting for a second approval.
* Times `OfficerServices.queue(...)`, the service call the console makes (catching up due work,
  counting, one page of 50 rows with names, loans and recommended waivers): the default queue
  (waiting for an officer, by deadline), then a filter change (second negotiations submitted at
  least 7 days ago), then for comparison the "awaiting second approval" filter, three statuses
  at once (at most 14 days old) and page 100 of the default queue. Each is the median of
  `--runs` calls on a warm process (the first, cold call, which also opens the database, is
  reported apart).

Target: under 150 ms for the first page and for the filter change; the script exits 1 when
either is slower. The UI's share (rows to screen) is measured separately, with the console.
Never touches the user's own data: the database lives under the temporary (or given) home.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

TARGET_MS = 150.0
BATCH = 5_000
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8), "CST"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉鹏飞俊"
OPEN_MIX = (("under_review", 40), ("materials_requested", 20), ("offer_issued", 30), ("accepted", 10))
CLOSED_MIX = (("rejected", 25), ("expired", 15), ("withdrawn", 15), ("completed", 10), ("broken", 5), ("plan_active", 30))
KIND_MIX = (("first", 60), ("second", 25), ("settlement", 15))


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([m for m, _ in mix], weights=[w for _, w in mix])[0]


def fill(services, applications: int, seed: int = 7) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Insert the generated borrowers, loans, applications, events, offers and proposals."""
    from sqlalchemy import insert, select

    from wsnego_tui.core.pins import hash_pin
    from wsnego_tui.store.models import (
        Application, Customer, Loan, LoanProduct, Offer, OfficerDecision, StatusEvent,
    )

    rng = random.Random(seed)
    engine = services.engine
    pin_hash = hash_pin("123456")
    customers = max(1, applications // 4)
    loans_per_customer = 2
    day = dt.timedelta(days=1)
    with engine.begin() as conn:
        product_ids = [r[0] for r in conn.execute(select(LoanProduct.id)).all()]
        first_customer = conn.execute(select(Customer.id).order_by(Customer.id.desc())).first()[0] + 1
        first_loan = (conn.execute(select(Loan.id).order_by(Loan.id.desc())).first() or (0,))[0] + 1
        first_app = (conn.execute(select(Application.id).order_by(Application.id.desc())).first() or (0,))[0] + 1

        rows = [
            {"id": first_customer + i, "customer_no": f"7{i:07d}",
             "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
             "pin_hash": pin_hash, "failed_logins": 0, "locked_until": None, "is_demo": False,
             "created_at": NOW - 400 * day, "version": 1}
            for i in range(customers)
        ]
        _insert(conn, insert(Customer), rows)
        loan_rows = []
        for c in range(customers):
            for j in range(loans_per_customer):
                n = c * loans_per_customer + j
                loan_rows.append({
                    "id": first_loan + n, "loan_no": f"WB{n:010d}", "customer_id": first_customer + c,
                    "product_id": rng.choice(product_ids), "principal": Decimal(rng.randint(20, 500) * 1000),
                    "annual_rate": Decimal("14.4"), "term_months": rng.choice((12, 24, 36)),
                    "start_date": (NOW - rng.randint(200, 700) * day).date(), "status": "overdue",
                    "negotiations_used": 0, "version": 1,
                })
        _insert(conn, insert(Loan), loan_rows)

        apps, events, offers, decisions = [], [], [], []
        loans = len(loan_rows)
        counts: dict[str, int] = {}
        for n in range(applications):
            app_id = first_app + n
            loan_index = n % loans
            is_open = n < loans  # the first application of each loan may be open; the others are closed
            status = _pick(rng, OPEN_MIX if is_open and rng.random() < 0.7 else CLOSED_MIX)
            counts[status] = counts.get(status, 0) + 1
            kind = _pick(rng, KIND_MIX)
            loan = loan_rows[loan_index]
            if status == "under_review":
                submitted = NOW - rng.randint(0, 20 * 24 * 60) * dt.timedelta(minutes=1)
                deadline = submitted + 21 * day
            elif status == "materials_requested":
                submitted = NOW - rng.randint(3, 20) * day
                deadline = NOW + rng.randint(1, 14 * 24 * 60) * dt.timedelta(minutes=1)
            elif status in ("offer_issued", "accepted"):
                submitted = NOW - rng.randint(1, 20) * day
                deadline = NOW + rng.randint(1, 7 * 24 * 60) * dt.timedelta(minutes=1)
            else:
                submitted = NOW - rng.randint(30, 700) * day
                deadline = None
            income = Decimal(rng.randint(3000, 30000))
            lump = kind == "settlement"
            apps.append({
                "id": app_id, "loan_id": loan["id"], "customer_id": loan["customer_id"], "kind": kind,
                "status": status, "hardship_category": rng.choice(("income_drop", "job_loss", "illness", "other")),
                "hardship_text": "生意不好，收入减少。", "monthly_income": income,
                "essential_expenses": (income * Decimal("0.4")).quantize(Decimal(1)), "other_debt": Decimal(0),
                "wish_monthly": None, "wish_months": None if lump else rng.choice((24, 36, 48)), "grace_months": 0,
                "grace_kind": None, "lump_sum": loan["principal"] if lump else None,
                "lump_date": (NOW + 3 * day).date() if lump else None, "idempotency_key": f"bench-{app_id}",
                "created_at": submitted - day, "updated_at": submitted, "submitted_at": submitted,
                "deadline_at": deadline, "decided_at": None if status == "under_review" else submitted + day,
                "version": 4,
            })
            events.append(_event(app_id, "submitted", submitted, "customer", None))
            if status == "under_review":
                events.append(_event(app_id, "under_review", submitted, "engine", None))
                events.append(_event(app_id, "under_review", submitted, "engine", "needs_officer",
                                     '{"reasons": ["auto.kind_allowed"]}'))
                for label, months in (("shortest_affordable", 24), ("lowest_installment", 60)):
                    offers.append(_offer(app_id, kind, label, months, loan["principal"], rng, submitted))
                if rng.random() < 0.02:
                    decisions.append({
                        "application_id": app_id, "action": "issue_offers", "status": "pending",
                        "made_by": "O0001", "made_at": submitted + dt.timedelta(hours=2), "note": "减免超过单人权限",
                        "params": '{"offers": []}', "approval_reasons": '["approval.second_officer_waiver"]',
                        "application_version": 4, "reviewed_by": None, "reviewed_at": None, "review_note": "",
                        "version": 1,
                    })
            if len(apps) >= BATCH:
                _flush(conn, apps, events, offers, decisions, Application, StatusEvent, Offer, OfficerDecision)
        _flush(conn, apps, events, offers, decisions, Application, StatusEvent, Offer, OfficerDecision)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
    return counts


def _insert(conn, statement, rows) -> None:  # type: ignore[no-untyped-def]
    for i in range(0, len(rows), BATCH):
        conn.execute(statement, rows[i:i + BATCH])


def _flush(conn, apps, events, offers, decisions, Application, StatusEvent, Offer, OfficerDecision) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    for table, rows in ((Application, apps), (StatusEvent, events), (Offer, offers), (OfficerDecision, decisions)):
        if rows:
            conn.execute(insert(table), rows)
            rows.clear()


def _event(app_id: int, status: str, at: dt.datetime, actor: str, reason: str | None, detail: str = "{}") -> dict:  # type: ignore[type-arg]
    return {"application_id": app_id, "status": status, "at": at, "actor": actor, "note": "",
            "deadline_at": None, "reason": reason, "detail": detail}


def _offer(app_id: int, kind: str, label: str, months: int, principal: Decimal, rng: random.Random, at: dt.datetime) -> dict:  # type: ignore[type-arg]
    installment = (principal / months * Decimal("1.08")).quantize(Decimal("0.01"))
    total = installment * months
    return {
        "application_id": app_id, "kind": kind, "status": "proposed", "label": label, "principal": principal,
        "capitalised_arrears": Decimal("812.40"), "waived_penalty": Decimal(rng.randint(100, 30000)),
        "waived_interest": Decimal(0), "down_payment": Decimal(0), "annual_rate": Decimal("14.4"),
        "method": "equal-installment", "months": months, "grace_months": 0, "grace_kind": None,
        "start_date": at.date(), "installment": installment, "total_payment": total,
        "total_interest": total - principal, "apr_nominal": Decimal("14.4"), "apr_effective": Decimal("15.3895"),
        "created_by": "engine", "approved_by": None, "created_at": at, "expires_at": at + dt.timedelta(days=7),
        "version": 1,
    }


def _median_ms(call, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def parse_arguments(description: str, argv: list[str] | None) -> argparse.Namespace:
    """The options both queue benchmarks take: --applications, --runs, --home, --keep."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--home", help="a folder for the database (default: a temporary one, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


@contextlib.contextmanager
def bench_home(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """`--home`, or a new temporary folder that is removed afterwards unless `--keep`."""
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield home
    finally:
        if not args.home and not args.keep:
            shutil.rmtree(home, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A filled benchmark database: its home folder, the settings that open it, the applications
    by status and the seconds the fill took."""

    home: Path
    settings: Any
    counts: dict[str, int]
    filled_seconds: float


def prepare_database(home: Path, applications: int) -> Prepared:
    """A new SQLite database under `home`, migrated, with the demo data and `applications`
    generated applications (`fill`), closed again. Raises FileExistsError when `home` already
    holds a database."""
    from wsnego_tui.config import load_settings
    from wsnego_tui.core.clock import FixedClock
    from wsnego_tui.services import Services

    settings = load_settings(home=home)
    if settings.paths.default_db_file.exists():
        raise FileExistsError(f"{settings.paths.default_db_file} already exists; give an empty --home")
    services = Services(settings, FixedClock(NOW))
    try:
        services.prepare()
        services.load_demo()
        started = time.perf_counter()
        counts = fill(services, applications)
        return Prepared(home, settings, counts, time.perf_counter() - started)
    finally:
        services.close()


@contextlib.contextmanager
def prepared_database(args: argparse.Namespace, prefix: str) -> Iterator[Prepared]:
    """`prepare_database` in `bench_home`; exits with status 2 when `--home` already holds a
    database."""
    with bench_home(args, prefix) as home:
        try:
            prepared = prepare_database(home, args.applications)
        except FileExistsError as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
        yield prepared


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(__doc__, argv)

    from wsnego_tui.core.clock import FixedClock
    from wsnego_tui.core.lifecycle import ApplicationKind, ApplicationStatus
    from wsnego_tui.core.views_officer import QueueFilter
    from wsnego_tui.services import Services
    from wsnego_tui.services.officer import OfficerServices

    with prepared_database(args, "wsnego-bench-queue-") as prepared:
        counts, filled = prepared.counts, prepared.filled_seconds

        # A fresh process's view: new Services, the first call opens the database.
        services = Services(prepared.settings, FixedClock(NOW))
        officers = OfficerServices(services)
        officer = officers.login("O0001", "900001").officer
        assert officer is not None
        default, changed = QueueFilter(), QueueFilter(kinds=(ApplicationKind.SECOND,), min_age_days=7)
        awaiting = QueueFilter(awaiting_second_approval=True)
        several = QueueFilter(statuses=(ApplicationStatus.UNDER_REVIEW, ApplicationStatus.MATERIALS_REQUESTED,
                                        ApplicationStatus.OFFER_ISSUED), max_age_days=14)
        start = time.perf_counter()
        first = officers.queue(officer.id, default)
        cold = (time.perf_counter() - start) * 1000
        figures = {
            "first page (waiting for an officer, by deadline)": _median_ms(lambda: officers.queue(officer.id, default), args.runs),
            "filter change (second negotiations, 7+ days old)": _median_ms(lambda: officers.queue(officer.id, changed), args.runs),
            "filter: awaiting second approval": _median_ms(lambda: officers.queue(officer.id, awaiting), args.runs),
            "filter: three statuses, at most 14 days old": _median_ms(lambda: officers.queue(officer.id, several), args.runs),
            "page 100 of the default queue": _median_ms(lambda: officers.queue(officer.id, default, page=100), args.runs),
        }
        second = officers.queue(officer.id, changed)
        services.close()

    total = sum(counts.values())
    print(f"applications: {total:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))})")
    print(f"filled in {filled:.1f} s; database under {prepared.home}{'' if args.home or args.keep else ' (removed)'}")
    print(f"queue totals: waiting for an officer {first.total:,}; second negotiations 7+ days old {second.total:,}")
    print(f"cold first call (opens the database): {cold:.1f} ms")
    print(f"median of {args.runs} runs, target {TARGET_MS:.0f} ms:")
    for name, ms in figures.items():
        print(f"  {name:<52} {ms:7.1f} ms")
    targets = list(figures.values())[:2]
    return 0 if all(ms < TARGET_MS for ms in targets) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Applications through the services: drafts resumed, bad values refused with nothing saved,
submission gated on a complete form and the required proofs, withdrawal, the timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.services import ServiceError
from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import Application, StatusEvent

PDF = b"%PDF-1.4\n%test\n"
GOOD_FORM = FormFields(
    hardship_category="income_drop",
    hardship_text="生意不好，收入减少。",
    monthly_income=Decimal("6000.00"),
    essential_expenses=Decimal("3000.00"),
    other_debt=Decimal("0.00"),
    wish_months=24,
)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def svc(demo_services, inbox: Path):
    demo_services.settings = dataclasses.replace(
        demo_services.settings, extra={"proof_folders": [str(inbox)]}
    )
    return demo_services


def _zhang(svc) -> tuple[int, int]:
    customer = svc.login("80000001", "111111").customer
    return customer.id, svc.loans_of(customer.id)[0].loan_id


def _proof(inbox: Path, name: str, body: bytes = PDF) -> Path:
    path = inbox / name
    path.write_bytes(body)
    return path


def test_a_draft_is_resumed_where_it_was_left(svc) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    saved = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    again = svc.start_application(customer, loan, ApplicationKind.FIRST)
    assert again.id == draft.id and again.form == GOOD_FORM and again.version == saved.version


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"monthly_income": Decimal("-1.00")}, "monthly_income", "negative"),
        ({"monthly_income": Decimal("1.005")}, "monthly_income", "too_many_decimals"),
        ({"hardship_text": "很" * 501}, "hardship_text", "too_long"),
        ({"wish_months": 61}, "wish_months", "out_of_range"),
        ({"grace_months": 4}, "grace_months", "out_of_range"),
        ({"hardship_category": "[@click=app.quit]x[/]"}, "hardship_category", "unknown_choice"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_and_nothing_is_saved(svc, change, field, code) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    saved = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    with pytest.raises(ServiceError) as refused:
        svc.save_application_form(customer, draft.id, GOOD_FORM.merged(**change), version=saved.version)
    assert refused.value.code == "invalid" and refused.value.fields[field].code == code
    assert svc.application(customer, draft.id) == saved


def test_pasted_control_and_bidi_characters_are_removed_from_the_description(svc) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    form = GOOD_FORM.merged(hardship_text="病了\x1b]0;pwned\x07\u202e两个月\r\n无法工作")
    saved = svc.save_application_form(customer, draft.id, form, version=draft.version)
    assert saved.form.hardship_text == "病了]0;pwned两个月\n无法工作"


def test_a_stale_version_is_refused_so_two_windows_do_not_overwrite_each_other(svc) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    with pytest.raises(ServiceError) as refused:
        svc.save_application_form(customer, draft.id, GOOD_FORM.merged(wish_months=12), version=draft.version)
    assert refused.value.code == "changed"


def test_submission_is_refused_until_the_required_proofs_are_attached(svc, inbox: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    draft = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    assert draft.missing_proofs == ("hardship",)
    with pytest.raises(ServiceError) as refused:
        svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="s1")
    assert refused.value.code == "missing_proofs" and "hardship" in str(refused.value)
    with_proof = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, _proof(inbox, "诊断书.pdf"))
    assert with_proof.missing_proofs == () and with_proof.proofs[0].original_name == "诊断书.pdf"
    submitted = svc.submit_application(customer, draft.id, version=with_proof.version, idempotency_key="s1")
    assert submitted.status == "submitted"
    assert submitted.deadline_at == svc.clock.now() + dt.timedelta(days=21)
    assert [e.status for e in submitted.events] == ["submitted"]


def test_an_incomplete_form_is_refused_naming_every_missing_field(svc) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    with pytest.raises(ServiceError) as refused:
        svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="s1")
    assert set(refused.value.fields) == {
        "hardship_category", "hardship_text", "monthly_income", "essential_expenses", "wish_months",
    }


def test_pressing_submit_twice_submits_once(svc, inbox: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    draft = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    draft = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, _proof(inbox, "a.pdf"))
    first = svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="once")
    second = svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="once")
    assert first == second
    with read_session(svc.engine) as s:
        assert len(s.exec(select(StatusEvent).where(StatusEvent.application_id == draft.id)).all()) == 1


def test_the_same_file_is_attached_once_and_files_can_be_removed_before_submitting(svc, inbox: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    attached = svc.attach_proof(customer, draft.id, ProofKind.INCOME, _proof(inbox, "a.pdf"))
    with pytest.raises(ServiceError) as refused:
        svc.attach_proof(customer, draft.id, ProofKind.INCOME, _proof(inbox, "copy-of-a.pdf"))
    assert refused.value.code == "duplicate"
    removed = svc.remove_proof(customer, draft.id, attached.proofs[0].id)
    assert removed.proofs == ()


def test_a_file_outside_the_allowed_folders_is_refused(svc, tmp_path: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(PDF)
    with pytest.raises(ServiceError) as refused:
        svc.attach_proof(customer, draft.id, ProofKind.INCOME, outside)
    assert refused.value.code == "outside"
    assert svc.application(customer, draft.id).proofs == ()


def test_a_second_application_cannot_start_while_one_is_under_way(svc, inbox: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    draft = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    draft = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, _proof(inbox, "a.pdf"))
    svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="k")
    with pytest.raises(ServiceError) as refused:
        svc.start_application(customer, loan, ApplicationKind.SETTLEMENT)
    assert refused.value.code == "open_application"


def test_withdrawing_records_the_step_and_frees_the_loan(svc, inbox: Path) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    draft = svc.save_application_form(customer, draft.id, GOOD_FORM, version=draft.version)
    draft = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, _proof(inbox, "a.pdf"))
    svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="k")
    withdrawn = svc.withdraw_application(customer, draft.id)
    assert [e.status for e in withdrawn.events] == ["submitted", "withdrawn"]
    assert svc.start_application(customer, loan, ApplicationKind.SETTLEMENT).status == "draft"


def test_another_customers_application_is_reported_as_not_existing(svc) -> None:
    customer, loan = _zhang(svc)
    draft = svc.start_application(customer, loan, ApplicationKind.FIRST)
    intruder = svc.login("80000005", "555555").customer.id
    for call in (
        lambda: svc.application(intruder, draft.id),
        lambda: svc.save_application_form(intruder, draft.id, GOOD_FORM, version=None),
        lambda: svc.withdraw_application(intruder, draft.id),
    ):
        with pytest.raises(ServiceError) as refused:
            call()
        assert refused.value.code == "no_application"
    with read_session(svc.engine) as s:
        assert s.get(Application, draft.id).hardship_text == ""

"""Anonymisation reaches everything (issue 13 point 2): a case lives a realistic life (a father without
parental authority asks about his 12-year-old: receipt, confirmed address, portal messages both ways, an
upload, letters, the child's-interest check, a decision, the BW 1:377c information delivered), is anonymised by
``purge-expired`` when its retention ends, and then neither the requester's name nor address (nor the
student's) is anywhere: not in any text column of any table, not in any stored file, decrypted."""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import CaseUpload, Letter, PackageDocument
from dsr.services.storage import _path as storage_path
from tests.helpers import case_version, local_today, plain_pdf, signed_in, step, submit
from tests.integration.db_search import find_in_database, readable, stored_files
from tests.integration.helpers import (
    body,
    check,
    confirm_address,
    documents_of,
    mails_to,
    open_portal,
    release,
    send_letter,
    upload,
)

REQUESTER, ADDRESS, STUDENT = "Quirijn Zwavelberg", "q.zwavelberg@voorbeeld.nl", "Fenna Zwavelberg"
#: Searched case-insensitively: the family name finds both names, the address finds itself.
NEEDLES = ("Zwavelberg", ADDRESS)
PDF_WITH_NAME = plain_pdf(STUDENT)  # a real PDF (uploads are parsed), the name readable in its bytes


def _hits() -> list[str]:
    return sorted({hit for needle in NEEDLES for hit in find_in_database(needle)})


def _files_naming_the_family(root: str) -> list[str]:
    return [path.name for path, data in stored_files(root)
            if any(needle.lower() in readable(data) for needle in NEEDLES)]


def _case_files(case_id: int) -> list:
    """The stored files of the case (uploads, package documents, letters) as paths."""
    keys = [*db.session.execute(sa.select(CaseUpload.storage_key).where(CaseUpload.case_id == case_id)).scalars(),
            *db.session.execute(sa.select(PackageDocument.storage_key)).scalars(),
            *db.session.execute(sa.select(Letter.storage_key).where(Letter.case_id == case_id)).scalars()]
    return [storage_path(key) for key in keys if key]


def _live_a_life(app, client, people, categories, smtp_server, run_jobs) -> int:
    birth = dt.date(local_today().year - 12, 1, 1)
    case_id = submit(client, people.school_a, requester_name=REQUESTER, requester_email=ADDRESS,
                     student_name=STUDENT, student_birth_date=birth.isoformat(), parental_authority="no",
                     details=f"Graag alles wat de school over {STUDENT} bewaart.")
    confirm_address(client, smtp_server, run_jobs, ADDRESS)
    requester = app.test_client()
    open_portal(requester, app, case_id, smtp_server, run_jobs, email=ADDRESS)
    assert requester.post("/mijn-verzoek/bericht", data={"body": f"Met groet, {REQUESTER}"}).status_code == 302
    assert requester.post("/mijn-verzoek/bestand", content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF_WITH_NAME), "uittreksel zwavelberg.pdf"),
        "note": f"Gezag {REQUESTER}"}).status_code == 302
    staff = signed_in(app, people)
    assert staff.post(f"/zaken/{case_id}/berichten",
                      data={"body": f"Beste {REQUESTER}, wij zoeken het uit."}).status_code == 302
    assert staff.post(f"/zaken/{case_id}/notities",  # an internal note (issue 15)
                      data={"body": f"{REQUESTER} belde: {STUDENT} is ziek."}).status_code == 302
    assert send_letter(staff, case_id, "receipt").status_code == 302
    assert step(staff, app, case_id, "verify_identity", method="portal", authority="no").status_code == 302
    assert step(staff, app, case_id, "review", decision="grant",
                reason=f"{REQUESTER} heeft gezag over {STUDENT}.").status_code == 302
    upload(staff, case_id, categories["cijfers"], data=PDF_WITH_NAME, title=f"Rapport {STUDENT}")
    [document] = documents_of(app, case_id)
    check(staff, case_id, document.id)
    assert staff.post(f"/zaken/{case_id}/belang-van-het-kind", data={
        "version": case_version(app, case_id), "reason": f"Moeder van {STUDENT} ziet geen bezwaar.",
        "care_info": f"{STUDENT} krijgt extra begeleiding."}).status_code == 302
    release(staff, app, case_id)
    assert step(staff, app, case_id, "fulfil", reason=f"Pakket voor {REQUESTER} verstuurd.").status_code == 302
    run_jobs()
    assert mails_to(smtp_server, ADDRESS, "staan klaar") and mails_to(smtp_server, ADDRESS, "Brief")
    with app.app_context():  # the 1:377c cover letter's title names the student
        assert db.session.execute(sa.select(Letter.kind).where(Letter.title.contains(STUDENT))).scalar() == "info_377c"
    return case_id


def test_after_anonymisation_the_requester_is_nowhere(app, client, people, categories, smtp_server, run_jobs):
    case_id = _live_a_life(app, client, people, categories, smtp_server, run_jobs)
    root = app.config["FILE_STORAGE"]
    # Every link that went out in a mail is absent from the database (sealed, then scrubbed once sent).
    tokens = [urlsplit(word).path.rsplit("/", 1)[-1] for mail in smtp_server.messages
              for word in body(mail).split() if word.startswith("http://dsr.test/") and len(word) > 60]
    with app.app_context():
        assert tokens and all(find_in_database(token) == [] for token in tokens)
        # The search finds the family before: in the case, the mails, the messages, the package.
        before = _hits()
        for table in ("cases", "outbox", "case_messages", "case_uploads", "package_documents", "letters",
                      "case_notes"):
            assert any(hit.startswith(f"{table}.") for hit in before), (table, before)
        files = _case_files(case_id)
        assert len(files) >= 4 and all(path.exists() for path in files)
        assert len(_files_naming_the_family(root)) >= 3, "the upload, the document and a letter name the family"

    later = local_today() + dt.timedelta(days=6 * 366)
    result = app.test_cli_runner().invoke(args=["dsr", "purge-expired", "--today", later.isoformat()])
    assert result.exit_code == 0 and "1 case(s) anonymised" in result.output, result.output

    with app.app_context():
        assert _hits() == [], "the requester or the student is still named here"
        assert not any(path.exists() for path in files)
        assert _files_naming_the_family(root) == []

"""Table tests of "what you will get" (issue 11 point 10): the intake form's words, per rule id.

The preview is built on policy.assess; the last tests check over a grid of every role, gezag answer,
right and age band that the preview and the policy never disagree (same rule ids, a kind that matches
the policy's outcome and scope).
"""
from __future__ import annotations

from datetime import date

import pytest

from dsr.workflows import policy
from dsr.workflows.intake_preview import KINDS, Preview, what_you_get

ON = date(2026, 3, 12)
AGE_12 = date(2013, 9, 1)
AGE_15_EVE_OF_16 = date(2010, 3, 13)
AGE_16_TODAY = date(2010, 3, 12)
AGE_17 = date(2008, 9, 1)
AGE_18_TODAY = date(2008, 3, 12)
AGE_20 = date(2005, 11, 30)


def row(rule, requester, authority, birth, right, kind, grounds, words, label, subject="student"):
    """One row; the test id starts with the rule id. ``words``: a phrase the Dutch headline must hold."""
    return pytest.param(requester, authority, birth, right, subject, kind, grounds, words, id=f"{rule}: {label}")


TABLE = [
    # R-CH-2: under 16 — the child's own request is accepted; a gezag-holder acts for the child
    row("R-CH-2", "student", None, AGE_12, "access", "full", ("R-CH-2",), "uw hele dossier",
        "student 12 asks herself -> whole file, accepted"),
    row("R-CH-2", "parent", "yes", AGE_12, "access", "full", ("R-CH-2",), "het hele dossier",
        "parent with gezag, child 12 -> whole file"),
    row("R-CH-2", "parent", "yes", AGE_15_EVE_OF_16, "erasure", "full", ("R-CH-2",), "alle gegevens",
        "parent with gezag, child 16 tomorrow, erasure -> all data"),
    row("R-CH-2", "guardian", "yes", AGE_12, "access", "full", ("R-CH-2",), "het hele dossier",
        "voogd, child 12 -> whole file"),
    # R-CH-3 / R-CH-7: 16-17
    row("R-CH-3", "student", None, AGE_16_TODAY, "access", "full", ("R-CH-3",), "uw hele dossier",
        "student turning 16 today -> whole file"),
    row("R-CH-3", "parent", "yes", AGE_16_TODAY, "access", "learning_results", ("R-CH-3", "R-CH-7"),
        "alleen de leerresultaten", "parent with gezag, child turns 16 today -> learning results only"),
    row("R-CH-7", "parent", "yes", AGE_17, "access", "learning_results", ("R-CH-3", "R-CH-7"), "cijfers, rapporten",
        "learning results are spelled out"),
    row("R-CH-3", "parent", "yes", AGE_17, "rectification", "consent_needed", ("R-CH-3",),
        "niet doen zonder schriftelijke toestemming", "parent with gezag, child 17, rectification -> consent"),
    # R-CH-4: 18 and over
    row("R-CH-4", "parent", "yes", AGE_18_TODAY, "access", "consent_needed", ("R-CH-4",),
        "niets zonder schriftelijke toestemming", "parent with gezag, child turns 18 today -> nothing"),
    row("R-CH-4", "student", None, AGE_20, "access", "full", ("R-CH-4",), "uw hele dossier",
        "student 20 -> whole file"),
    # R-CH-5: parent without gezag, BW 1:377c
    row("R-CH-5", "parent", "no", AGE_12, "access", "info_377c", ("R-CH-5", "R-CH-7"), "1:377c",
        "parent without gezag, child 12 -> 1:377c information"),
    row("R-CH-5", "parent", "no", AGE_17, "access", "info_377c", ("R-CH-5", "R-CH-7"), "geen kopie van het dossier",
        "parent without gezag, child 17 -> 1:377c information, no copy"),
    row("R-CH-5", "parent", "no", AGE_12, "erasure", "no_rights", ("R-CH-5",), "geen privacyrechten",
        "parent without gezag asks erasure -> no rights, information route named"),
    row("R-CH-5", "parent", "no", AGE_18_TODAY, "access", "consent_needed", ("R-CH-4", "R-CH-5"),
        "niets zonder schriftelijke toestemming", "parent without gezag, child 18 -> 1:377c ended, nothing"),
    # R-ID-4: gezag decides for a carer (verzorger) and a voogd
    row("R-ID-4", "carer", "yes", AGE_12, "access", "full", ("R-CH-2",), "het hele dossier",
        "carer with gezag (joint gezag / voogd), child 12 -> treated as gezag-holder"),
    row("R-ID-4", "carer", "yes", AGE_17, "access", "learning_results", ("R-CH-3", "R-CH-7"),
        "alleen de leerresultaten", "carer with gezag, child 17 -> learning results, like a parent"),
    row("R-ID-4", "carer", "no", AGE_12, "access", "no_rights", ("R-ID-4", "R-CH-2"),
        "verzorger zonder gezag heeft u geen recht", "carer without gezag, child 12 -> no rights (no 1:377c)"),
    row("R-ID-4", "carer", "no", AGE_17, "access", "no_rights", ("R-ID-4", "R-CH-3"),
        "verzorger zonder gezag heeft u geen recht", "carer without gezag, child 17 -> no rights"),
    row("R-ID-4", "carer", "no", AGE_20, "access", "consent_needed", ("R-ID-4", "R-CH-4"),
        "niets zonder schriftelijke toestemming", "carer without gezag, student 20 -> nothing without consent"),
    row("R-ID-4", "guardian", "no", AGE_12, "access", "no_rights", ("R-ID-4", "R-CH-2"), "Zonder gezag (voogdij)",
        "voogd whose voogdij is not established -> no rights"),
    row("R-ID-4", "parent", "unknown", AGE_12, "access", "depends_on_gezag", ("R-CH-2", "R-CH-5", "R-CH-7"),
        "hangt af van het gezag", "parent does not know -> both answers shown"),
    # R-ID-5: a representative acts as mandated
    row("R-ID-5", "representative", None, AGE_12, "access", "full", ("R-CH-2", "R-ID-5"), "het hele dossier",
        "representative, child 12 -> as mandated by a gezag-holder"),
    # §9 last row: anyone about their own data
    row("§9-EIGEN", "parent", "no", AGE_20, "rectification", "own_data", (policy.OWN_DATA_GROUND,),
        "uw eigen gegevens", "parent without gezag, own contact details, student 20 -> all rights",
        subject="requester"),
    row("§9-EIGEN", "carer", None, None, "access", "own_data", (policy.OWN_DATA_GROUND,), "alle rechten",
        "carer, own data, no gezag or birth date needed -> all rights", subject="requester"),
    # R-RI-5 / R-RI-6: the right's own limits are said
    row("R-RI-5", "parent", "yes", AGE_12, "objection", "full", ("R-CH-2", "R-RI-5"), "alle gegevens",
        "objection -> who may ask, plus when objection applies"),
    row("R-RI-6", "student", None, AGE_17, "portability", "full", ("R-CH-3", "R-RI-6"), "alle gegevens",
        "portability -> plus when it applies"),
]


@pytest.mark.parametrize("requester, authority, birth, right, subject, kind, grounds, words", TABLE)
def test_what_you_get(requester, authority, birth, right, subject, kind, grounds, words):
    preview = what_you_get(requester=requester, parental_authority=authority, birth_date=birth, on=ON,
                           right=right, subject=subject)
    assert preview.kind == kind
    assert preview.grounds == grounds
    text = " ".join([str(preview.headline), *map(str, preview.details)])
    assert words in text, text


@pytest.mark.parametrize("requester, authority, birth, words", [
    pytest.param(None, None, AGE_12, "Kies wie het verzoek doet", id="incomplete: no role"),
    pytest.param("parent", "yes", None, "geboortedatum", id="incomplete: no birth date"),
    pytest.param("parent", "yes", date(2027, 1, 1), "geboortedatum", id="incomplete: birth date after today"),
    pytest.param("carer", None, AGE_12, "gezag", id="incomplete: gezag not answered"),
])
def test_incomplete_says_what_to_fill_in(requester, authority, birth, words):
    preview = what_you_get(requester=requester, parental_authority=authority, birth_date=birth, on=ON)
    assert preview.kind == "incomplete" and not preview.complete
    assert words in str(preview.headline)
    assert preview.as_dict()["complete"] is False


def test_R_CH_2_the_confirmation_setting_changes_the_words():
    """R-CH-2 ⚠: the child's request is accepted; whether a gezag-holder confirms is a setting."""
    asked = what_you_get(requester="student", parental_authority=None, birth_date=AGE_12, on=ON)
    not_asked = what_you_get(requester="student", parental_authority=None, birth_date=AGE_12, on=ON,
                             child_request_needs_confirmation=False)
    assert any("bevestigen" in str(d) for d in asked.details)
    assert not any("bevestigen" in str(d) for d in not_asked.details)


def test_R_CH_5_a_parent_without_gezag_asking_erasure_is_pointed_to_information():
    preview = what_you_get(requester="parent", parental_authority="no", birth_date=AGE_12, on=ON, right="erasure")
    assert any("Inzage" in str(d) for d in preview.details)


def test_R_ID_4_a_carer_without_gezag_is_pointed_to_the_student_or_a_gezag_holder():
    young = what_you_get(requester="carer", parental_authority="no", birth_date=AGE_12, on=ON)
    older = what_you_get(requester="carer", parental_authority="no", birth_date=AGE_17, on=ON)
    assert "ouder met gezag" in str(young.details[0]) and "leerling zelf" in str(young.details[0])
    assert "toestemming" in str(older.details[0])


ROLES = policy.REQUESTERS
AUTHORITY = ("yes", "no", "unknown")
BIRTHS = (AGE_12, AGE_16_TODAY, AGE_17, AGE_18_TODAY, AGE_20)
#: The policy outcome/scope each preview kind may stand for.
MATCHES = {
    "full": {("allowed", "full")},
    "learning_results": {("partial", "learning_results")},
    "info_377c": {("info_only", "learning_results")},
    "consent_needed": {("refused", "none")},
    "no_rights": {("refused", "none")},
    "own_data": {("allowed", "full")},
}


@pytest.mark.parametrize("subject", policy.SUBJECTS)
@pytest.mark.parametrize("right", policy.RIGHTS)
@pytest.mark.parametrize("requester", ROLES)
def test_the_preview_never_disagrees_with_the_policy(requester, right, subject):
    """Over every role, gezag answer and age band: the rule ids are the policy's, and the kind matches
    the policy's outcome and scope (for "unknown", both the with- and the without-gezag answers)."""
    for authority in AUTHORITY:
        for birth in BIRTHS:
            preview = what_you_get(requester=requester, parental_authority=authority, birth_date=birth, on=ON,
                                   right=right, subject=subject)
            assert preview.kind in KINDS and preview.kind != "incomplete"
            answers = [True, False] if preview.kind == "depends_on_gezag" else [authority != "no"]
            grounds = ()
            for gezag in answers:
                a = policy.assess(right=right, requester=requester, birth_date=birth, on=ON,
                                  parental_authority=gezag, subject=subject)
                grounds += a.grounds
                if preview.kind != "depends_on_gezag":
                    assert (a.outcome, a.scope) in MATCHES[preview.kind], (preview.kind, a)
            assert set(preview.grounds) == set(grounds)
            assert str(preview.headline) and all(str(d) for d in preview.details)


def test_as_dict_is_plain_text():
    preview = what_you_get(requester="parent", parental_authority="yes", birth_date=AGE_17, on=ON)
    data = preview.as_dict()
    assert data["kind"] == "learning_results" and data["grounds"] == ["R-CH-3", "R-CH-7"]
    assert isinstance(data["headline"], str) and all(isinstance(d, str) for d in data["details"])
    assert isinstance(preview, Preview)

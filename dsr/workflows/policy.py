"""Who may exercise which right over a student's data (docs/legal.md §3 R-CH-1..7, §9 decision table).

Pure functions, no I/O. :func:`assess` answers one question for one request item: given the
right, the requester's role, the student's age on a date and the recorded gezag/consent facts,
may the request go ahead, and over which scope? Services call it at receipt and again before
disclosure (R-CH-1: a birthday mid-case can change the answer).

Out of scope here, by design:

* A request about the requester's *own* data (e.g. a parent's contact details) is outside the age
  rules: ``subject="requester"`` gives allowed/full on its own ground :data:`OWN_DATA_GROUND`
  (anyone has all rights over their own data, §9 last row).
* Exemptions (§4, R-EX) apply on top of every scope; "full" means "the full file minus R-EX".
* Whether someone holds gezag (R-ID-4) or a valid mandate (R-ID-5) is decided elsewhere and
  passed in as ``parental_authority`` / implied by ``requester="representative"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

__all__ = [
    "RIGHTS",
    "REQUESTERS",
    "OUTCOMES",
    "SCOPES",
    "SUBJECTS",
    "GEZAG_ROLES",
    "OWN_DATA_GROUND",
    "LEARNING_RESULTS",
    "Assessment",
    "age_on",
    "assess",
]

RIGHTS = ("access", "rectification", "erasure", "restriction", "objection", "portability", "consent_withdrawal")
#: "guardian" is a voogd: a gezag-holder like a parent with authority (R-CH-2, R-ID-4). "carer" is a
#: verzorger (step-parent, foster parent): treated as a gezag-holder only when they hold gezag (joint
#: gezag with a parent, or a foster parent who is voogd); without gezag they have no rights over the
#: student's data, since BW 1:377c gives information to a *parent* only [ENG ⚠].
REQUESTERS = ("student", "parent", "guardian", "representative", "carer")
#: The requesters for whom gezag (parental authority) is asked on the form and checked by staff (R-ID-4).
GEZAG_ROLES = ("parent", "guardian", "carer")
#: Whose data the request is about: the student's, or the requester's own (e.g. a parent's contact details).
SUBJECTS = ("student", "requester")
#: The ground of a request about the requester's own data: docs/legal.md §9, last row (no R-id of its own).
OWN_DATA_GROUND = "§9-EIGEN"
OUTCOMES = ("allowed", "partial", "refused", "info_only")
#: Ordered from widest to narrowest; tests rely on this order to check scopes never widen.
SCOPES = ("full", "learning_results", "none")

#: R-CH-7 "leerresultaten" as listed in docs/legal.md [ASG; definition ENG ⚠]. Excluded: zorg and
#: ondersteuning, incidents and discipline, medical data, mentor notes, correspondence, verzuim.
LEARNING_RESULTS = (
    "cijfers",
    "rapporten",
    "PTA- en schoolexamenresultaten",
    "centraal-examenresultaten",
    "bevorderings- en overgangsbeslissingen",
    "studie- en niveauadvies",
    "diploma/cijferlijst",
)

# The explanation is made of lazily translated sentences (Dutch msgids): it is rendered in the language
# of whoever reads it (Dutch outside a request), while assess() itself stays free of I/O and locale.
_RIGHT_NAMES = {
    "access": _l("inzage"),
    "rectification": _l("rectificatie"),
    "erasure": _l("verwijdering"),
    "restriction": _l("beperking van de verwerking"),
    "objection": _l("bezwaar tegen de verwerking"),
    "portability": _l("overdraagbaarheid van gegevens"),
    "consent_withdrawal": _l("het intrekken van toestemming"),
}
_WHO = {
    "student": _l("de leerling zelf"),
    "parent": _l("een ouder met gezag"),
    "parent_without_gezag": _l("een ouder zonder gezag"),
    "guardian": _l("een voogd"),
    "representative": _l("een vertegenwoordiger"),
    "carer": _l("een verzorger met gezag"),
    "carer_without_gezag": _l("een verzorger zonder gezag"),
}

#: R-CH-7 spelled out as in LEARNING_RESULTS (one translatable text).
_LR_TEXT = _l("alleen de leerresultaten (cijfers, rapporten, PTA- en schoolexamenresultaten, "
              "centraal-examenresultaten, bevorderings- en overgangsbeslissingen, studie- en niveauadvies en "
              "diploma/cijferlijst), als schoolinformatie en niet als AVG-kopie van het dossier (R-CH-7)")
_OWN_DATA = _l("Over hun eigen gegevens (zoals hun contactgegevens) houden ouders wel alle rechten.")


#: The rights that apply only to some processing: their rule id and the sentence saying when (R-RI-5, R-CH-8, R-RI-6).
_RIGHT_NOTES = {
    "objection": ("R-RI-5", _l(
        "Let op: bezwaar kan alleen tegen verwerkingen op grond van art. 6 lid 1 sub e of f "
        "AVG (publieke taak of gerechtvaardigd belang); tegen verwerkingen op grond van een "
        "wettelijke plicht is geen bezwaar mogelijk (R-RI-5). Een bezwaar tegen gegevens die de "
        "school met toestemming gebruikt (zoals foto's) geldt als intrekking van die toestemming: "
        "stoppen en verwijderen (R-CH-8).")),
    "consent_withdrawal": ("R-CH-8", _l(
        "Toestemming voor een leerling onder 16 jaar geeft een ouder met gezag of de voogd; vanaf "
        "16 jaar geeft de leerling die zelf (art. 5 UAVG). Wie de toestemming mag geven, mag haar "
        "altijd intrekken; dan stopt het gebruik en worden de gegevens verwijderd (art. 7 lid 3 en "
        "art. 17 lid 1 sub b AVG, R-CH-8).")),
    "portability": ("R-RI-6", _l(
        "Let op: overdraagbaarheid geldt alleen voor geautomatiseerd verwerkte gegevens op "
        "grond van toestemming of een overeenkomst, niet voor de publieke taak van de school "
        "(de meeste leerlinggegevens); geef anders de reden en bied een inzagekopie aan (R-RI-6).")),
}


class _DayMonthYear:
    """A date as ``dd-mm-yyyy`` (Dutch) or ``2 March 2026`` (English), decided when it is shown."""

    def __init__(self, day: date):
        self.day = day

    def __str__(self) -> str:
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None and locale.language == "en":
            return f"{self.day.day} {self.day:%B %Y}"
        return f"{self.day:%d-%m-%Y}"


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess` for one request item.

    ``outcome``: "allowed" | "partial" | "refused" | "info_only" (BW 1:377c, case type INFO_377C).
    ``scope``: "full" | "learning_results" | "none".
    ``grounds``: the rule ids that decided it, e.g. ("R-CH-3", "R-CH-7").
    ``sentences``: lazily translated sentences; ``explanation`` joins them into one paragraph for
    school staff saying why, in the reader's language (Dutch outside a request).
    """

    outcome: str
    scope: str
    grounds: tuple[str, ...]
    sentences: tuple = ()

    @property
    def explanation(self) -> str:
        """One paragraph saying why, in the current language (Dutch by default)."""
        return " ".join(str(sentence) for sentence in self.sentences)


def age_on(birth_date: date, on: date) -> int:
    """Return the age in completed years on ``on`` (R-CH-1); the birthday itself counts.

    A 29 February birthday counts as 28 February in non-leap years [ENG ⚠], so such a child
    turns 16 one day earlier than under a "1 March" reading; earlier means the student's own
    rights (R-CH-3) start sooner, which is the privacy-protective direction.
    """
    if on < birth_date:
        raise ValueError("the reference date is before the birth date")
    try:
        birthday = birth_date.replace(year=on.year)
    except ValueError:  # 29 Feb in a non-leap year
        birthday = date(on.year, 2, 28)
    return on.year - birth_date.year - (on < birthday)


def assess(
    *,
    right: str,
    requester: str,
    birth_date: date,
    on: date,
    parental_authority: bool = True,
    student_consent: bool = False,
    child_request_needs_confirmation: bool = True,
    subject: str = "student",
) -> Assessment:
    """Decide who may exercise ``right`` over the student's data on date ``on`` (§9, R-CH-1..7).

    Age bands (age taken on ``on``, R-CH-1):

    * student: under 16 allowed/full; the request is accepted, and when
      ``child_request_needs_confirmation`` (setting ``DSR_CHILD_REQUEST_NEEDS_CONFIRMATION``,
      default True [ENG ⚠]) the explanation says a gezag-holder is asked to confirm (R-CH-2).
      16+ allowed/full (R-CH-3, R-CH-4).
    * parent with authority, or guardian (voogd): under 16 allowed/full (R-CH-2); 16–17 without
      the student's written authorisation: access partial/learning_results, other rights
      refused/none (R-CH-3, R-CH-7); 18+ without consent refused/none (R-CH-4). With the
      student's consent (16+) allowed/full, meaning "as far as the consent reaches".
    * parent without authority (R-CH-5, BW 1:377c): under 18 an access request gives
      info_only/learning_results. Choice: R-CH-5 caps 16–17 at leerresultaten; for under 16 we
      use the same cap (grades and progress, as in the R-CH-5 example), so one scope serves the
      whole INFO_377C route. Other rights (rectification, erasure, ...) are refused/none: 1:377c
      gives information only, no representation. 18+: refused/none (the 1:377c route ends at 18,
      R-CH-4/R-CH-5). With the student's consent (16+) allowed/full.
    * guardian with ``parental_authority=False``: not a gezag-holder after all (R-ID-4); refused/
      none unless a student of 16+ consents. Conservative: never crash, never over-grant.
    * representative: acts as mandated (R-ID-5) and is treated as whom they represent: under 16
      as a parent with authority, 16+ as the student; written authorisation is required.
    * carer (verzorger) with ``parental_authority``: a gezag-holder like a parent with gezag. Without
      gezag: refused/none (R-ID-4), unless a student of 16+ consents; 1:377c is not for carers [ENG ⚠].
    * ``subject="requester"``: the request is about the requester's own data: allowed/full on
      :data:`OWN_DATA_GROUND`, whatever the student's age (§9, last row).

    ``student_consent`` is ignored under 16: a child cannot authorise a parent over a
    gezag-holder's head, and a gezag-holder already has full rights. Each gezag-holder acts
    alone; the other parent's consent is never needed (R-CH-6).

    Objection (R-RI-5) and portability (R-RI-6) keep the who-may-ask result but add their rule
    id and a sentence on when the right applies at all. Withdrawing consent (R-CH-8) follows the
    same bands: consent under 16 comes from the gezag-holder, from 16 from the student (UAVG art. 5),
    and whoever may give it may withdraw it.
    """
    if right not in RIGHTS:
        raise ValueError(f"unknown right {right!r}; expected one of {RIGHTS}")
    if requester not in REQUESTERS:
        raise ValueError(f"unknown requester {requester!r}; expected one of {REQUESTERS}")
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}; expected one of {SUBJECTS}")
    age = age_on(birth_date, on)

    if subject == "requester" and requester != "student":
        outcome, scope, grounds, reasons = _own_data()
    elif requester == "student":
        outcome, scope, grounds, reasons = _student(age, child_request_needs_confirmation)
    elif requester == "representative":
        outcome, scope, grounds, reasons = _representative(age)
    elif requester == "guardian" and not parental_authority:
        outcome, scope, grounds, reasons = _no_gezag_guardian(age, student_consent)
    elif requester == "carer" and not parental_authority:
        outcome, scope, grounds, reasons = _carer_without_gezag(age, student_consent)
    elif parental_authority:  # parent with gezag, or voogd
        outcome, scope, grounds, reasons = _gezag_holder(right, age, student_consent)
    else:
        outcome, scope, grounds, reasons = _parent_without_gezag(right, age, student_consent)

    if right in _RIGHT_NOTES:
        rule, note = _RIGHT_NOTES[right]
        grounds += (rule,)
        reasons.append(note)

    who_key = (f"{requester}_without_gezag" if requester in ("parent", "carer") and not parental_authority
               else requester)
    who = _WHO[who_key]
    if subject == "requester" and requester != "student":
        intro = _l("Verzoek om %(right)s over de eigen gegevens van de aanvrager.", right=_RIGHT_NAMES[right])
    else:
        intro = _l("Verzoek om %(right)s door %(who)s; de leerling is %(age)s jaar op %(date)s.",
                   right=_RIGHT_NAMES[right], who=who, age=age, date=_DayMonthYear(on))
    return Assessment(outcome, scope, grounds, (intro, *reasons))


# Each helper returns (outcome, scope, grounds, explanation sentences) for one requester type; the
# sentences are lazy strings, translated when the explanation is shown.
_Partial = tuple[str, str, tuple[str, ...], list]


def _student(age: int, needs_confirmation: bool) -> _Partial:
    """The student asks about their own file (R-CH-2, R-CH-3, R-CH-4)."""
    if age < 16:
        reasons = [_l("Een leerling jonger dan 16 jaar mag zelf een verzoek doen; het wordt in behandeling "
                      "genomen voor het volledige dossier (R-CH-2).")]
        if needs_confirmation:
            reasons.append(_l("De privacy officer vraagt een ouder met gezag of de voogd het verzoek te bevestigen, "
                              "tenzij dat door zorgen over de veiligheid van de leerling schadelijk kan zijn; "
                              "dan beslist de privacy officer."))
        return "allowed", "full", ("R-CH-2",), reasons
    if age < 18:
        return "allowed", "full", ("R-CH-3",), [
            _l("Vanaf 16 jaar oefent de leerling alle privacyrechten zelf uit, over het volledige dossier (R-CH-3).")]
    return "allowed", "full", ("R-CH-4",), [
        _l("De leerling is meerderjarig en oefent alle privacyrechten zelf uit, over het volledige dossier "
           "(R-CH-4).")]


def _own_data() -> _Partial:
    """The requester asks about their own data (e.g. a parent's contact details): §9, last row."""
    return "allowed", "full", (OWN_DATA_GROUND,), [
        _l("Het verzoek gaat over de eigen gegevens van de aanvrager (zoals contactgegevens). Daarover heeft "
           "iedereen alle rechten, los van de leeftijd van de leerling en van het gezag; het betreft alleen de "
           "gegevens over de aanvrager zelf, niet die over de leerling (rules §9, laatste rij).")]


def _representative(age: int) -> _Partial:
    """A representative acts for whom they represent (R-ID-5): the gezag-holder or the student."""
    if age < 16:
        return "allowed", "full", ("R-CH-2", "R-ID-5"), [
            _l("Onder de 16 jaar handelt een vertegenwoordiger namens een ouder met gezag of de voogd en wordt "
               "behandeld als die gezagsdrager: alle rechten over het volledige dossier, voor zover gemachtigd "
               "(R-CH-2)."),
            _l("Vereist is een schriftelijke machtiging van een ouder met gezag of de voogd; controleer ook de "
               "identiteit van de vertegenwoordiger en bewaar het bewijs (R-ID-5).")]
    rule = "R-CH-3" if age < 18 else "R-CH-4"
    return "allowed", "full", (rule, "R-ID-5"), [
        _l("De leerling is 16 jaar of ouder en oefent de rechten zelf uit; een vertegenwoordiger handelt namens de "
           "leerling, voor zover gemachtigd (%(rule)s).", rule=rule),
        _l("Vereist is een schriftelijke machtiging van de leerling zelf; controleer ook de identiteit van de "
           "vertegenwoordiger en bewaar het bewijs (R-ID-5).")]


def _with_consent(age: int) -> _Partial:
    """A student of 16+ has authorised the requester in writing (R-CH-3, R-CH-4)."""
    rule = "R-CH-3" if age < 18 else "R-CH-4"
    return "allowed", "full", (rule,), [
        _l("De leerling is 16 jaar of ouder en heeft schriftelijk toestemming gegeven; het verzoek wordt behandeld "
           "binnen de omvang van die toestemming (%(rule)s).", rule=rule),
        _l("Leg de toestemming vast met omvang en datum; trekt de leerling die in, stop dan en weiger de rest.")]


def _gezag_holder(right: str, age: int, consent: bool) -> _Partial:
    """A parent with gezag or a voogd asks about the student's data (R-CH-2, R-CH-3, R-CH-4)."""
    if age < 16:
        return "allowed", "full", ("R-CH-2",), [
            _l("Onder de 16 jaar oefent een ouder met gezag of de voogd de rechten van het kind uit, ieder "
               "zelfstandig en zonder toestemming van de andere ouder; het verzoek betreft het volledige dossier, "
               "met de uitzonderingen van hoofdstuk 4 (R-CH-2).")]
    if consent:
        return _with_consent(age)
    if age >= 18:
        return "refused", "none", ("R-CH-4",), [
            _l("De leerling is meerderjarig: zonder schriftelijke toestemming van de leerling krijgt een ouder of "
               "voogd geen gegevens en kan hij of zij geen rechten uitoefenen (R-CH-4). Wijs het verzoek af met een "
               "brief die uitlegt dat de leerling toestemming kan geven."), _OWN_DATA]
    if right == "access":
        return "partial", "learning_results", ("R-CH-3", "R-CH-7"), [
            _l("Vanaf 16 jaar oefent de leerling de privacyrechten zelf uit (R-CH-3)."),
            _l("Zonder schriftelijke machtiging van de leerling krijgt de ouder of voogd %(scope)s; de rest van het "
               "verzoek wordt met een gemotiveerde brief afgewezen.", scope=_LR_TEXT)]
    return "refused", "none", ("R-CH-3",), [
        _l("Vanaf 16 jaar oefent de leerling de privacyrechten zelf uit; zonder schriftelijke machtiging van de "
           "leerling kan een ouder of voogd dit recht over de gegevens van de leerling niet uitoefenen (R-CH-3)."),
        _OWN_DATA]


def _parent_without_gezag(right: str, age: int, consent: bool) -> _Partial:
    """A parent without gezag: BW 1:377c information only, ending at 18 (R-CH-5)."""
    if age >= 16 and consent:
        return _with_consent(age)
    if age >= 18:
        return "refused", "none", ("R-CH-4", "R-CH-5"), [
            _l("De leerling is meerderjarig: het recht op informatie van een ouder zonder gezag (art. 1:377c BW) "
               "eindigt bij 18 jaar (R-CH-5), en zonder schriftelijke toestemming van de leerling krijgt een ouder "
               "geen gegevens (R-CH-4)."), _OWN_DATA]
    if right != "access":
        return "refused", "none", ("R-CH-5",), [
            _l("Een ouder zonder gezag heeft geen AVG-rechten namens het kind en kan dit recht dus niet uitoefenen "
               "(R-CH-5). Wel kan de ouder informatie vragen op grond van art. 1:377c BW."), _OWN_DATA]
    reasons = [
        _l("Een ouder zonder gezag heeft geen AVG-rechten namens het kind, maar krijgt op verzoek informatie over "
           "belangrijke feiten en omstandigheden rond de persoon, verzorging en opvoeding van het kind "
           "(art. 1:377c BW, zaaktype INFO_377C, R-CH-5)."),
        _l("De school geeft %(scope)s, nooit een kopie van het dossier.", scope=_LR_TEXT)]
    if age >= 16:
        reasons.append(_l("Vanaf 16 jaar geldt dezelfde grens als voor ouders met gezag."))
    reasons.append(_l("Geef niets wat de school ook niet aan de ouder met gezag zou geven, of wat tegen het belang "
                      "van het kind ingaat."))
    return "info_only", "learning_results", ("R-CH-5", "R-CH-7"), reasons


def _no_gezag_guardian(age: int, consent: bool) -> _Partial:
    """A 'guardian' whose gezag is not established has no representation rights (R-ID-4)."""
    if age >= 16 and consent:
        return _with_consent(age)
    rule = ("R-CH-2",) if age < 16 else ("R-CH-3",) if age < 18 else ("R-CH-4",)
    last = (_l("Zonder gezag en zonder toestemming van de leerling kan dit verzoek niet worden uitgevoerd "
               "(%(rule)s).", rule=rule[0]) if age >= 16
            else _l("Zonder gezag kan dit verzoek niet worden uitgevoerd (%(rule)s).", rule=rule[0]))
    return "refused", "none", ("R-ID-4", *rule), [
        _l("Een voogd kan alleen namens de leerling optreden als het gezag (voogdij) vaststaat; dat is niet "
           "vastgesteld (R-ID-4). Vraag zo nodig een uittreksel uit het gezagsregister."), last]


def _carer_without_gezag(age: int, consent: bool) -> _Partial:
    """A carer (step-parent, foster parent) without gezag: no rights over the student's data (R-ID-4).

    BW 1:377c gives information to a parent without gezag only, not to a carer [ENG ⚠]; from 16 the
    student can authorise the carer in writing (R-CH-3, R-CH-4).
    """
    if age >= 16 and consent:
        return _with_consent(age)
    rule = "R-CH-2" if age < 16 else "R-CH-3" if age < 18 else "R-CH-4"
    reasons = [_l("Een verzorger (stiefouder, pleegouder) zonder gezag is geen wettelijk vertegenwoordiger en heeft "
                  "geen rechten over de gegevens van de leerling; het informatierecht van art. 1:377c BW geldt "
                  "alleen voor een ouder (R-ID-4).")]
    if age < 16:
        reasons.append(_l("Het verzoek kan worden gedaan door een ouder met gezag of de voogd, of door de leerling "
                          "zelf (%(rule)s).", rule=rule))
    else:
        reasons.append(_l("De leerling oefent de rechten zelf uit en kan de verzorger schriftelijk toestemming "
                          "geven (%(rule)s).", rule=rule))
    reasons.append(_OWN_DATA)
    return "refused", "none", ("R-ID-4", rule), reasons

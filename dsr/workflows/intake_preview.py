"""What a requester will get, in plain words, before they send the request form (issue 11, point 10).

One pure function, :func:`what_you_get`, built on :func:`dsr.workflows.policy.assess`: the public form
(its live text, its check step) and the case review use the same policy, so what the form promised and
what staff see cannot disagree. No I/O; the texts are lazily translated Dutch msgids, rendered in the
reader's language (Dutch outside a request).

The kinds a requester can read (``Preview.kind``):

* ``full`` — the whole file (R-CH-2 under 16, R-CH-3/R-CH-4 for the student, R-ID-5 as mandated);
* ``learning_results`` — the learning results only (R-CH-3, R-CH-7: a gezag-holder, student 16–17);
* ``info_377c`` — information under BW 1:377c, never a copy of the file (R-CH-5: a parent without gezag);
* ``consent_needed`` — nothing without the student's written consent (R-CH-3 other rights, R-CH-4 18+);
* ``no_rights`` — no rights over the student's data (R-ID-4: a carer or "voogd" without gezag; R-CH-5:
  a parent without gezag asking for more than information);
* ``own_data`` — all rights over the requester's own data (§9, last row);
* ``depends_on_gezag`` — the requester does not know whether they hold gezag: both answers are shown;
* ``incomplete`` — role, gezag or birth date still missing: the text says what to fill in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from . import policy

__all__ = ["KINDS", "Preview", "what_you_get"]

KINDS = ("full", "learning_results", "info_377c", "consent_needed", "no_rights", "own_data",
         "depends_on_gezag", "incomplete")

_EXCEPTIONS = _l("Sommige gegevens kunnen wettelijk zijn uitgezonderd, bijvoorbeeld gegevens over medeleerlingen.")
_OWN_DATA_HINT = _l("Gaat het om uw eigen gegevens, zoals uw adres of telefoonnummer? Kies dan bij \"Over wie gaat "
                    "het?\" voor mijzelf: daarover heeft u altijd alle rechten.")
_LEARNING_RESULTS = _l("cijfers, rapporten, PTA- en schoolexamenresultaten, centraal-examenresultaten, "
                       "bevorderings- en overgangsbeslissingen, studie- en niveauadvies en diploma/cijferlijst")
_OBJECTION = _l("Bezwaar kan alleen tegen gegevensgebruik voor de publieke taak van de school of voor een "
                "gerechtvaardigd belang, niet tegen wat de wet de school verplicht.")
_PORTABILITY = _l("Een bestand om mee te nemen geldt alleen voor gegevens die u zelf gaf met toestemming of "
                  "voor een overeenkomst; voor de meeste leerlinggegevens biedt de school u een inzagekopie aan.")


@dataclass(frozen=True)
class Preview:
    """What this requester will get: ``kind`` (see :data:`KINDS`), the policy's rule ids in ``grounds``,
    and the text: one ``headline`` and some ``details`` (lazy strings, in the reader's language)."""

    kind: str
    grounds: tuple[str, ...]
    headline: object
    details: tuple = ()

    @property
    def complete(self) -> bool:
        """False while role, gezag or birth date are missing."""
        return self.kind != "incomplete"

    def as_dict(self) -> dict:
        """The text in the current language, for the form's live preview (JSON)."""
        return {"complete": self.complete, "kind": self.kind, "grounds": list(self.grounds),
                "headline": str(self.headline), "details": [str(d) for d in self.details]}


def what_you_get(*, requester: str | None, parental_authority: bool | str | None, birth_date: date | None,
                 on: date, right: str | None = None, subject: str = "student",
                 child_request_needs_confirmation: bool = True) -> Preview:
    """Say in plain words what ``requester`` gets, from :func:`policy.assess` on date ``on``.

    ``parental_authority``: True/False, or the form's answer "yes" | "no" | "unknown" | None (not
    answered). "unknown" shows what the requester gets with and without gezag (the school checks it,
    R-ID-4). ``right``: one of policy.RIGHTS, or None while not chosen (then read as access).
    ``subject="requester"``: the request is about the requester's own data (§9, last row).
    """
    answers: dict[bool | str | None, bool | None] = {"yes": True, "no": False, "unknown": None, "": None}
    authority = answers.get(parental_authority, parental_authority)
    if right not in policy.RIGHTS:
        right = "access"
    if requester not in policy.REQUESTERS:
        return _incomplete(_l("Kies wie het verzoek doet; dan ziet u hier wat u krijgt."))
    own = subject == "requester" and requester != "student"
    if own:
        # The student's age plays no part in a request about one's own data (§9, last row), so the
        # preview needs no birth date; the policy still gives the rule ids (e.g. R-RI-5 for objection).
        a = policy.assess(right=right, requester=requester, birth_date=birth_date or on, on=on, subject=subject)
        return Preview("own_data", a.grounds,
                       _l("Het verzoek gaat over uw eigen gegevens, zoals uw contactgegevens: daarover heeft u "
                          "alle rechten, wat de leeftijd van de leerling ook is."),
                       (_l("Het gaat dan alleen om de gegevens over uzelf, niet om die over de leerling."),
                        *_right_note(right)))
    if birth_date is None or birth_date > on:
        return _incomplete(_l("Vul de geboortedatum van de leerling in; dan ziet u hier wat u krijgt."))
    if requester in policy.GEZAG_ROLES and parental_authority in (None, ""):
        return _incomplete(_l("Geef aan of u gezag heeft; dan ziet u hier wat u krijgt."))
    if requester in policy.GEZAG_ROLES and authority is None:
        with_gezag = _one(requester, True, birth_date, on, right, child_request_needs_confirmation)
        without = _one(requester, False, birth_date, on, right, child_request_needs_confirmation)
        return Preview("depends_on_gezag", tuple(dict.fromkeys(with_gezag.grounds + without.grounds)),
                       _l("Wat u krijgt, hangt af van het gezag. De school controleert of u gezag heeft."),
                       (_l("Met gezag: %(text)s", text=with_gezag.headline),
                        _l("Zonder gezag: %(text)s", text=without.headline)))
    return _one(requester, bool(authority) if requester in policy.GEZAG_ROLES else True, birth_date, on, right,
                child_request_needs_confirmation)


def _incomplete(headline: LazyString) -> Preview:
    return Preview("incomplete", (), headline)


def _right_note(right: str) -> tuple:
    return {"objection": (_OBJECTION,), "portability": (_PORTABILITY,)}.get(right, ())


def _one(requester: str, authority: bool, birth_date: date, on: date, right: str, confirm: bool) -> Preview:
    """The preview for known facts: the policy decides, this function only words it for the requester."""
    a = policy.assess(right=right, requester=requester, birth_date=birth_date, on=on,
                      parental_authority=authority, student_consent=False,
                      child_request_needs_confirmation=confirm)
    age = policy.age_on(birth_date, on)
    notes = _right_note(right)
    if a.outcome == "allowed":
        return Preview("full", a.grounds, _full_headline(requester, right),
                       (*_full_details(requester, age, confirm), *notes))
    if a.outcome == "partial":  # R-CH-3 + R-CH-7: a gezag-holder of a student of 16 or 17 asks for access
        return Preview("learning_results", a.grounds,
                       _l("U krijgt alleen de leerresultaten van de leerling (%(list)s), niet de rest van het "
                          "dossier.", list=_LEARNING_RESULTS),
                       (_l("Vanaf 16 jaar beslist de leerling zelf over de eigen privacyrechten."),
                        _l("Meer kan alleen met schriftelijke toestemming van de leerling. De leerling kan ook zelf "
                           "een verzoek doen.")))
    if a.outcome == "info_only":  # R-CH-5: BW 1:377c
        return Preview("info_377c", a.grounds,
                       _l("U krijgt informatie over belangrijke feiten en omstandigheden rond de leerling, zoals "
                          "cijfers en voortgang (artikel 1:377c Burgerlijk Wetboek). U krijgt geen kopie van het "
                          "dossier."),
                       (_l("Een ouder zonder gezag heeft geen privacyrechten namens het kind, maar wel dit recht op "
                           "informatie, tot de leerling 18 jaar is."),
                        _l("De school geeft niets wat zij ook niet aan een ouder met gezag zou geven, of wat tegen "
                           "het belang van de leerling ingaat.")))
    return _refusal(requester, authority, age, a.grounds, notes)


def _full_headline(requester: str, right: str) -> LazyString:
    if requester == "student":
        return (_l("U krijgt uw hele dossier: een kopie van alle gegevens die de school over u heeft.")
                if right == "access" else
                _l("U kunt dit verzoek doen over alle gegevens die de school over u heeft."))
    if right == "access":
        return _l("U krijgt het hele dossier: een kopie van alle gegevens die de school over de leerling heeft.")
    return _l("U kunt dit verzoek doen over alle gegevens die de school over de leerling heeft.")


def _full_details(requester: str, age: int, confirm: bool) -> tuple:
    if requester == "student":
        if age < 16:
            details = [_l("U mag dit verzoek zelf doen, ook als u jonger bent dan 16 jaar.")]
            if confirm:
                details.append(_l("De school vraagt een ouder met gezag of de voogd om uw verzoek te bevestigen, "
                                  "behalve als dat voor u niet veilig is."))
        else:
            details = [_l("Vanaf 16 jaar beslist u zelf over uw privacyrechten.")]
        return (*details, _EXCEPTIONS)
    if requester == "representative":
        mandate = (_l("De school vraagt om een schriftelijke machtiging van een ouder met gezag of de voogd.")
                   if age < 16 else _l("De school vraagt om een schriftelijke machtiging van de leerling zelf."))
        return (_l("U handelt namens iemand anders en krijgt alleen wat de machtiging toestaat."), mandate,
                _EXCEPTIONS)
    return (_l("Onder de 16 jaar oefent een ouder met gezag of de voogd de rechten van het kind uit; u heeft "
               "daarvoor geen toestemming van de andere ouder nodig."), _EXCEPTIONS)


def _refusal(requester: str, authority: bool, age: int, grounds: tuple, notes: tuple) -> Preview:
    """The policy refused: say why in plain words, and what the requester can do instead."""
    if requester in policy.GEZAG_ROLES and not authority and age < 18:
        if requester == "parent":  # R-CH-5: no GDPR rights, information only
            return Preview("no_rights", grounds,
                           _l("Dit verzoek kunt u niet doen: een ouder zonder gezag kan geen privacyrechten "
                              "uitoefenen namens het kind."),
                           (_l("U kunt wel informatie over de leerling vragen (artikel 1:377c Burgerlijk Wetboek): "
                               "kies dan \"Inzage\"."), _OWN_DATA_HINT))
        way = (_l("Het verzoek kan worden gedaan door een ouder met gezag of de voogd, of door de leerling zelf.")
               if age < 16 else
               _l("De leerling kan het verzoek zelf doen, of u daarvoor schriftelijk toestemming geven."))
        if requester == "carer":  # R-ID-4: 1:377c is for a parent only
            headline = _l("Als verzorger zonder gezag heeft u geen recht op de gegevens van de leerling.")
        else:  # a "voogd" whose voogdij is not established
            headline = _l("Zonder gezag (voogdij) heeft u geen recht op de gegevens van de leerling. De school "
                          "controleert het gezag.")
        return Preview("no_rights", grounds, headline, (way, _OWN_DATA_HINT))
    if age >= 18:  # R-CH-4
        return Preview("consent_needed", grounds,
                       _l("U krijgt niets zonder schriftelijke toestemming van de leerling."),
                       (_l("De leerling is 18 jaar of ouder en beslist zelf over de eigen gegevens. De leerling kan "
                           "ook zelf een verzoek doen."), _OWN_DATA_HINT))
    # R-CH-3: a gezag-holder of a student of 16 or 17 asks for another right than access
    return Preview("consent_needed", grounds,
                   _l("Dit verzoek kunt u niet doen zonder schriftelijke toestemming van de leerling."),
                   (_l("Vanaf 16 jaar beslist de leerling zelf over de eigen privacyrechten. De leerling kan het "
                       "verzoek zelf doen, of u daarvoor schriftelijk toestemming geven."), _OWN_DATA_HINT, *notes))

"""Demo data for ``make run``: two schools, staff, directors, a privacy officer and a few cases."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import Case, RegisterCategory, RegisterRecipient, School, User
from ..services import cases, systems
from ..services.people import create_user
from ..services.register import seed_register
from ..services.signin import enrol_with_secret, new_totp_secret
from ..workflows.roles import ADMIN, DIRECTOR, PRIVACY_OFFICER, STAFF
from ..workflows.vocabulary import PARTIAL

DEMO_PASSWORD = "demo-wachtwoord-2026"
DEMO_DOMAIN = "demo.asg.nl"
SCHOOLS = [("ODK", "De Ontdekking"), ("BAK", "Het Baken")]
DEMO_USERS = [
    ("admin.odk@demo.asg.nl", STAFF, "ODK"),
    ("directie.odk@demo.asg.nl", DIRECTOR, "ODK"),
    ("admin.bak@demo.asg.nl", STAFF, "BAK"),
    ("directie.bak@demo.asg.nl", DIRECTOR, "BAK"),
    ("ibp@demo.asg.nl", PRIVACY_OFFICER, None),
    ("beheer@demo.asg.nl", ADMIN, None),
]


#: Fictitious, named suppliers of digital learning material for the demo and the tests: Art. 15(1)(c) wants
#: recipients by name (C-154/21), so the demo replaces the register's placeholder for the group.
DEMO_SUPPLIERS = [
    {"code": "leverancier_leerlijn", "name": "Leerlijn Uitgevers B.V. (demo)",
     "description": "Uitgever van lesmethodes. Krijgt naam, klas en een leerlingnummer om in te loggen en de voortgang "
                    "bij te houden, volgens het Privacyconvenant Onderwijs.",
     "notification_route": "Melden via het beheerportaal van Leerlijn Uitgevers (verwerker, art. 28 lid 3 sub e AVG)."},
    {"code": "leverancier_oefenplein", "name": "Oefenplein Online B.V. (demo)",
     "description": "Oefenprogramma voor rekenen en taal. Krijgt naam, klas en een leerlingnummer om in te loggen en "
                    "de voortgang bij te houden, volgens het Privacyconvenant Onderwijs.",
     "notification_route": "Melden per e-mail aan de privacycontactpersoon van Oefenplein Online (verwerker)."},
]


def name_demo_suppliers() -> None:
    """Replace the register's unnamed supplier placeholder by the named demo suppliers, linked to the same
    categories (idempotent; the caller commits)."""
    placeholder = db.session.execute(sa.select(RegisterRecipient).where(
        RegisterRecipient.code == "leermiddelen")).scalar()
    if placeholder is None or not placeholder.active:
        return
    categories = [c for c in db.session.execute(sa.select(RegisterCategory)).scalars() if placeholder in c.recipients]
    for spec in DEMO_SUPPLIERS:
        supplier = RegisterRecipient(**spec, kind="supplier", processor=True, named=True, active=True)
        db.session.add(supplier)
        for category in categories:
            category.recipients.append(supplier)
    placeholder.active = False
    db.session.flush()


def seed_demo_systems(privacy_officer: User) -> None:
    """Two demo systems in the register (issue 17), saved as the privacy officer would: the archive, a manual
    system owned by a processor, and a learning platform that only has an export, each mapped to a few
    categories. No secrets: neither kind has any."""
    by_code = {c.code: c.id for c in db.session.execute(sa.select(RegisterCategory)).scalars()}
    common = {"description": "", "owner_user_id": None, "recipient_id": None, "school_id": None,
              "max_response_bytes": 10_000_000, "timeout_seconds": 20, "task_days": 10, "roster_source": False,
              "active": True}
    archive = systems.save_system(privacy_officer, None, {
        **common, "code": "archief", "name": "Archief (demo)", "kind": "manual",
        "description": "Papieren dossiers van oud-leerlingen, bewaard door een archiefbedrijf.",
        "owner_name": "Archiefbeheer Flevoland B.V. (demo)", "owner_email": "archief@demo.asg.nl"}, {})
    export = systems.save_system(privacy_officer, None, {
        **common, "code": "leerplatform", "name": "Leerplatform (demo)", "kind": "file",
        "description": "Digitale leeromgeving; levert alleen een CSV-export.",
        "owner_name": "Beheer leerplatform (demo)", "owner_email": "leerplatform@demo.asg.nl",
        "format": "csv", "key_column": "leerlingnummer"}, {})
    for system_, codes in ((archive, ("leerlingdossier", "zorg")), (export, ("cijfers",))):
        for code in codes:
            if code in by_code:
                systems.save_mapping(privacy_officer, system_.id, by_code[code], {"key_field": "leerlingnummer"},
                                     version=systems.system(system_.id).version)


def seed_demo() -> bool:
    """Create the demo data once; returns False if it already exists."""
    if db.session.execute(sa.select(School.id).limit(1)).first():
        return False
    for n, (code, name) in enumerate(SCHOOLS, start=1):
        # Demo contact details (letters that say "bel" or "kom langs" need them); the privacy officer
        # confirms each school's appeal route on the "Scholen" page.
        db.session.add(School(code=code, name=name, phone=f"036 000 00 0{n} (demo)",
                              visiting_address=f"Demostraat {n}, 1300 AA Almere (demo)"))
    db.session.flush()
    users = {}
    for email, role, school_code in DEMO_USERS:
        users[email] = create_user(email, email.split("@")[0].replace(".", " ").title(), role, DEMO_PASSWORD,
                                   [school_code] if school_code else [])
        # Every staff role needs a second factor; demo codes come from `make totp EMAIL=...`.
        enrol_with_secret(users[email], new_totp_secret())
    seed_register()  # the processing register (privacy statement, docs/legal.md §6)
    name_demo_suppliers()
    db.session.commit()
    seed_demo_systems(users["ibp@demo.asg.nl"])
    odk, bak = (db.session.execute(sa.select(School).where(School.code == c)).scalar_one() for c, _ in SCHOOLS)
    today = dt.date.today()

    def years_ago(years: int) -> dt.date:
        # day 28 at most: today.replace(year=...) fails on 29 February
        return dt.date(today.year - years, today.month, min(today.day, 28))

    samples = [
        (odk, "access", "parent", "Sanne de Vries", years_ago(12), "Peter de Vries"),
        (odk, "rectification", "student", "Mila Jansen", years_ago(17), "Mila Jansen"),
        (bak, "erasure", "parent", "Daan Bakker", years_ago(15), "Eva Bakker"),
        (bak, "access", "parent", "Noah Visser", years_ago(17) - dt.timedelta(days=40), "Kim Visser"),
    ]
    created = []
    for school, right, role, student, birth, requester in samples:
        created.append(cases.submit_request({
            "school_id": school.id, "right": right, "student_name": student, "student_birth_date": birth,
            "requester_role": role, "requester_name": requester,
            "requester_email": requester.lower().replace(" ", ".") + "@voorbeeld.nl",
            "parental_authority": True if role == "parent" else None,
            "details": "Demo-verzoek.", "data_concerned": "Adres" if right != "access" else "",
            "correct_value": "Stationsstraat 1, Almere" if right == "rectification" else "",
        }))
    staff_odk, staff_bak = users["admin.odk@demo.asg.nl"], users["admin.bak@demo.asg.nl"]
    # Move some cases along so the queue shows several states.
    cases.transition(staff_odk, created[1].id, "verify_identity", created[1].version, {"method": "portal"})
    case = db.session.get_one(Case, created[3].id)
    cases.transition(staff_bak, case.id, "verify_identity", case.version, {"method": "desk", "authority": "yes"})
    cases.transition(staff_bak, case.id, "review", case.version,
                     {"decision": PARTIAL, "grounds": ["student_16"],
                      "reason": "Leerling is 17: ouder krijgt alleen de leerresultaten (R-CH-3)."})
    cases.transition(staff_bak, case.id, "propose_refusal", case.version,
                     {"reason": "Alleen leerresultaten verstrekken; rest weigeren zonder toestemming leerling.",
                      "requester_explanation": "Uw kind is 17 jaar. Zonder toestemming van uw kind krijgt u alleen "
                                               "de leerresultaten; de andere gegevens geven wij niet."})
    return True


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo", "User"]

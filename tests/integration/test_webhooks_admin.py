"""Webhooks (issue 18 point 6), the admin's pages: create (the secret shown once), bad input at its field,
a stale form's 409, removal, and admins only."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsr.extensions import db
from dsr.models import AuditEvent, WebhookSubscription
from tests.helpers import signed_in, text_of
from tests.integration.helpers import field_error
from tests.integration.webhook_helpers import subscribe


def _new(client, **overrides):
    data = {"name": "Rapportage bestuur", "url": "https://koppeling.asg.test/dsr", "events": ["case.received"],
            "school": "alle"}
    data.update(overrides)
    return client.post("/beheer/webhooks/nieuw", data=data)


def test_the_admin_creates_a_subscription_and_sees_its_secret_once(app, people):
    admin = signed_in(app, people, "admin")
    assert admin.get("/beheer/webhooks/nieuw").status_code == 200
    created = _new(admin, events=["case.received", "case.closed"], school="BBB")
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = text_of(created).split('id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    with app.app_context():
        row = db.session.execute(sa.select(WebhookSubscription)).scalar_one()
        assert (row.events, row.school_id, row.active, row.created_by_id) == (
            "case.received case.closed", people.school_b, True, people.admin)
        assert secret not in row.secret_sealed
        events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action.like("webhook.%"))).scalars().all()
        assert [e.action for e in events] == ["webhook.subscribed"]
        assert secret not in events[0].details and "koppeling.asg.test" not in events[0].details
    listing = text_of(admin.get("/beheer/webhooks"))
    assert "Rapportage bestuur" in listing and secret not in listing
    assert secret not in text_of(admin.get(f"/beheer/webhooks/{row.id}"))
    assert "/beheer/webhooks" in admin.get("/beheer/gebruikers").get_data(as_text=True), "the navigation links it"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"url": "http://koppeling.asg.test/dsr"}, "url", "https://"),
    ({"url": "ftp://koppeling.asg.test/dsr"}, "url", "volledig webadres"),
    ({"url": "https://user:pw@koppeling.asg.test/dsr"}, "url", "volledig webadres"),
    ({"url": ""}, "url", "Vul het adres in"),
    ({"events": []}, "events", "minstens één gebeurtenis"),
    ({"events": ["case.deleted"]}, "events", "minstens één gebeurtenis"),
    ({"name": ""}, "name", "Vul een naam in"),
    ({"school": "ZZZ"}, "school", "actieve school"),
])
def test_bad_input_is_marked_at_its_field_and_nothing_is_saved(app, people, overrides, field, message):
    admin = signed_in(app, people, "admin")
    answer = _new(admin, **overrides)
    assert answer.status_code == 422
    assert message in (field_error(answer.get_data(as_text=True), field) or "")
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(WebhookSubscription.id))).scalar_one() == 0


def test_a_stale_form_is_a_409_and_a_change_and_removal_are_audited(app, people):
    subscription_id, _ = subscribe(app, people, "https://koppeling.asg.test/dsr")
    admin = signed_in(app, people, "admin")
    form = {"name": "Rapportage", "url": "https://koppeling.asg.test/dsr", "events": ["case.closed"],
            "school": "AAA", "version": "1"}
    assert admin.post(f"/beheer/webhooks/{subscription_id}", data=form).status_code == 302
    late = admin.post(f"/beheer/webhooks/{subscription_id}", data={**form, "events": ["case.received"], "active": "y"})
    assert late.status_code == 409 and "Iemand anders heeft deze koppeling intussen gewijzigd" in text_of(late)
    with app.app_context():
        row = db.session.get_one(WebhookSubscription, subscription_id)
        assert (row.events, row.school_id, row.active, row.version) == ("case.closed", people.school_a, False, 2)
    assert admin.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "1"}).status_code == 409
    assert admin.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "2"}).status_code == 302
    with app.app_context():
        assert db.session.get(WebhookSubscription, subscription_id) is None
        actions = db.session.execute(sa.select(AuditEvent.action, AuditEvent.details).where(
            AuditEvent.action.like("webhook.%")).order_by(AuditEvent.id)).all()
        assert [a for a, _ in actions] == ["webhook.subscribed", "webhook.changed", "webhook.removed"]
        assert all("koppeling" not in d for _, d in actions)
    assert admin.get(f"/beheer/webhooks/{subscription_id}").status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "director_a", "privacy"])
def test_only_admins_reach_the_webhook_pages(app, people, who):
    subscription_id, _ = subscribe(app, people, "https://koppeling.asg.test/dsr")
    other = signed_in(app, people, who)
    assert other.get("/beheer/webhooks").status_code == 403
    assert _new(other).status_code == 403
    assert other.post(f"/beheer/webhooks/{subscription_id}/verwijderen", data={"version": "1"}).status_code == 403
    assert "/beheer/webhooks" not in other.get("/").get_data(as_text=True)
    assert app.test_client().get("/beheer/webhooks").status_code == 302  # anonymous: to the sign-in



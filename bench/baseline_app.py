"""The intake baseline: the least an app on the same stack does with the same form.

Flask + Flask-WTF (a form with the same fields and CSRF token) + Flask-SQLAlchemy on the same
PostgreSQL server, inserting one row per submission and redirecting, served by the same gunicorn
setup. ``gunicorn bench.baseline_app:app`` with ``BENCH_BASELINE_DATABASE_URL`` set.

With ``BENCH_BASELINE_SMTP`` (``host:port``) set, each submission also sends one receipt with smtplib
after its commit, a connection per mail (as Flask-Mail does): the whole-system benchmark's baseline.
"""
from __future__ import annotations

import datetime as dt
import os
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask, redirect, render_template_string
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

db = SQLAlchemy()


class Submission(db.Model):
    __tablename__ = "bench_baseline_submissions"
    id = sa.Column(sa.Integer, primary_key=True)
    right = sa.Column(sa.String(20), nullable=False)
    school_id = sa.Column(sa.Integer, nullable=False)
    student_name = sa.Column(sa.String(200), nullable=False)
    student_birth_date = sa.Column(sa.Date, nullable=False)
    student_number = sa.Column(sa.String(40))
    requester_role = sa.Column(sa.String(20), nullable=False)
    parental_authority = sa.Column(sa.String(10))
    requester_name = sa.Column(sa.String(200), nullable=False)
    requester_email = sa.Column(sa.String(254), nullable=False)
    requester_phone = sa.Column(sa.String(40))
    details = sa.Column(sa.Text, nullable=False, default="")
    data_concerned = sa.Column(sa.Text, nullable=False, default="")
    correct_value = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


RIGHTS = ["access", "rectification", "erasure", "restriction", "objection", "portability"]
ROLES = ["student", "parent", "guardian", "representative"]


class RequestForm(FlaskForm):
    right = RadioField("Wat wilt u vragen?", choices=RIGHTS, validators=[InputRequired()])
    school_id = SelectField("School", coerce=int, validate_choice=False, validators=[InputRequired()])
    student_name = StringField("Naam van de leerling", validators=[DataRequired(), Length(max=200)])
    student_birth_date = DateField("Geboortedatum", validators=[InputRequired()])
    student_number = StringField("Leerlingnummer", validators=[Optional(), Length(max=40)])
    requester_role = RadioField("Wie doet het verzoek?", choices=ROLES, validators=[InputRequired()])
    parental_authority = RadioField("Ouderlijk gezag", choices=["yes", "no", "unknown"], validators=[Optional()])
    requester_name = StringField("Uw naam", validators=[DataRequired(), Length(max=200)])
    requester_email = EmailField("Uw e-mailadres", validators=[DataRequired(), Email(), Length(max=254)])
    requester_phone = TelField("Telefoonnummer", validators=[Optional()])
    details = TextAreaField("Toelichting", validators=[Optional(), Length(max=5000)])
    data_concerned = TextAreaField("Gegevens", validators=[Optional(), Length(max=2000)])
    correct_value = TextAreaField("Juiste gegeven", validators=[Optional(), Length(max=2000)])


PAGE = """<!doctype html><html lang="nl"><head><title>Verzoek</title></head><body>
<form method="post">{{ form.csrf_token }}
{% for field in form if field.name != 'csrf_token' %}<p>{{ field.label }} {{ field() }}
{% for error in field.errors %}<span>{{ error }}</span>{% endfor %}</p>{% endfor %}
<button type="submit">Versturen</button></form></body></html>"""


def send_receipt(smtp: str, submission: Submission) -> None:
    """One plain smtplib send of a short receipt to the requester (a new connection each time)."""
    host, _, port = smtp.rpartition(":")
    message = EmailMessage()
    message["Subject"], message["From"] = "Uw verzoek is ontvangen", "avg@bench.invalid"
    message["To"], message["Message-ID"] = submission.requester_email, f"<baseline-{submission.id}@bench>"
    message.set_content(f"Wij hebben uw verzoek ontvangen (nummer {submission.id}).")
    with smtplib.SMTP(host, int(port), timeout=20) as connection:
        connection.send_message(message)


def create_app(url: str | None = None, smtp: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ.get("BENCH_BASELINE_SECRET", "baseline-secret"),
                      SQLALCHEMY_DATABASE_URI=url or os.environ["BENCH_BASELINE_DATABASE_URL"])
    smtp = smtp or os.environ.get("BENCH_BASELINE_SMTP")
    db.init_app(app)

    @app.route("/", methods=["GET", "POST"])
    def intake():
        form = RequestForm()
        form.school_id.choices = [(0, "Kies een school"), (1, "School")]
        if form.validate_on_submit():
            data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
            submission = Submission(**data, created_at=dt.datetime.now(dt.UTC))
            db.session.add(submission)
            db.session.commit()
            if smtp:
                send_receipt(smtp, submission)
            return redirect("/ontvangen")
        return render_template_string(PAGE, form=form)

    return app


app = create_app() if os.environ.get("BENCH_BASELINE_DATABASE_URL") else None

"""The settings are declared once (dsr/settings/declared.py) and read by kind (issue 12 point 4).

Pure checks of the declaration and the parsing, plus ``create_app`` refusing a bad environment
before it starts anything. The environment is passed as a mapping, or set with monkeypatch.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr import create_app
from dsr.config import ConfigError, defaults, load_environment
from dsr.settings import ALL_SETTINGS, APP_SETTINGS, RETIRED, TOOLING_SETTINGS, by_env_name, read_environment, readme

ROOT = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()


def _refusal(environ: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        read_environment(environ)
    return str(caught.value)


# --- the declaration and the README -------------------------------------------------------------

def test_each_setting_is_declared_once_with_a_meaning():
    names = [s.env_name for s in ALL_SETTINGS]
    assert len(names) == len(set(names))
    keys = [s.config_key for s in APP_SETTINGS]
    assert len(keys) == len(set(keys))
    assert all(s.meaning and s.group for s in ALL_SETTINGS)


def test_defaults_are_the_declared_ones_and_fresh_copies():
    first, second = defaults("/srv/dsr/instance"), defaults("/srv/dsr/instance")
    assert set(first) == {s.config_key for s in APP_SETTINGS}
    assert first["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/dsr/instance/dsr.sqlite"
    assert first["REMINDER_WORKING_DAYS"] == [10, 5] and first["MAIL_PORT"] == 8025
    first["REMINDER_WORKING_DAYS"].append(1)
    first["ARGON2_PARAMETERS"]["time_cost"] = 9
    assert second["REMINDER_WORKING_DAYS"] == [10, 5] and defaults("x")["ARGON2_PARAMETERS"]["time_cost"] == 2


def test_readme_table_is_the_generated_one():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.replaced(text) == text, "README.md's settings table is stale: run make settings-table"
    for setting in ALL_SETTINGS:
        assert f"| `{setting.env_name}` |" in text


def test_the_readme_check_fails_on_a_changed_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    edited = text.replace("| `DSR_MAIL_PORT` | integer | `8025` |", "| `DSR_MAIL_PORT` | integer | `25` |")
    assert edited != text
    assert readme.replaced(edited) == text
    removed = text.replace("| `DSR_MAIL_PORT` | integer | `8025` | SMTP relay port |\n", "")
    assert readme.replaced(removed) != removed


def test_the_generator_command_checks_and_prints():
    ran = subprocess.run([sys.executable, "-m", "dsr.settings", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    printed = subprocess.run([sys.executable, "-m", "dsr.settings"], cwd=ROOT, capture_output=True, text=True)
    assert printed.stdout.strip() == readme.markdown()


def test_tooling_settings_have_their_own_section():
    text = readme.markdown()
    tooling = text.index(f"**{TOOLING_SETTINGS[0].group}**")
    for setting in TOOLING_SETTINGS:
        assert text.index(f"`{setting.env_name}`") > tooling
    for setting in APP_SETTINGS:
        assert text.index(f"`{setting.env_name}`") < tooling


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_every_dsr_name_in_the_repository_is_declared():
    """A name that a tool, test or document uses but nobody declared would be refused at start."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    used: dict[str, str] = {}
    for name in files:
        path = ROOT / name
        if name == THIS_FILE or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        # A trailing underscore is a prefix in prose ("DSR_TEST_*"), not a name.
        for found in re.findall(r"\bDSR_[A-Z0-9_]*[A-Z0-9]\b", data.decode("utf-8", "replace")):
            used.setdefault(found, name)
    undeclared = {n: f for n, f in used.items() if n not in by_env_name and n not in RETIRED}
    assert not undeclared, f"declare these in dsr/settings/declared.py: {undeclared}"


# --- reading values by kind ----------------------------------------------------------------------

def test_text_stays_text_where_json_used_to_turn_it_into_a_number():
    values = read_environment({"DSR_MAIL_PASSWORD": "123456", "DSR_SECRET_KEY": "1e3", "DSR_MAIL_USERNAME": "null",
                               "DSR_ORGANISATION_NAME": '"quoted"'})
    assert values == {"MAIL_PASSWORD": "123456", "SECRET_KEY": "1e3", "MAIL_USERNAME": "null",
                      "ORGANISATION_NAME": '"quoted"'}


@given(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))))
def test_any_text_is_kept_as_it_is(raw):
    assert read_environment({"DSR_ORGANISATION_NAME": raw}) == {"ORGANISATION_NAME": raw}
    assert read_environment({"DSR_MAIL_PASSWORD": raw}) == {"MAIL_PASSWORD": raw if raw else None}


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Yes", True),
                                            ("false", False), ("0", False), ("no", False), (" False ", False)])
def test_true_false(raw, value):
    assert read_environment({"DSR_MAIL_USE_TLS": raw}) == {"MAIL_USE_TLS": value}


@pytest.mark.parametrize("raw", ["maybe", "", "on", "2", "tru"])
def test_true_false_refuses_anything_else(raw):
    message = _refusal({"DSR_MAIL_USE_TLS": raw})
    assert message.startswith(f"DSR_MAIL_USE_TLS: {raw!r} is not true/false")


def test_integers_and_numbers():
    assert read_environment({"DSR_MAIL_PORT": "587", "DSR_SCHEDULER_SWEEP_SECONDS": "5.5",
                             "DSR_SCHEDULER_REDRIVE_SECONDS": "2"}) == {
        "MAIL_PORT": 587, "SCHEDULER_SWEEP_SECONDS": 5.5, "SCHEDULER_REDRIVE_SECONDS": 2}
    assert type(read_environment({"DSR_SCHEDULER_REDRIVE_SECONDS": "2"})["SCHEDULER_REDRIVE_SECONDS"]) is int
    assert "DSR_MAIL_PORT: '58.7' is not a whole number" in _refusal({"DSR_MAIL_PORT": "58.7"})
    assert "DSR_MAIL_PORT: '' is not a whole number" in _refusal({"DSR_MAIL_PORT": ""})
    assert "DSR_SCHEDULER_SWEEP_SECONDS: 'hourly' is not a number" in _refusal(
        {"DSR_SCHEDULER_SWEEP_SECONDS": "hourly"})


@pytest.mark.parametrize("raw", ["[10, 5]", "10,5", " 10, 5 ", "[10,5]"])
def test_a_list_of_integers_in_json_or_with_commas(raw):
    assert read_environment({"DSR_REMINDER_WORKING_DAYS": raw}) == {"REMINDER_WORKING_DAYS": [10, 5]}


@pytest.mark.parametrize("raw", ["[10, true]", "[10, \"5\"]", "ten,five", "[10, 5", "{\"a\": 1}", "[1.5]"])
def test_a_list_of_integers_refuses_other_values(raw):
    assert _refusal({"DSR_REMINDER_WORKING_DAYS": raw}).startswith(
        f"DSR_REMINDER_WORKING_DAYS: {raw!r} is not a")


def test_a_list_of_texts():
    key = "kQtG3mQ2q0j7kC5T8i2f0p3m7s9w1y4b6d8f0h2j4l0="
    assert read_environment({"DSR_FILE_KEYS": f'["{key}", "old"]'}) == {"FILE_KEYS": [key, "old"]}
    assert read_environment({"DSR_FILE_KEYS": f"{key},old"}) == {"FILE_KEYS": [key, "old"]}
    assert read_environment({"DSR_TRUSTED_HOSTS": "avg.asg.nl"}) == {"TRUSTED_HOSTS": ["avg.asg.nl"]}
    assert read_environment({"DSR_LANGUAGES": ""}) == {"LANGUAGES": []}


def test_json_objects():
    options = '{"pool_size": 2, "max_overflow": 0, "pool_pre_ping": true, "pool_recycle": 1800}'
    assert read_environment({"DSR_SQLALCHEMY_ENGINE_OPTIONS": options})["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_size": 2, "max_overflow": 0, "pool_pre_ping": True, "pool_recycle": 1800}
    assert "is not a JSON object" in _refusal({"DSR_ARGON2_PARAMETERS": "[2, 19456, 1]"})


def test_a_choice():
    assert read_environment({"DSR_SESSION_COOKIE_SAMESITE": "Strict"}) == {"SESSION_COOKIE_SAMESITE": "Strict"}
    assert "is not one of Lax, Strict, None" in _refusal({"DSR_SESSION_COOKIE_SAMESITE": "lax"})


def test_an_optional_setting_set_empty_is_none():
    assert read_environment({"DSR_PORTAL_NOTICE_LINK_DAYS": "", "DSR_TRUSTED_HOSTS": "", "DSR_MAIL_CA_FILE": ""}) == {
        "PORTAL_NOTICE_LINK_DAYS": None, "TRUSTED_HOSTS": None, "MAIL_CA_FILE": None}
    assert read_environment({"DSR_PORTAL_NOTICE_LINK_DAYS": "3"}) == {"PORTAL_NOTICE_LINK_DAYS": 3}
    assert read_environment({"DSR_MAIL_PASSWORD": " "}) == {"MAIL_PASSWORD": " "}  # only empty is none


def test_a_secret_value_is_not_repeated_in_the_refusal():
    message = _refusal({"DSR_FILE_KEYS": '["s3cr3t-key", 1]'})
    assert "DSR_FILE_KEYS: the value is not a list of texts" in message and "s3cr3t" not in message


def test_the_alias_and_the_environment_of_the_deployment_example():
    example = (ROOT / "deploy" / "systemd" / "dsr.env.example").read_text(encoding="utf-8")
    environ = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    values = read_environment(environ)
    assert values["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert values["MAIL_PORT"] == 587 and values["MAIL_USE_TLS"] is True and values["HSTS_SECONDS"] == 31536000
    assert values["TRUSTED_HOSTS"] == ["avg.example.nl"] and values["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 2
    assert "BIND" not in values and "WEB_CONCURRENCY" not in values


# --- unknown names -------------------------------------------------------------------------------

def test_a_misspelt_name_is_refused_with_the_likely_one():
    message = _refusal({"DSR_MAIL_PASWORD": "x"})
    assert message.startswith("DSR_MAIL_PASWORD is not a setting (did you mean DSR_MAIL_PASSWORD?)")
    assert "\n" not in message


def test_an_unknown_name_far_from_any_is_refused_without_a_guess():
    message = _refusal({"DSR_COFFEE": "strong"})
    assert message.startswith("DSR_COFFEE is not a setting;") and "did you mean" not in message


def test_the_flask_key_spelt_as_a_variable_points_at_the_variable():
    assert "DSR_SQLALCHEMY_DATABASE_URI is not a setting (did you mean DSR_DATABASE_URL?)" in _refusal(
        {"DSR_SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_retired_name_says_where_the_choice_went():
    assert "DSR_APPEAL_ROUTE is no longer a setting: the appeal route is set per school" in _refusal(
        {"DSR_APPEAL_ROUTE": "both"})


def test_every_problem_on_one_line():
    message = _refusal({"DSR_MAIL_PORT": "x", "DSR_MAIL_SERVR": "smtp", "DSR_MAIL_USE_TLS": "y"})
    assert "\n" not in message
    assert all(name in message for name in ("DSR_MAIL_PORT", "DSR_MAIL_SERVR", "DSR_MAIL_USE_TLS"))


def test_tooling_names_are_accepted_and_left_to_their_tools():
    environ = {s.env_name: "1" for s in TOOLING_SETTINGS}
    assert read_environment({**environ, "HOME": "/root", "dsr_lower": "x"}) == {}


# --- create_app ----------------------------------------------------------------------------------

def _clean_environment(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("DSR_")]:
        monkeypatch.delenv(name)


def test_create_app_refuses_an_unknown_name_before_it_starts(monkeypatch):
    _clean_environment(monkeypatch)
    monkeypatch.setenv("DSR_SESION_COOKIE_SECURE", "true")
    with pytest.raises(ConfigError, match=r"DSR_SESION_COOKIE_SECURE is not a setting \(did you mean "
                                          r"DSR_SESSION_COOKIE_SECURE\?\)"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_create_app_reads_the_environment_then_the_mapping(monkeypatch):
    _clean_environment(monkeypatch)
    monkeypatch.setenv("DSR_MAIL_PORT", "2525")
    monkeypatch.setenv("DSR_MAIL_PASSWORD", "123456")
    monkeypatch.setenv("DSR_QUEUE_PAGE_SIZE", "10")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "QUEUE_PAGE_SIZE": 50})
    assert app.config["MAIL_PORT"] == 2525 and app.config["MAIL_PASSWORD"] == "123456"
    assert app.config["QUEUE_PAGE_SIZE"] == 50  # the mapping (tests) wins over the environment


def test_demo_allows_a_start_without_a_secret_key(monkeypatch):
    _clean_environment(monkeypatch)
    with pytest.raises(RuntimeError, match="DSR_SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("DSR_DEMO", "1")
    assert len(create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).secret_key) == 64


def test_production_refuses_to_start_without_audit_keys_in_one_line(monkeypatch):
    """Issue 13 point 1: the audit chain's key lives outside the database; without one there is no start
    (the demo and the tests derive one from the secret key)."""
    _clean_environment(monkeypatch)
    monkeypatch.setenv("DSR_SECRET_KEY", "k-production-secret")
    monkeypatch.setenv("DSR_PUBLIC_BASE_URL", "https://avg.example.nl")  # the other required setting
    with pytest.raises(ConfigError) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert str(refused.value).startswith("DSR_AUDIT_KEYS is not set") and "\n" not in str(refused.value)
    monkeypatch.setenv("DSR_AUDIT_KEYS", '["too-short"]')
    with pytest.raises(ConfigError, match="DSR_AUDIT_KEYS: every key needs at least 32 characters"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("DSR_AUDIT_KEYS", '["' + "a" * 64 + '", "' + "b" * 64 + '"]')
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["AUDIT_KEYS"] == ["a" * 64, "b" * 64]
    monkeypatch.delenv("DSR_AUDIT_KEYS")
    monkeypatch.setenv("DSR_DEMO", "1")
    demo = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["AUDIT_KEYS"]
    assert len(demo) == 1 and demo == create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["AUDIT_KEYS"]


def test_load_environment_updates_the_mapping_it_is_given():
    config = {"MAIL_PORT": 8025}
    load_environment(config, {"DSR_MAIL_PORT": "25", "DSR_DATABASE_URL": "sqlite://", "PATH": "/bin"})
    assert config == {"MAIL_PORT": 25, "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def test_outside_the_demo_the_app_refuses_to_start_without_a_public_base_url(monkeypatch):
    """Issue 13 point 9: links in mails come from DSR_PUBLIC_BASE_URL only, so it must be there."""
    _clean_environment(monkeypatch)
    production = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "s" * 64,
                  "AUDIT_KEYS": ["a" * 64]}  # the other required setting
    with pytest.raises(ConfigError, match=r"^DSR_PUBLIC_BASE_URL is not set: .*never from the request's Host"):
        create_app(production)
    for bad in ("avg.asg.nl", "ftp://avg.asg.nl", "https://avg.asg.nl/?next=x", "http://[::1"):
        with pytest.raises(ConfigError, match="DSR_PUBLIC_BASE_URL: .* is not a base address"):
            create_app({**production, "PUBLIC_BASE_URL": bad})
    assert create_app({**production, "PUBLIC_BASE_URL": "https://avg.asg.nl"})
    assert create_app({**production, "TESTING": True})  # the tests and the demo use a local base
    monkeypatch.setenv("DSR_DEMO", "1")
    assert create_app(production)

"""Encrypted file storage and key rotation."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from dsr.extensions import db
from dsr.models import User
from dsr.services import storage
from tests.helpers import login


def test_files_are_encrypted_at_rest_and_survive_key_rotation(app, people, tmp_path):
    old_keys, old_storage = app.config["FILE_KEYS"], app.config["FILE_STORAGE"]
    app.config["FILE_STORAGE"] = str(tmp_path)
    try:
        with app.app_context():
            key = storage.store(b"%PDF-1.4 leerresultaten van Sam")
            raw = next(tmp_path.glob("*/*")).read_bytes()
            assert b"leerresultaten" not in raw and storage.load(key).startswith(b"%PDF")
            new = Fernet.generate_key().decode()
            app.config["FILE_KEYS"] = [new, *old_keys]
            result = app.test_cli_runner().invoke(args=["dsr", "rotate-file-keys"])
            assert result.exit_code == 0 and "1 file(s)" in result.output
            app.config["FILE_KEYS"] = [new]  # the old key is gone
            assert storage.load(key).endswith(b"van Sam")
            # TOTP secrets were re-encrypted too: the user can still sign in.
            assert db.session.get(User, people.staff_a).has_totp
        login(app.test_client(), people.email["staff_a"])
        with app.app_context():
            with pytest.raises(storage.StorageError):
                storage.load("../../etc/passwd")
            assert storage.delete(key) and not storage.delete(key)
    finally:
        app.config["FILE_KEYS"] = old_keys
        app.config["FILE_STORAGE"] = old_storage  # not None: later tests would write into instance/

"""The forking RQ worker prepares in its parent what every work-horse would otherwise redo per job."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import AUDIT_KEY

SCRIPT = """
import sqlalchemy as sa
from redis import Redis
from dsr.jobs import AppWorker
from dsr.models import OutboxMessage
worker = AppWorker(["dsr"], connection=Redis.from_url({url!r}))
assert sa.inspect(OutboxMessage).configured, "mappers not configured before the fork"
print("configured")
"""


def test_worker_parent_configures_the_mappers_before_forking(redis_server, tmp_path):
    """Otherwise each forked work-horse configures every mapper again: ~0.1 s of CPU per mail,
    which made a burst of 500 receipts take minutes on two cores (reliability load scenario)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update(DSR_DATABASE_URL=f"sqlite:///{tmp_path / 'w.sqlite'}", DSR_SECRET_KEY="k-test",
               DSR_AUDIT_KEYS=f'["{AUDIT_KEY}"]', DSR_PUBLIC_BASE_URL="http://dsr.test")
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(url=redis_server.url)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=os.getcwd())
    assert done.returncode == 0 and "configured" in done.stdout, done.stderr[-2000:]

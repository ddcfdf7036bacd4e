"""The periodic jobs, for exactly one ``rq cron --job-class dsr.jobs.AppJob -S json dsr.cron_config``."""
from rq import cron

from dsr.notifications.jobs import redrive_outbox
from dsr.services.deadlines import sweep_deadlines

QUEUE = "dsr"

# Mail left pending (Redis was down at commit, or SMTP failed) is picked up again within a minute.
cron.register(redrive_outbox, QUEUE, interval=60, job_timeout=300)
# Reminders at 10 and 5 working days and the overdue alert; cheap, so hourly is fine.
cron.register(sweep_deadlines, QUEUE, interval=3600, job_timeout=900)

"""Mail: rendering (text + HTML from one template), the transactional outbox, and sending jobs."""
from .outbox import queue_mail  # noqa: F401

"""Database models. Import from here: ``from dsr.models import Case, User``."""
from .audit import AuditEvent
from .cases import Case, DeadlineNotice
from .outbox import OutboxMessage
from .people import School, User, user_schools

__all__ = ["AuditEvent", "Case", "DeadlineNotice", "OutboxMessage", "School", "User", "user_schools"]

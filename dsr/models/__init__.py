"""Database models. Import from here: ``from dsr.models import Case, User``."""
from .audit import AuditEvent
from .cases import Case, DeadlineNotice, StaffNotice
from .channel_intake import ChannelIntake
from .connectors import ConnectorRun, ConnectorStep, ManualTask, System, SystemCategory
from .fulfilment import (
    AccessPackage,
    ErasureItem,
    Letter,
    PackageDocument,
    RecipientTask,
    RectificationItem,
    RightDecision,
)
from .integrations import ApiToken, SsoGroupMapping, WebhookDelivery, WebhookSubscription
from .notes import CaseNote
from .outbox import OutboxMessage
from .people import School, User, user_schools
from .portal import CaseMessage, CaseUpload, ConsentRequest, PortalLink
from .register import RegisterCategory, RegisterRecipient, RetentionPeriod
from .roster import RosterContact, RosterStudent
from .sessions import RequesterSession

__all__ = [
    "AccessPackage", "AuditEvent", "Case", "DeadlineNotice", "ErasureItem", "Letter", "OutboxMessage",
    "PackageDocument", "RecipientTask", "RectificationItem", "RegisterCategory", "RegisterRecipient", "RetentionPeriod",
    "RightDecision", "School", "StaffNotice", "User", "user_schools",
    "ChannelIntake",
    "ConnectorRun", "ConnectorStep", "ManualTask", "RosterContact", "RosterStudent", "System", "SystemCategory",
    "ApiToken", "SsoGroupMapping", "WebhookDelivery", "WebhookSubscription",
    "CaseMessage", "CaseNote", "CaseUpload", "ConsentRequest", "PortalLink", "RequesterSession",
]

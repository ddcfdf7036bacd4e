"""The fulfilment records of one case, read by fulfilment, packages, corrections, erasure and letters alike:
its access package, its rectification and erasure items, and its decision on a restriction, objection,
portability or consent withdrawal. Reads only; imports none of the case services (issue 12)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AccessPackage, ErasureItem, RectificationItem, RightDecision


def package_of(case_id: int) -> AccessPackage | None:
    """The access package of a case, if one was started."""
    return db.session.execute(sa.select(AccessPackage).where(AccessPackage.case_id == case_id)).scalar()


def items_of(model: type[RectificationItem] | type[ErasureItem], case_id: int) -> list[Any]:
    """The rectification or erasure items of a case, oldest first."""
    return list(db.session.execute(sa.select(model).where(model.case_id == case_id).order_by(model.id)).scalars())


def decision_of(case_id: int) -> RightDecision | None:
    """The recorded decision on a restriction, objection, portability or consent withdrawal, if any."""
    return db.session.execute(sa.select(RightDecision).where(RightDecision.case_id == case_id)).scalar()

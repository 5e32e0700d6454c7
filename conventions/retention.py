"""Retention of the conventions (`aap.retention.DUREES`): public archives, never erased by the platform; the
daily run counts those whose administrative usefulness has ended, to be transferred or eliminated on the
archives' visa."""

from sqlalchemy import func, select

from aap.extensions import db
from aap.regles import ajouter_mois

from .models import AnneeConvention

DUREE_UTILITE_ANS = 10


def conventions_echues(instant):
    """Conventions whose last year ended ten years ago (on the UTC calendar: a day does not matter here)."""
    fins = (
        select(AnneeConvention.convention_id, func.max(AnneeConvention.fin).label("fin"))
        .group_by(AnneeConvention.convention_id)
        .subquery()
    )
    seuil = ajouter_mois(instant.date(), -12 * DUREE_UTILITE_ANS)
    return db.session.scalar(select(func.count()).select_from(fins).where(fins.c.fin < seuil))

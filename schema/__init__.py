"""The evidence schema: SQLAlchemy 2.x typed models.

Importing this package registers every model on ``Base.metadata``, which Alembic's env.py targets.
"""

from .base import NAMING_CONVENTION, Base
from .evidence import BuildInfo, Finding, Measurement
from .study import Condition, Source, Study
from .vocab import Exercise, Muscle, MuscleSynonym

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "BuildInfo",
    "Condition",
    "Exercise",
    "Finding",
    "Measurement",
    "Muscle",
    "MuscleSynonym",
    "Source",
    "Study",
]

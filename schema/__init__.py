"""The evidence schema: SQLAlchemy 2.x typed models.

Importing this package registers every model on ``Base.metadata``, which Alembic's env.py targets.
"""

from .base import NAMING_CONVENTION, Base
from .claims import (
    Claim,
    ClaimEvidence,
    ClaimExercise,
    ClaimMuscle,
    Recommendation,
    RecommendationClaim,
)
from .lexicon import Exercise, ExerciseSynonym, Muscle, MuscleSynonym
from .measurement import BuildInfo, Contrast, Finding, Measurement
from .reading import ExtractionCheck, ExtractionDifference, ReadingLog
from .review import ReviewPooled
from .study import Condition, Source, Study, StudyFieldSource

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "BuildInfo",
    "Claim",
    "ClaimEvidence",
    "ClaimExercise",
    "ClaimMuscle",
    "Condition",
    "Contrast",
    "Exercise",
    "ExerciseSynonym",
    "ExtractionCheck",
    "ExtractionDifference",
    "Finding",
    "Measurement",
    "Muscle",
    "MuscleSynonym",
    "ReadingLog",
    "Recommendation",
    "RecommendationClaim",
    "ReviewPooled",
    "Source",
    "Study",
    "StudyFieldSource",
]

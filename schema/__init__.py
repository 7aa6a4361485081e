"""The evidence schema: SQLAlchemy 2.x typed models.

Importing this package registers every model on ``Base.metadata``, which Alembic's env.py targets;
the models are re-exported here (``schema.Study``).
"""

from .base import NAMING_CONVENTION, Base  # noqa: F401
from .claims import Claim, ClaimEvidence, ClaimExercise, ClaimMuscle, Recommendation, RecommendationClaim  # noqa: F401
from .lexicon import Exercise, ExerciseSynonym, Muscle, MuscleSynonym  # noqa: F401
from .measurement import BuildInfo, Contrast, Finding, Measurement, ReviewPooled  # noqa: F401
from .study import (  # noqa: F401
    Condition,
    ExtractionCheck,
    ExtractionDifference,
    ReadingLog,
    Source,
    Study,
    StudyFieldSource,
)

"""How each study was read: every copy tried (reading_log), and the independent second
extraction its numbers were checked against (extraction_check, extraction_difference)."""

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .allowed_values import COPY_SHOWED
from .base import Base, check_in
from .types import slug


class ReadingLog(Base):
    """One copy of a paper that was tried, and what it showed (the abstract only, a table, a
    full text cut off at some point): why a study has the numbers it has, and where the next
    reader should start."""

    __tablename__ = "reading_log"
    __table_args__ = (check_in("showed", COPY_SHOWED),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    url: Mapped[str]
    showed: Mapped[str]
    note: Mapped[str | None]


class ExtractionCheck(Base):
    """The agreement of a study's two independent extractions: fields compared, fields that
    differed, and how many of those were resolved from the source."""

    __tablename__ = "extraction_check"
    __table_args__ = (
        CheckConstraint("fields_differed <= fields_compared", name="differed_within_compared"),
        CheckConstraint("fields_compared >= 0 AND fields_differed >= 0", name="counts_non_negative"),
    )

    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), primary_key=True)
    fields_compared: Mapped[int]
    fields_differed: Mapped[int]
    #: Differences resolved from the source; the build refuses a file with any left unresolved.
    resolved: Mapped[int]
    method: Mapped[str]
    note: Mapped[str | None]


class ExtractionDifference(Base):
    """One field on which the two extractions differed, both readings, and the resolution."""

    __tablename__ = "extraction_difference"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("extraction_check.study_id"), index=True)
    field: Mapped[str]
    first: Mapped[str | None]
    second: Mapped[str | None]
    resolved: Mapped[str | None]
    how: Mapped[str]

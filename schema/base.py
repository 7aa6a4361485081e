"""The declarative base, with the constraint naming convention every model inherits, and the
column shapes several models share."""

from typing import Annotated

from sqlalchemy import CheckConstraint, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

from .allowed_values import VOCABULARIES, sql_in

# Names for every constraint and index, so migrations can refer to them (Alembic naming.rst).
# With %(constraint_name)s in "ck", an unnamed CheckConstraint is an error: each rule has a name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def check_in(column: str, values: tuple[str, ...] | None = None) -> CheckConstraint:
    """A CHECK constraint named after the column it keeps within a vocabulary (by default the
    vocabulary of the column's name in vocabularies.yaml)."""
    return CheckConstraint(sql_in(column, values or tuple(VOCABULARIES[column])), name=f"{column}_vocabulary")


def vocabularies(*columns: str) -> list[CheckConstraint]:
    return [check_in(column) for column in columns]


#: A readable slug, e.g. ``contreras2015`` or ``gluteus_maximus_upper``; as a primary key.
slug = Annotated[str, mapped_column(String(80))]
slugpk = Annotated[str, mapped_column(String(80), primary_key=True)]

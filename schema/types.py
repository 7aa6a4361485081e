"""Column shapes that several models share, written once (SQLAlchemy ``Annotated`` aliases)."""

from typing import Annotated

from sqlalchemy import String
from sqlalchemy.orm import mapped_column

#: A readable slug primary key, e.g. ``contreras2015`` or ``gluteus_maximus_upper``.
slugpk = Annotated[str, mapped_column(String(80), primary_key=True)]
intpk = Annotated[int, mapped_column(primary_key=True)]
slug = Annotated[str, mapped_column(String(80))]

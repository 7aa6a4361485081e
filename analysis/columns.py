"""The columns of the export's files, from columns.yml: FIELDS (both extracts), the files
(TABLES) and the assumptions written into datapackage.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..schema import allowed_values
from ..schema.comparability import MVC_CATEGORIES, POPULATIONS
from .grade import LEVELS, SWD

_UNIT = "unit of the row's `unit` column (e.g. %MVIC, %)"
_ENUMS = {**vars(allowed_values), "POPULATIONS": POPULATIONS, "LEVELS": LEVELS}


def _field(spec: dict[str, Any], i: str = "", nth: str = "") -> dict[str, Any]:
    description = spec["description"].replace("{mvc_categories}", ", ".join(MVC_CATEGORIES))
    description = description.replace("{swd}", f"{SWD:g}").replace("{i}", i).replace("{nth}", nth)
    field: dict[str, Any] = {"type": spec["type"], "description": description}
    if spec.get("unit"):
        # Table Schema v1 has no unit property; frictionless allows extra properties, and the
        # description says it too so that any reader sees it.
        field["unit"] = _UNIT
        field["description"] += f" Unit: {_UNIT}."
    if "constraints" in spec:
        field["constraints"] = {
            k: list(_ENUMS[v]) if k == "enum" and isinstance(v, str) else v
            for k, v in spec["constraints"].items()
        }
    return field


_DATA = yaml.safe_load((Path(__file__).parent / "columns.yml").read_text(encoding="utf-8"))
_GROUPS: dict[str, dict[str, dict[str, Any]]] = {}
for _group, _specs in _DATA.items():
    if _group == "per_condition":
        _GROUPS["extracts"].update({
            column.replace("{i}", i): _field(spec, i, nth)
            for i, nth in (("1", "first"), ("2", "second")) for column, spec in _specs.items()
        })  # fmt: skip
    elif _group not in ("package", "assumptions", "tables"):
        _GROUPS[_group] = {c: _GROUPS[s][c] if isinstance(s, str) else _field(s) for c, s in _specs.items()}

#: Every column of both extracts (contrasts.csv, single_conditions.csv).
FIELDS = _GROUPS["extracts"]
ASSUMPTIONS: list[str] = _DATA["assumptions"]
#: datapackage.json's fixed fields.
PACKAGE: dict[str, Any] = _DATA["package"]
#: Every CSV of the export: its file, title, description, columns and primary key.
TABLES: dict[str, dict[str, Any]] = {
    name: {**spec, "fields": _GROUPS[spec["fields"]]} for name, spec in _DATA["tables"].items()
}

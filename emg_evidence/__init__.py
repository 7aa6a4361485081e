"""emg-evidence: an open evidence database of EMG studies on glute, hamstring and adductor training.

One import root over the project's folders (pyproject.toml maps each onto a subpackage):

- ``emg_evidence.schema`` (schema/): the models, allowed values, comparability rule and views
- ``emg_evidence.ingest`` (ingest/): read and validate data/, write rows, build evidence.db
- ``emg_evidence.analysis`` (analysis/): claim verdicts, derived tables, effect sizes, exports, plots
- ``emg_evidence.serving`` (serving/): Datasette settings, plugins, templates and canned-query SQL
- ``emg_evidence.migrations`` (migrations/): Alembic
- ``emg_evidence.cli``: the ``evidence`` command
"""

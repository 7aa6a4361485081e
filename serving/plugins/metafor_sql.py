"""Register the effect-size SQL functions (analysis/effect_sizes.py) on Datasette's connections.

The canned queries meta_contrasts and meta_single in metadata.yml call them, so Datasette's CSV
of those queries and `evidence export` compute yi and vi with the same code.
"""

from datasette import hookimpl

from emg_evidence.analysis.effect_sizes import register_sql_functions


@hookimpl
def prepare_connection(conn):
    register_sql_functions(conn)

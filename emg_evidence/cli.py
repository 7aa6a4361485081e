"""The ``evidence`` command: a thin click layer over the plain functions of the subpackages.

Each command imports what it needs when it runs, so ``evidence --help`` starts without loading
SQLAlchemy, Alembic, pydantic or matplotlib.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from .paths import DATA_DIR, DB_PATH

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def db_option(fn):
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DB_PATH,
        show_default=True,
        help="The SQLite database file",
    )(fn)


def data_option(fn):
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=DATA_DIR,
        show_default=True,
        help="Folder with vocab/, sources.yaml, claims.yaml and extractions/",
    )(fn)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="emg-evidence")
def cli():
    """Build and serve the emg-evidence database."""


@cli.command(name="build")
@db_option
@data_option
def build_command(db_path: Path, data_dir: Path):
    """Build the database from the data folder, replacing it only on success.

    Prints the content hash of what it built: the release identifier.

    Example:

    \b
        evidence build
        evidence build --db /tmp/test.db --data data
    """
    from .ingest.build import build
    from .ingest.yaml_reader import DataError

    try:
        result = build(db_path, data_dir, progress=lambda line: click.echo(line, err=True))
    except DataError as e:
        for problem in e.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(
            f"{len(e.problems)} problem(s) in the data; {db_path} was left unchanged"
        ) from None
    click.echo(f"built {result.path}")
    click.echo(f"content hash {result.content_hash}")


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to listen on")
def serve(db_path: Path, host: str, port: int):
    """Serve the database read-only (immutable) with Datasette and metadata.yml.

    Example:

    \b
        evidence serve
        evidence serve --port 8080
    """
    from .serving.settings import serve_args

    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `evidence build` first")
    args = serve_args(db_path, host, port)
    click.echo(" ".join(args[1:]), err=True)
    os.execv(args[0], args)


@cli.command(name="export")
@db_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("meta-analysis"),
    show_default=True,
    help="Folder to write contrasts.csv, single_conditions.csv and datapackage.json into",
)
@click.option(
    "--ri",
    type=click.FloatRange(-1, 1),
    default=0.5,
    show_default=True,
    help="Imputed correlation between a participant's values in two conditions (no study reports it)",
)
def export_command(db_path: Path, out_dir: Path, ri: float):
    """Write the meta-analysis extracts: metafor-ready CSVs and a Frictionless datapackage.json.

    contrasts.csv: within-study pairs of conditions (metafor MC and SMCC: m1i, m2i, sd1i, sd2i,
    ni, ri, yi, vi). single_conditions.csv: one value per row (metafor MN: mi, sdi, ni, yi, vi).

    Example:

    \b
        evidence export
        evidence export --out /tmp/extracts --ri 0.7
    """
    from .analysis.export import ExportError, export

    try:
        result = export(db_path, out_dir, ri)
    except ExportError as e:
        raise click.ClickException(str(e)) from None
    for path in result.files:
        click.echo(f"wrote {path}")
    click.echo(f"{result.contrasts} contrast rows, {result.single} single-condition rows, ri = {ri}")


@cli.command(name="plot")
@db_option
@click.option(
    "--muscle", "muscle_id", required=True, help="Muscle id, e.g. gluteus_maximus (includes its regions)"
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PNG or SVG file to write  [default: <muscle>.png]",
)
def plot_command(db_path: Path, muscle_id: str, out_path: Path | None):
    """Forest-style plot of one muscle across exercises and studies (MVC-normalised EMG only).

    Example:

    \b
        evidence plot --muscle gluteus_maximus
        evidence plot --muscle biceps_femoris --out bf.svg
    """
    from .analysis.export import ExportError
    from .analysis.plot import forest_plot

    if out_path is None:
        out_path = Path(f"{muscle_id}.png")
    try:
        result = forest_plot(muscle_id, out_path, db_path)
    except ExportError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"wrote {result.path}: {result.points} values, {result.with_interval} with a 95% interval")


def url_option(fn):
    return click.option(
        "--url",
        envvar="EVIDENCE_DATABASE_URL",
        required=True,
        help="SQLAlchemy URL of the team database, e.g. postgresql+psycopg://user@host/evidence"
        " (or $EVIDENCE_DATABASE_URL)",
    )(fn)


@cli.command(name="load")
@url_option
@data_option
def load_command(url: str, data_dir: Path):
    """Migrate a team database (PostgreSQL) to head and replace its rows with the data folder.

    Validates first: on any problem nothing is written.

    Example:

    \b
        evidence load --url postgresql+psycopg://curator@db.example/evidence
    """
    from .ingest.postgres import load
    from .ingest.yaml_reader import DataError

    try:
        counts = load(url, data_dir, progress=lambda line: click.echo(line, err=True))
    except DataError as e:
        for problem in e.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(f"{len(e.problems)} problem(s) in the data; nothing was loaded") from None
    click.echo(f"loaded {sum(counts.values())} rows")


@cli.command(name="publish")
@url_option
@db_option
def publish_command(url: str, db_path: Path):
    """Write the SQLite file Datasette serves from the team database, replacing it on success.

    Example:

    \b
        evidence publish --url postgresql+psycopg://curator@db.example/evidence
        evidence publish --url sqlite:///team.db --db /tmp/evidence.db
    """
    from .ingest.postgres import publish

    result = publish(url, db_path, progress=lambda line: click.echo(line, err=True))
    click.echo(f"published {result.path}")
    click.echo(f"content hash {result.content_hash}")


if __name__ == "__main__":
    cli()

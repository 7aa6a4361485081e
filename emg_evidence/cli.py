"""The ``evidence`` command: a thin click layer over the plain functions of the subpackages. Each
command imports what it needs when it runs, so ``evidence --help`` loads no SQLAlchemy or matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .paths import DATA_DIR, DB_PATH

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DB_PATH,
    help="The SQLite database file",
)
data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DATA_DIR,
    help="Folder with vocab/, sources.yaml, claims.yaml and extractions/",
)
url_option = click.option(
    "--url",
    envvar="EVIDENCE_DATABASE_URL",
    required=True,
    help="SQLAlchemy URL of the team database, e.g. postgresql+psycopg://user@host/evidence"
    " (or $EVIDENCE_DATABASE_URL)",
)


def method_option(help: str):
    choice = click.Choice(["REML", "DL", "PM"])
    return click.option("--method", type=choice, default="REML", help=help)


def data_error(e, outcome: str) -> click.ClickException:
    """Print a DataError's warnings and problems, one a line; the exception that ends the command."""
    for warning in e.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in e.problems:
        click.echo(f"error: {problem}", err=True)
    return click.ClickException(f"{len(e.problems)} problem(s) in the data; {outcome}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(package_name="emg-evidence")
def cli():
    """Build and serve the emg-evidence database."""


@cli.command(name="build")
@db_option
@data_option
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse warnings (suspicious but possible values, files not read) as errors, as CI does",
)
def build_command(db_path: Path, data_dir: Path, strict: bool):
    """Build the database from the data folder, replacing it only on success.

    Prints the content hash of what it built: the release identifier. Every problem is one line,
    `error: <file>[:<line>]: <field>: <message>`; what is suspicious but possible is a `warning:`
    line, and an error with --strict.

    Example:

    \b
        evidence build
        evidence build --strict --db /tmp/test.db --data data
    """
    from .ingest.build import build
    from .ingest.yaml_reader import DataError

    try:
        result = build(db_path, data_dir, progress=lambda line: click.echo(line, err=True), strict=strict)
    except DataError as e:
        raise data_error(e, f"{db_path} was left unchanged") from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"built {result.path}")
    click.echo(f"content hash {result.content_hash}")


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", help="Address to bind")
@click.option("-p", "--port", default=8001, type=int, help="Port to listen on")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    metavar="ADDRESSES",
    help="A reverse proxy's addresses (comma-separated): only requests from them may give the"
    " client's address in X-Forwarded-For  [default: trust no one]",
)
def serve(db_path: Path, host: str, port: int, forwarded_allow_ips: str | None):
    """Serve the database read-only (immutable) with Datasette and the site's pages.

    What is served is a private copy of the file, made at start and removed at exit: every page
    and download comes from that one release until restart, whatever happens to the file
    meanwhile. To publish a new release: `evidence build`, then restart `evidence serve`.

    Example:

    \b
        evidence serve
        evidence serve --port 8080
        evidence serve --host 127.0.0.1 --forwarded-allow-ips 127.0.0.1   # behind nginx
    """
    import signal

    from .serving.run import run
    from .serving.settings import snapshot

    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `evidence build` first")

    def stop(signum, frame):
        raise SystemExit(0)

    # uvicorn shuts down gracefully on SIGTERM or SIGINT and then raises the signal again: here
    # it becomes an exit that removes the copy (the server runs in this process for that reason).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with snapshot(db_path) as served:
        click.echo(f"serving {db_path} (a copy: {served}) on http://{host}:{port}/", err=True)
        run(served, host, port, forwarded_allow_ips)


@cli.command(name="export")
@db_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("meta-analysis"),
    help="Folder to write the CSVs, datapackage.json and read_export.R into",
)
@click.option(
    "--ri",
    type=click.FloatRange(-1, 1),
    default=0.5,
    help="Imputed correlation between a participant's values in two conditions (no study reports it)",
)
@click.option(
    "--impute-sd",
    metavar="CV|median-cv",
    default=None,
    help="Impute missing SDs of means: a CV (SD = CV x value, e.g. 0.3), or median-cv (the median "
    "CV of the rows reporting an SD for the same metric). Never by default.",
)
@method_option("tau² estimator of the random-effects pools (metafor's codes)")
@click.option(
    "--unlabelled-as-sd",
    is_flag=True,
    help="Read a '±' the source prints without saying SD or SE as an SD (flagged on every row and pool)",
)
@click.option("--knha", is_flag=True, help="Knapp-Hartung intervals for the pools (t with k - 1 df)")
@click.option("--validate", is_flag=True, help="Check the written package with frictionless")
def export_command(db_path: Path, out_dir: Path, ri: float, validate: bool, **options: Any):
    """Write the meta-analysis files: extracts, pools, network models, grades, sensitivity.

    contrasts.csv and single_conditions.csv: metafor's escalc columns (MC, SMCC, MN).
    differences.csv: the within-study differences each pool took. pooled.csv: one pool per
    exercise pair (or technique factor) and muscle key, with grade, reasons and sensitivity.
    network.csv: per muscle key, each exercise's estimate, the league table and the ranking.
    sensitivity.csv: leave-one-out, ri 0.3/0.5/0.7, SD basis. read_export.R reads them (UTF-8)
    and rebuilds any pool (pool_model) or network (network_model) with metafor.

    Example:

    \b
        evidence export
        evidence export --out /tmp/extracts --ri 0.7 --impute-sd 0.3 --method DL --knha --validate
    """
    from .analysis.export import ExportError, export
    from .analysis.export import validate as validate_package

    try:
        result = export(db_path, out_dir, ri, **options)
    except ExportError as e:
        raise click.ClickException(str(e)) from None
    for path in result.files:
        click.echo(f"wrote {path}")
    click.echo(
        f"single conditions: {result.single} rows, {result.single_usable} with yi and vi as reported "
        f"or converted, {result.single_assumed} more only with an unlabelled or imputed SD"
    )
    click.echo(f"contrasts: {result.contrasts} rows, {result.contrasts_usable} with yi and vi (ri = {ri:g})")
    counts = result.pools_by_studies
    click.echo(
        f"pools: {result.pools} in pooled.csv (method {options['method']}): {counts.get(3, 0)} of 3 or more studies, "
        f"{counts.get(2, 0)} of 2, {counts.get(1, 0)} of 1, {counts.get(0, 0)} with nothing to pool"
    )
    click.echo(
        f"networks: {result.networks} muscle keys, {result.networks_fitted} with a model, "
        f"{len(result.networks_3)} of 3 or more studies"
        + (f" ({', '.join(result.networks_3)})" if result.networks_3 else "")
    )
    if not counts.get(3) and not counts.get(2):
        click.echo(
            "warning: no pool has two studies yet: every pooled answer rests on one study, "
            "and pooled.csv says so in its grade and reasons",
            err=True,
        )
    if validate:
        problems = validate_package(out_dir)
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if problems:
            raise click.ClickException(f"{len(problems)} problem(s) in the exported package")
        click.echo("frictionless: the package is valid")


@cli.command(name="plot")
@db_option
@click.option(
    "--muscle",
    "muscle_id",
    required=True,
    help="Muscle: id, name or synonym, e.g. gluteus_maximus or glutes (a word covering several muscles "
    "draws one plot per muscle)",
)
@click.option(
    "--pair",
    metavar="A,B",
    default=None,
    help="Two exercise ids: the forest plot of their within-study differences (A minus B)",
)
@click.option("--network", is_flag=True, help="The network plot (exercises and the studies linking them)")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PNG or SVG file to write  [default: <muscle>.png]",
)
@click.option(
    "--width",
    type=click.Choice(["desktop", "phone"]),
    default="desktop",
    help="Draw for a desktop screen or narrow for a phone",
)
@click.option(
    "--impute-sd",
    metavar="CV|median-cv",
    default=None,
    help="Impute missing SDs of EMG amplitude means (as `evidence export`)",
)
@click.option("--unlabelled-as-sd", is_flag=True, help="Read an unlabelled '±' as an SD")
@method_option("tau² estimator of a pair's pooled diamond")
def plot_command(db_path: Path, muscle_id: str, pair: str | None, network: bool, out_path: Path | None,
                 width: str, **options: Any):  # fmt: skip
    """Forest plot of one muscle across exercises and studies, of one pair, or its network.

    MVC-normalised EMG only, one muscle per plot, one panel per statistic: each study's value,
    the network model's estimate per exercise (diamond: 95% CI; line: prediction interval), k,
    I² and the variance components; the assumptions are printed under it.

    Example:

    \b
        evidence plot --muscle gluteus_maximus
        evidence plot --muscle "gluteus medius" --width phone --out gmed.svg
        evidence plot --muscle gluteus_maximus --pair barbell_hip_thrust,back_squat
        evidence plot --muscle glutes --network
    """
    from .analysis.export import ExportError
    from .analysis.plot import WIDTHS, forest_plot, muscle_targets, network_plot, pair_plot

    method = options.pop("method")  # the network plot has none
    options.update(db_path=db_path, width_in=WIDTHS[width])
    try:
        targets = muscle_targets(db_path, muscle_id)
        base = out_path or Path(f"{muscle_id.replace(' ', '_').replace('/', '_')}.png")
        skipped = []
        for target in targets:
            path = base if len(targets) == 1 else base.with_stem(f"{base.stem}-{target}")
            try:
                if pair:
                    a, _, b = pair.partition(",")
                    for r in pair_plot(a.strip(), b.strip(), target, path, method=method, **options):
                        click.echo(f"wrote {r.path}: {r.points} differences, 1 pool")
                elif network:
                    panels = network_plot(target, path, **options)
                    click.echo(f"wrote {path}: {panels} network(s)")
                else:
                    r = forest_plot(target, path, method=method, **options)
                    click.echo(f"wrote {r.path}: {r.points} values, {r.with_interval} with a 95% interval, "
                               f"{r.pools} network estimates")  # fmt: skip
            except ExportError as e:
                if len(targets) == 1:
                    raise
                skipped.append(str(e))
                click.echo(f"skipped {target}: {e}", err=True)
        if len(skipped) == len(targets):
            raise ExportError(f"--muscle: nothing to draw for {muscle_id!r}: {skipped[0]}")
    except ExportError as e:
        raise click.ClickException(str(e)) from None


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
        raise data_error(e, "nothing was loaded") from None
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


@cli.command(name="compare")
@click.argument("first", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("second", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def compare_command(first: Path, second: Path):
    """Compare two independent extractions of one study field by field; print the differences
    as a double_extraction block to resolve from the source and paste into the first file.

    Records are matched by what they describe (exercise, muscle, statistic, phase, side), not by
    the extractors' own ids; numbers are compared as numbers, free text not at all.

    Example:

    \b
        evidence compare first/contreras2015.extraction.yaml second/contreras2015.extraction.yaml
    """
    import yaml

    from .ingest.double_extraction import compare

    docs = []
    for path in (first, second):
        try:
            docs.append(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise click.ClickException(f"{path}: not readable YAML: {e}") from None
        if not isinstance(docs[-1], dict):
            raise click.ClickException(f"{path}: not an extraction file (no mapping at the top)")
    cmp = compare(docs[0], docs[1])
    block = {
        "double_extraction": {
            "fields_compared": cmp.fields_compared,
            "fields_differed": len(cmp.differences),
            "differences": [{**d, "resolved": None, "how": None} for d in cmp.differences],
        }
    }
    click.echo(yaml.safe_dump(block, sort_keys=False, allow_unicode=True, width=100))


if __name__ == "__main__":
    cli()

"""plugins/permission_cache.py: the same view-table answers as Datasette's, computed once."""

import yaml
from conftest import METADATA, PLUGINS, make_datasette
from datasette.app import Datasette

from emg_evidence.paths import DB_PATH


async def test_answers_match_datasettes_own(ds):
    await ds.invoke_startup()
    cached = ds._table_permission_allows
    computed = type(ds)._table_permission_allows.__get__(ds)
    assert cached is not computed
    tables = await ds.databases["evidence"].table_names()
    assert tables
    for table in tables + await ds.databases["evidence"].view_names():
        assert cached("evidence", table) == computed("evidence", table)
        assert cached("evidence", table) is cached("evidence", table)  # asked once


async def test_a_table_allow_rule_still_denies(tmp_path):
    # With an `allow` block on one table, anonymous visitors stay out of it on every request,
    # and the other tables stay open.
    metadata = yaml.safe_load(METADATA.read_text())
    metadata["databases"]["evidence"]["tables"]["finding"]["allow"] = {"id": "curator"}
    ds = Datasette([], immutables=[str(DB_PATH)], metadata=metadata, plugins_dir=str(PLUGINS))
    for _ in range(3):
        assert (await ds.client.get("/evidence/finding")).status_code == 403
        assert (await ds.client.get("/evidence/study")).status_code == 200
    cookie = {"ds_actor": ds.sign({"a": {"id": "curator"}}, "actor")}
    assert (await ds.client.get("/evidence/finding", cookies=cookie)).status_code == 200


async def test_home_page_lists_every_table():
    ds = make_datasette()
    response = await ds.client.get("/evidence.json")
    names = {t["name"] for t in response.json()["tables"]}
    assert {"study", "measurement", "contrast_pair", "single_value"} <= names

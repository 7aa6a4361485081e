"""serving/plugins/permission_cache.py: the same view-table answers as Datasette's, computed once."""

from collections import Counter

from datasette.app import Datasette


async def test_each_answer_is_computed_once_and_is_datasettes_own(make_datasette, metadata, monkeypatch):
    # Count the calls of Datasette's own (uncached) computation, which the plugin wraps.
    uncached = Datasette._table_permission_allows
    calls: Counter = Counter()

    def counted(self, database, table):
        calls[(database, table)] += 1
        return uncached(self, database, table)

    monkeypatch.setattr(Datasette, "_table_permission_allows", counted)
    # One table with an `allow` block, so that not every answer is the empty list.
    metadata["databases"]["evidence"]["tables"]["finding"]["allow"] = {"id": "curator"}
    ds = make_datasette(metadata=metadata)
    names = await ds.databases["evidence"].table_names() + await ds.databases["evidence"].view_names()
    assert "study" in names and "meta_extract" in names
    # The home and database pages check every table: three visits, one computation per table.
    for _ in range(3):
        for path in ("/", "/evidence", "/evidence/study", "/evidence/meta_extract"):
            assert (await ds.client.get(path)).status_code == 200, path
    assert {("evidence", name) for name in names} <= set(calls), "the pages did not check every table"
    for name in names:
        for _ in range(3):
            assert ds._table_permission_allows("evidence", name) == uncached(ds, "evidence", name), name
    assert uncached(ds, "evidence", "finding") == [{"id": "curator"}]
    assert {key: n for key, n in calls.items() if n != 1} == {}, "asked more than once"


async def test_a_table_allow_rule_still_denies(make_datasette, metadata):
    # With an `allow` block on one table, anonymous visitors stay out of it on every request,
    # and the other tables stay open.
    metadata["databases"]["evidence"]["tables"]["finding"]["allow"] = {"id": "curator"}
    ds = make_datasette(metadata=metadata)
    for _ in range(3):
        assert (await ds.client.get("/evidence/finding")).status_code == 403
        assert (await ds.client.get("/evidence/study")).status_code == 200
    cookie = {"ds_actor": ds.sign({"a": {"id": "curator"}}, "actor")}
    assert (await ds.client.get("/evidence/finding", cookies=cookie)).status_code == 200


async def test_home_page_lists_every_table(ds, db_rows):
    response = await ds.client.get("/evidence.json")
    names = {t["name"] for t in response.json()["tables"]}
    tables = {r[0] for r in db_rows("select name from sqlite_master where type = 'table'")}
    assert names == tables - {"sqlite_sequence", "sqlite_stat1"}
    assert {"study", "measurement", "contrast_pair", "single_value"} <= names

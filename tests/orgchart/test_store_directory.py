"""Stores against real databases: subtree counts, holders on a date, tokens."""
from __future__ import annotations

import datetime as dt

import pytest

from orgchart.io.importer import import_records
from orgchart.store.holdings import HoldingStore
from orgchart.store.people import PersonStore
from orgchart.store.posts import PostStore
from orgchart.store.tokens import TokenStore
from orgchart.store.units import UnitStore
from tests.orgchart import sample
from tests.orgchart.sample import sample_records

TODAY = dt.date(2025, 1, 1)


@pytest.fixture
async def loaded(sessions):
    report = await import_records(sessions, sample_records())
    assert report.ok, report.errors
    return sessions


async def test_subtree_counts_group_by_child_path(loaded):
    async with loaded() as session:
        units = UnitStore(session)
        counts = await units.subtree_counts("3308", 3, enterprise_view=False, today=TODAY)
        assert counts == {
            "330802": {"units": 3, "posts": 6, "holders": 5},
            "330803": {"units": 0, "posts": 1, "holders": 0},
        }
        # Before 2021 赵六 did not yet hold the village post; 李四 held the tax bureau's.
        earlier = await units.subtree_counts("3308", 3, enterprise_view=False, today=dt.date(2020, 6, 1))
        assert earlier["330802"]["holders"] == 1
        everything = await units.subtree_counts(None, 1, enterprise_view=True, today=TODAY)
        assert everything == {"33": {"units": 6, "posts": 3, "holders": 2}}


async def test_holders_on_a_date_and_posts_held(loaded):
    async with loaded() as session:
        post = await PostStore(session).by_code(sample.TAX_KC + "-JZ")
        holdings = HoldingStore(session)
        assert [h["name"] for h in (await holdings.holders_of([post["id"]], TODAY))[post["id"]]] == ["张三"]
        assert [h["name"] for h in (await holdings.holders_of([post["id"]], dt.date(2019, 1, 1)))[post["id"]]] == ["李四"]
        assert (await holdings.holders_of([post["id"]], dt.date(2018, 12, 31)))[post["id"]] == []
        li = await PersonStore(session).by_mobile("13800000002")
        held = await holdings.posts_held_by([li["id"]], TODAY)
        assert [p["title"] for p in held[li["id"]]] == ["党工委书记"]
        assert (await holdings.posts_held_by([li["id"]], TODAY, enterprise_view=True))[li["id"]] == []


async def test_tokens_expire_and_revoke(loaded):
    now = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    async with loaded() as session, session.begin():
        person = await PersonStore(session).by_mobile("13800000001")
        tokens = TokenStore(session)
        first = await tokens.add(person["id"], "a" * 64, now, now + hour)
        await tokens.add(person["id"], "b" * 64, now, now + hour)
        found = await tokens.find_active("a" * 64, now)
        assert found["token_id"] == first and found["name"] == "张三"
        assert await tokens.find_active("a" * 64, now + 2 * hour) is None
        assert await tokens.find_active("c" * 64, now) is None
        await tokens.revoke(first, now)
        assert await tokens.find_active("a" * 64, now) is None
        assert await tokens.revoke_all(person["id"], now) == 1
        assert await tokens.find_active("b" * 64, now) is None

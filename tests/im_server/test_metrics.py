"""``GET /metrics``: real websocket traffic moves the counters; admins only, or a listener of its own."""
from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from im_server.app import create_app
from im_server.keys import MESSAGING, METRICS_LISTENER
from im_server.metrics import Metrics
from im_server.scheduler import PeriodicJob, Scheduler
from orgchart.http.keys import SESSIONS
from orgchart.infra.config import ConfigError, Settings, load_settings
from tests.im_server.harness import PASSWORD, load_sample

ZHANG, LI, ENTERPRISE, ADMIN = "13800000001", "13800000002", "13800000006", "13900000000"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def login(http: aiohttp.ClientSession, base: str, mobile: str) -> str:
    async with http.post(f"{base}/api/v1/login", json={"mobile": mobile, "password": PASSWORD}) as response:
        assert response.status == 200
        return (await response.json())["token"]


async def scrape(http: aiohttp.ClientSession, base: str, token: str) -> dict:
    async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(await response.text())


async def test_websocket_traffic_moves_the_counters(connect, im_server):
    base, http = connect.base_url, connect.http
    admin = await login(http, base, ADMIN)
    before = await scrape(http, base, admin)
    zhang, li = await connect(ZHANG), await connect(LI, cursor=0)
    await li.wait_events(lambda e: e.get("ev") == "sync.caught_up")  # live from here, nothing held
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    for i in range(3):
        await zhang.request("msg.send", conversation=conversation, client_msg_id=f"m{i}", type="text",
                            content={"text": f"第{i}条"})
    await li.wait_events(lambda e: e.get("ev") == "message.new", count=3)
    assert (await zhang.call("no.such.op"))["error"]["code"] == "unknown_op"
    history_error = (await zhang.call("conv.history", conversation=10**6))["error"]["code"]
    await zhang.raw("this is not JSON")
    await zhang.wait_events(lambda e: e.get("error", {}).get("code") == "bad_frame")
    after = await scrape(http, base, admin)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("zhengding_ws_frames_in_total", op="msg.send") == 3
    assert moved("zhengding_ws_frames_in_total", op="conv.open") == 1
    assert moved("zhengding_ws_frames_in_total", op="rejected") == 2  # the unknown op, the bad frame
    assert moved("zhengding_ws_frames_out_total", kind="reply", op="msg.send") == 3
    # li and zhang's own connection both get each message
    assert moved("zhengding_ws_frames_out_total", kind="event", op="message.new") == 6
    assert moved("zhengding_errors_total", transport="ws", code="unknown_op") == 1
    assert moved("zhengding_errors_total", transport="ws", code="bad_frame") == 1
    assert moved("zhengding_errors_total", transport="ws", code=history_error) == 1
    assert moved("zhengding_ws_connections_opened_total") == 2
    assert value(after, "zhengding_ws_connections_open") == 2
    # committer: every send is a job of some batch; each batch is timed
    assert moved("zhengding_committer_batch_size_sum") >= 4  # conv.open + 3 sends
    batches = moved("zhengding_committer_batch_size_count")
    assert 1 <= batches <= 4
    assert moved("zhengding_committer_batch_seconds_count") == batches
    assert moved("zhengding_committer_batch_seconds_sum") > 0
    assert moved("zhengding_fanout_seconds_count") >= 3
    # li resumed from cursor 0 (one page, caught up); zhang connected without a cursor
    assert moved("zhengding_replays_total", outcome="caught_up") == 1
    assert moved("zhengding_replays_total", outcome="live") == 1
    assert moved("zhengding_replay_pages_total") == 1
    assert moved("zhengding_ws_frames_out_total", kind="event", op="sync.caught_up") == 1
    assert value(after, "zhengding_db_pool_size", pool="main") >= 1
    assert ("zhengding_db_pool_checked_out", (("pool", "main"),)) in after
    assert moved("zhengding_http_requests_total", method="POST", status="200") == 2  # logins
    assert moved("zhengding_http_requests_total", method="POST", status="201") == 2  # tickets

    await zhang.close()
    await li.close()
    for _ in range(100):  # the server notices the close on its next read
        gone = await scrape(http, base, admin)
        if value(gone, "zhengding_ws_connections_open") == 0:
            break
        await asyncio.sleep(0.01)
    assert value(gone, "zhengding_ws_connections_open") == 0
    # a websocket's request is answered (101) when its socket closes
    assert value(gone, "zhengding_http_requests_total", method="GET", status="101") \
        - value(before, "zhengding_http_requests_total", method="GET", status="101") == 2


async def test_http_errors_are_counted_by_code(connect, im_server):
    base, http = connect.base_url, connect.http
    admin = await login(http, base, ADMIN)
    before = await scrape(http, base, admin)
    async with http.post(f"{base}/api/v1/login", json={"mobile": ZHANG, "password": "wrong"}) as response:
        assert response.status == 401
    async with http.get(f"{base}/api/v1/no-such-thing") as response:
        assert response.status == 404
    after = await scrape(http, base, admin)
    assert value(after, "zhengding_errors_total", transport="http", code="unauthenticated") \
        - value(before, "zhengding_errors_total", transport="http", code="unauthenticated") == 1
    assert value(after, "zhengding_errors_total", transport="http", code="not_found") \
        - value(before, "zhengding_errors_total", transport="http", code="not_found") == 1
    assert value(after, "zhengding_http_requests_total", method="GET", status="404") \
        - value(before, "zhengding_http_requests_total", method="GET", status="404") == 1


async def test_scheduler_runs_are_counted(im_server):
    rt = im_server.app[MESSAGING]
    reminders = next(job for job in rt.scheduler.jobs if job.name == "ding-reminders")
    await rt.scheduler.tick(reminders)
    samples = parse(rt.metrics.exposition().decode())
    assert value(samples, "zhengding_scheduler_runs_total", job="ding-reminders", outcome="ok") == 1
    assert value(samples, "zhengding_scheduler_run_seconds_count", job="ding-reminders") == 1


async def test_a_failing_job_is_counted_as_an_error():
    async def broken(_now):
        raise RuntimeError("boom")

    metrics = Metrics()
    job = PeriodicJob("broken", broken, 60)
    await Scheduler([job], metrics).tick(job)
    samples = parse(metrics.exposition().decode())
    assert value(samples, "zhengding_scheduler_runs_total", job="broken", outcome="error") == 1
    assert value(samples, "zhengding_scheduler_runs_total", job="broken", outcome="ok") == 0


async def test_metrics_are_for_administrators_only(connect, im_server):
    base, http = connect.base_url, connect.http
    async with http.get(f"{base}/metrics") as response:
        body = await response.json()
        assert response.status == 401 and body["error"]["code"] == "unauthenticated"
        assert CHINESE.search(body["error"]["message"])
    for mobile in (ZHANG, ENTERPRISE):
        token = await login(http, base, mobile)
        async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
            body = await response.json()
            assert response.status == 403 and body["error"]["code"] == "forbidden"
            assert CHINESE.search(body["error"]["message"])
    async with http.get(f"{base}/metrics", headers={"Authorization": "Bearer not-a-token"}) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthenticated"


@pytest.fixture
def listen_settings(sqlite_url, tmp_path) -> Settings:
    return Settings(database_url=sqlite_url, demo_data=False, media_dir=str(tmp_path / "media"),
                    metrics_listen="127.0.0.1:0")


async def test_separate_listen_address_serves_without_authentication(listen_settings):
    server = TestServer(create_app(listen_settings))
    await server.start_server()
    try:
        await load_sample(server.app[SESSIONS])
        listener = server.app[METRICS_LISTENER]
        assert listener.port != server.port
        base = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as http:
            token = await login(http, base, ADMIN)
            async with http.get(f"http://127.0.0.1:{listener.port}/metrics") as response:
                assert response.status == 200
                samples = parse(await response.text())
            assert value(samples, "zhengding_http_requests_total", method="POST", status="200") == 1
            # not on the main port any more, not even for an administrator
            async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == 404
    finally:
        await server.close()


def test_metrics_listen_must_be_host_and_port():
    assert load_settings(environ={"ZHENGDING_METRICS_LISTEN": "0.0.0.0:9464"}).metrics_address == ("0.0.0.0", 9464)
    assert Settings(metrics_listen="[::1]:9464").metrics_address == ("::1", 9464)
    assert Settings().metrics_address is None
    for bad in ("9464", "localhost", "host:port", ":9464", "host:70000"):
        with pytest.raises(ConfigError, match="metrics_listen"):
            load_settings(environ={"ZHENGDING_METRICS_LISTEN": bad})


async def test_each_application_has_its_own_registry(sqlite_url, tmp_path):
    """Two servers in one process: traffic to one does not show in the other's figures."""
    servers = []
    for name in ("one", "two"):
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3", demo_data=False,
                            media_dir=str(tmp_path / name))
        server = TestServer(create_app(settings))
        await server.start_server()
        await load_sample(server.app[SESSIONS])
        servers.append(server)
    try:
        one = servers[0]
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                await login(http, str(one.make_url("")).rstrip("/"), ZHANG)
        figures = [parse(s.app[MESSAGING].metrics.exposition().decode()) for s in servers]
        assert value(figures[0], "zhengding_http_requests_total", method="POST", status="200") == 3
        assert value(figures[1], "zhengding_http_requests_total", method="POST", status="200") == 0
    finally:
        for server in servers:
            await server.close()

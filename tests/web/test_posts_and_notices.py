"""Posts and notices in a real browser: a message to a post follows the post when an admin
rotates it; a notice to a selector and the sender's receipt view updating live."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.web.conftest import ADMIN, OFFICIAL, VILLAGE, activate
from tests.web.test_chat import in_chat, send

ROTATED_POST = "330802100201-01"       # 瑞洋村 村党支部书记 in the demo directory
SUCCESSOR_POST = "330802100201-03"     # 瑞洋村 村民委员会副主任: its holder takes over


def test_message_to_a_post_follows_the_post_when_it_rotates(open_page, admin_api, server):
    holder = admin_api.call("GET", f"/api/v1/posts/{ROTATED_POST}")["holders"][0]["person"]
    successor = admin_api.call("GET", f"/api/v1/posts/{SUCCESSOR_POST}")["holders"][0]["person"]
    predecessor_page = open_page(*activate(admin_api, holder["id"]))
    official = open_page(*OFFICIAL)
    admin = open_page(*ADMIN)
    tag = uuid.uuid4().hex[:6]

    official.goto(f"{server}/#/contacts/post/{ROTATED_POST}")
    expect(official.get_by_text(holder["name"])).to_be_visible()
    official.get_by_role("button", name="发消息给这个岗位").click()
    text = f"请瑞洋村报送河道巡查情况 {tag}"
    send(official, text)
    predecessor_page.locator(".conv-item", has_text="王建国").first.click()
    expect(in_chat(predecessor_page, text)).to_be_visible()

    admin.goto(f"{server}/#/admin/rotate")
    admin.get_by_label("岗位").fill(ROTATED_POST)
    admin.get_by_role("button", name="查询").click()
    expect(admin.get_by_text(f"现任: {holder['name']}")).to_be_visible()
    admin.get_by_label("继任者").fill(successor["mobile"])
    admin.get_by_role("button", name="确认交接").click()
    expect(admin.get_by_text(f"现任: {successor['name']}")).to_be_visible()

    # the predecessor loses it live; the successor finds the history in the browser
    expect(predecessor_page.get_by_text("您已不在该会话中")).to_be_visible()
    expect(predecessor_page.locator(".conv-item", has_text=text)).to_have_count(0)
    successor_page = open_page(*activate(admin_api, successor["id"]))
    successor_page.locator(".conv-item", has_text="王建国").first.click()
    expect(in_chat(successor_page, text)).to_be_visible()
    send(successor_page, f"已接任, 马上报送 {tag}")
    expect(in_chat(official, f"已接任, 马上报送 {tag}")).to_be_visible()
    predecessor_page.reload()
    predecessor_page.get_by_role("navigation", name="主菜单").wait_for()
    expect(predecessor_page.locator(".conv-item", has_text=text)).to_have_count(0)
    for page in (official, admin, predecessor_page, successor_page):
        assert not page.errors


def test_notice_to_a_selector_with_live_receipt_view(open_page, server):
    official = open_page(*OFFICIAL)
    village = open_page(*VILLAGE)
    title = f"关于开展河道巡查的通知 {uuid.uuid4().hex[:6]}"

    official.get_by_role("link", name="通知").click()
    official.get_by_role("link", name="发通知").click()
    official.get_by_label("岗位选择条件").fill("duty:村党支部书记 under:航埠镇")
    expect(official.locator(".selector-status")).to_contain_text("匹配")
    official.get_by_label("岗位选择条件").fill("duty:村党支部书记 under:(航埠镇")
    expect(official.locator(".selector-status")).to_have_class("selector-status error")
    expect(official.locator(".selector-status")).to_contain_text("第")  # where the mistake is
    official.get_by_label("岗位选择条件").fill("duty:村党支部书记 under:航埠镇")
    expect(official.locator(".selector-status")).to_contain_text("当前在岗")
    official.get_by_label("标题").fill(title)
    official.get_by_label("正文").fill("请各村于本周五前完成辖区河道巡查并报送情况。")
    official.get_by_role("button", name="发送通知").click()
    expect(official.get_by_role("heading", name=title)).to_be_visible()
    recipients = int(official.locator("[data-stat=recipients]").inner_text())
    assert recipients >= 1
    expect(official.locator("[data-stat=pending]")).to_have_text(str(recipients))
    expect(official.locator("table.pending")).to_contain_text("徐志强")

    village.get_by_role("link", name="通知").click()
    village.locator(".notice-item", has_text=title).click()
    expect(village.get_by_text("请各村于本周五前完成")).to_be_visible()
    expect(official.locator("[data-stat=read]")).to_have_text("1")       # live: opened
    village.get_by_label("反馈意见").fill("已安排, 周四前完成")
    village.get_by_role("button", name="确认收到").click()
    expect(village.locator(".detail-pane").get_by_text("已确认", exact=True)).to_be_visible()
    expect(official.locator("[data-stat=confirmed]")).to_have_text("1")  # live: confirmed
    expect(official.locator("[data-stat=pending]")).to_have_text(str(recipients - 1))
    expect(official.locator("table.pending")).not_to_contain_text("徐志强")

    with official.expect_download() as download:
        official.get_by_role("button", name="导出未完成名单 (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")
    official.get_by_role("button", name="一键DING未完成人员").click()
    expect(official.locator(".toast", has_text="已DING")).to_have_text("已DING 1 人")
    assert not official.errors and not village.errors

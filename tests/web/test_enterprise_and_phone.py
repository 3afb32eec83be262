"""An enterprise user's client (what it can and cannot reach) and the phone layout (375 × 812)."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.web.conftest import ENTERPRISE, OFFICIAL, SCREENSHOTS, VILLAGE
from tests.web.test_chat import in_chat, send

SERVING_POST = "330802000000-SWJ-01"   # 柯城区税务局 局长: serves enterprises, held by 王建国
VILLAGE_POST = "330802100200-01"       # a village party secretary: not for enterprises


def test_enterprise_user_sees_the_posts_that_serve_it_and_nothing_else(open_page, server):
    enterprise = open_page(*ENTERPRISE)
    official = open_page(*OFFICIAL)
    menu = enterprise.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link", name="服务岗位")).to_be_visible()
    for hidden in ("通讯录", "通知", "管理后台"):
        expect(menu.get_by_role("link", name=hidden)).to_have_count(0)
    expect(enterprise.get_by_role("button", name="发起群聊")).to_have_count(0)

    menu.get_by_role("link", name="服务岗位").click()
    enterprise.get_by_label("搜索通讯录").fill("税务")
    results = enterprise.locator(".search-results .result")
    expect(results.first).to_be_visible()
    assert all("单位" not in text and "人员" not in text for text in results.all_inner_texts())
    expect(enterprise.get_by_role("tree")).to_have_count(0)  # no directory tree

    enterprise.goto(f"{server}/#/contacts/post/{VILLAGE_POST}")
    expect(enterprise.get_by_text("岗位不存在或您无权查看")).to_be_visible()
    enterprise.goto(f"{server}/#/contacts/unit/330802000000")
    expect(enterprise.get_by_text("搜索并选择一个服务岗位")).to_be_visible()
    enterprise.goto(f"{server}/#/notices/new")  # not in its menu: falls back to 消息
    expect(enterprise.get_by_role("heading", name="消息")).to_be_visible()

    enterprise.goto(f"{server}/#/contacts/post/{SERVING_POST}")
    expect(enterprise.get_by_text("面向企业服务")).to_be_visible()
    expect(enterprise.get_by_text("手机")).to_have_count(0)  # never a mobile for enterprises
    enterprise.get_by_role("button", name="发消息给这个岗位").click()
    question = f"请问研发费用加计扣除如何申报? {uuid.uuid4().hex[:6]}"
    send(enterprise, question)
    official.locator(".conv-item", has_text="陈晓燕").first.click()
    expect(in_chat(official, question)).to_be_visible()

    # its own service conversation (the enterprise and the officer posts assigned to it)
    enterprise.get_by_role("navigation", name="主菜单").get_by_role("link", name="消息").click()
    enterprise.get_by_role("button", name="联系服务专员").click()
    expect(enterprise.locator(".conv-item.active")).to_contain_text("服务")
    consult = f"请问本季度申报截止日期? {uuid.uuid4().hex[:6]}"
    send(enterprise, consult)
    expect(in_chat(enterprise, consult)).to_be_visible()
    assert not enterprise.errors and not official.errors


def test_phone_width_main_views_are_usable(open_page, server):
    phone = open_page(*VILLAGE, width=375, height=812)
    official = open_page(*OFFICIAL)
    tag = uuid.uuid4().hex[:6]
    official.goto(f"{server}/#/contacts/post/{VILLAGE_POST}")
    official.get_by_role("button", name="发消息给这个岗位").click()
    send(official, f"手机端测试消息 {tag}")

    menu = phone.get_by_role("navigation", name="主菜单")
    box = menu.bounding_box()
    assert box["y"] > 700 and box["width"] == 375  # a tab bar at the bottom
    scroll_width = phone.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, "nothing wider than the screen"
    phone.locator(".conv-item", has_text=f"手机端测试消息 {tag}").click()
    expect(in_chat(phone, f"手机端测试消息 {tag}")).to_be_visible()
    expect(phone.locator(".list-pane")).to_be_hidden()  # the chat has the whole screen
    send(phone, f"收到 {tag}")
    expect(in_chat(official, f"收到 {tag}")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "phone-chat.png"))
    phone.get_by_role("link", name="返回会话列表").click()
    expect(phone.locator(".list-pane")).to_be_visible()

    menu.get_by_role("link", name="通讯录").click()
    expect(phone.get_by_role("tree")).to_contain_text("浙江省")
    phone.screenshot(path=str(SCREENSHOTS / "phone-contacts.png"))
    menu.get_by_role("link", name="通知").click()
    expect(phone.get_by_role("link", name="发通知")).to_be_visible()
    menu.get_by_role("link", name="我的").click()
    expect(phone.get_by_role("button", name="退出登录")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("button", name="退出登录").click()
    expect(phone.get_by_role("button", name="登录", exact=True)).to_be_visible()
    assert phone.evaluate("localStorage.getItem('zd.session')") is None
    assert not phone.errors

"""消息 in a real browser: read receipts live, a network drop and resume, script-free rendering."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import ADMIN, OFFICIAL, VILLAGE

VILLAGE_SECRETARY = "330802100200-01"  # 徐志强's post in the demo directory


def send(page: Page, text: str) -> None:
    box = page.get_by_label("输入消息")
    box.fill(text)
    box.press("Enter")


def open_conversation(page: Page, title: str) -> None:
    page.get_by_role("link", name="消息").first.click()
    page.locator(".conv-item", has_text=title).first.click()


def in_chat(page: Page, text: str):
    return page.locator(".messages").get_by_text(text)


def my_message(page: Page, text: str):
    return page.locator(".msg.mine", has_text=text)


def test_direct_and_group_read_state_change_live(open_page):
    official = open_page(*OFFICIAL)
    village = open_page(*VILLAGE)
    admin = open_page(*ADMIN)
    tag = uuid.uuid4().hex[:6]

    # one-to-one: 王建国 writes to 徐志强 from the post's page
    official.goto(official.url.split("#")[0] + f"#/contacts/post/{VILLAGE_SECRETARY}")
    official.get_by_role("button", name="发消息", exact=True).click()
    text = f"请报送本村河道巡查情况 {tag}"
    send(official, text)
    receipt = my_message(official, text).locator(".receipt")
    expect(receipt).to_have_text("未读")
    open_conversation(village, "王建国")
    expect(in_chat(village, text)).to_be_visible()
    expect(receipt).to_have_text("已读")

    # a group of three: "2人未读" → "1人未读" → "全部已读", and who has read it
    official.get_by_role("link", name="消息").first.click()
    official.get_by_role("button", name="发起群聊").click()
    official.get_by_label("群名称").fill(f"河道巡查群 {tag}")
    for name in ("徐志强", "系统管理员"):
        official.get_by_label("添加成员").fill(name)
        official.locator(".dialog .result", has_text=name).first.click()
    official.get_by_role("button", name="创建").click()
    notice = f"明早九点开会 {tag}"
    send(official, notice)
    receipt = my_message(official, notice).locator(".receipt")
    expect(receipt).to_have_text("2人未读")
    open_conversation(village, f"河道巡查群 {tag}")
    expect(in_chat(village, notice)).to_be_visible()
    expect(receipt).to_have_text("1人未读")
    receipt.click()
    dialog = official.get_by_role("dialog", name="消息接收人")
    expect(dialog.locator("section", has_text="已读")).to_contain_text("徐志强")
    expect(dialog.locator("section", has_text="未读")).to_contain_text("系统管理员")
    dialog.get_by_role("button", name="关闭").click()
    open_conversation(admin, f"河道巡查群 {tag}")
    expect(receipt).to_have_text("全部已读")
    assert not official.errors and not village.errors and not admin.errors


def test_network_drop_then_resume_shows_each_message_once_in_order(open_page):
    village = open_page(*VILLAGE)
    official = open_page(*OFFICIAL)
    tag = uuid.uuid4().hex[:6]
    official.goto(official.url.split("#")[0] + f"#/contacts/post/{VILLAGE_SECRETARY}")
    official.get_by_role("button", name="发消息给这个岗位").click()
    send(official, f"断网前 {tag}")
    open_conversation(village, "王建国")
    expect(in_chat(village, f"断网前 {tag}")).to_be_visible()

    # the test cuts the page's websocket and keeps new tickets from being issued meanwhile
    sockets = []
    village.route_web_socket("**/ws*", lambda ws: (sockets.append(ws), ws.connect_to_server()))
    village.route("**/api/v1/ws-ticket", lambda route: route.abort())
    village.reload()
    expect(village.locator(".conn-banner")).to_be_visible()  # no ticket: the unreachable page
    village.unroute("**/api/v1/ws-ticket")
    village.get_by_role("button", name="立即重试").click()
    expect(village.locator(".conn-banner")).to_be_hidden()
    assert sockets, "the page's websocket went through the test's route"
    village.route("**/api/v1/ws-ticket", lambda route: route.abort())
    sockets[-1].close(code=4000, reason="test drop")
    expect(village.locator(".conn-banner")).to_be_visible()
    expect(village.locator(".conn-banner")).to_contain_text("无法连接服务器")
    sent = [f"断网期间 {tag} 第{i}条" for i in range(1, 4)]
    for text in sent:
        send(official, text)
        expect(my_message(official, text)).to_be_visible()
    village.unroute("**/api/v1/ws-ticket")
    village.get_by_role("button", name="立即重试").click()
    expect(village.locator(".conn-banner")).to_be_hidden()
    for text in [f"断网前 {tag}", *sent]:
        expect(in_chat(village, text)).to_have_count(1)
    shown = [text for text in village.locator(".msg .bubble").all_inner_texts() if tag in text]
    assert shown == [f"断网前 {tag}", *sent], shown  # each once, in order
    assert not village.errors


def test_script_in_text_and_markdown_stays_inert(open_page):
    official = open_page(*OFFICIAL)
    village = open_page(*VILLAGE)
    tag = uuid.uuid4().hex[:6]
    official.goto(official.url.split("#")[0] + f"#/contacts/post/{VILLAGE_SECRETARY}")
    official.get_by_role("button", name="发消息", exact=True).click()
    attacks = [
        f"<script>window.__xss = 1</script> {tag}",
        f'<img src=x onerror="window.__xss = 2"> {tag}',
    ]
    for text in attacks:
        send(official, text)
    official.get_by_label("Markdown").check()
    send(official, f"**加粗** [点我](javascript:window.__xss=3) [官网](https://www.gov.cn) <b onmouseover=x>{tag}</b>")
    open_conversation(village, "王建国")
    for page in (official, village):
        expect(in_chat(page, attacks[0])).to_be_visible()   # shown as the text it is
        expect(in_chat(page, attacks[1])).to_be_visible()
        messages = page.locator(".messages")
        expect(messages.locator("strong", has_text="加粗")).to_be_visible()
        assert messages.locator("script").count() == 0
        assert messages.locator("img[onerror], [onmouseover]").count() == 0
        assert messages.locator("a[href^='javascript']").count() == 0
        link = messages.locator("a", has_text="官网").last
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        messages.locator(".dropped-link", has_text="点我").last.click()
        assert page.evaluate("window.__xss") is None
        assert not page.errors


def test_reply_edit_recall_search_and_attachments(open_page, server, tmp_path):
    from PIL import Image

    official = open_page(*OFFICIAL)
    village = open_page(*VILLAGE)
    tag = uuid.uuid4().hex[:6]
    official.goto(f"{server}/#/contacts/post/{VILLAGE_SECRETARY}")
    official.get_by_role("button", name="发消息", exact=True).click()
    send(official, f"防汛物资清单 {tag}")
    open_conversation(village, "王建国")
    original = village.locator(".msg", has_text=f"防汛物资清单 {tag}")
    original.hover()  # the actions show on hover, as in a desktop client
    original.get_by_role("button", name="回复").click()
    send(village, f"已收到清单 {tag}")
    reply = my_message(village, f"已收到清单 {tag}")
    expect(reply.locator(".quote")).to_contain_text(f"防汛物资清单 {tag}")

    reply.hover()
    reply.get_by_role("button", name="编辑").click()
    send(village, f"已收到清单, 明天核对 {tag}")
    expect(my_message(village, f"明天核对 {tag}")).to_contain_text("(已编辑)")
    expect(in_chat(official, f"已收到清单, 明天核对 {tag}")).to_be_visible()  # live for the other side

    edited = my_message(village, f"明天核对 {tag}")
    edited.hover()
    edited.get_by_role("button", name="撤回").click()
    village.get_by_role("dialog", name="撤回消息").get_by_role("button", name="撤回").click()
    expect(village.locator(".messages .system", has_text="你撤回了一条消息")).to_be_visible()
    expect(official.locator(".messages .system", has_text="徐志强撤回了一条消息")).to_be_visible()

    village.get_by_role("button", name="搜索").click()
    village.get_by_label("在此会话中搜索").fill("物资")
    expect(village.locator(".chat-search-results mark", has_text="物资").first).to_be_visible()

    picture = tmp_path / "巡河照片.png"
    Image.new("RGB", (640, 480), (30, 110, 230)).save(picture)
    report = tmp_path / "巡查报告.txt"
    report.write_text("河道畅通, 无异常。", encoding="utf-8")
    village.locator(".composer input[type=file]").set_input_files(str(picture))
    image = official.locator(".messages .image-msg img")
    expect(image).to_have_attribute("src", re.compile("^blob:"))
    image.click()
    expect(official.get_by_role("dialog", name="巡河照片.png").locator("img")).to_be_visible()
    official.keyboard.press("Escape")
    village.locator(".composer input[type=file]").set_input_files(str(report))
    card = official.locator(".messages .file-card", has_text="巡查报告.txt")
    with official.expect_download() as download:
        card.click()
    assert download.value.suggested_filename == "巡查报告.txt"
    assert Path(download.value.path()).read_text(encoding="utf-8") == "河道畅通, 无异常。"
    assert not official.errors and not village.errors

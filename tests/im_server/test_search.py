"""Message search end to end, Chinese substrings included: real server, SQLite and PostgreSQL."""
from __future__ import annotations

from im_server.stores.search import fts_phrase, like_pattern, snippet
from tests.orgchart import sample

ZHANG, LI, WANG, ZHAO = "13800000001", "13800000002", "13800000003", "13800000004"


async def send(client, conversation: int, text: str, key: str) -> dict:
    return await client.request("msg.send", conversation=conversation, client_msg_id=key,
                                type="text", content={"text": text})


async def direct(a, b) -> int:
    return (await a.request("conv.open", kind="direct", person=b.person_id))["conversation"]["id"]


async def found(client, query: str, **args) -> list[str]:
    """The texts of the messages a search finds, newest first (read back from the snippets)."""
    result = await client.request("search", query=query, **args)
    return [match["snippet"] for match in result["matches"]]


async def test_chinese_substring_is_found_with_snippet(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    await send(zhang, conversation, "今天天气很好", "1")
    sent = await send(zhang, conversation, "全面推行河长制工作", "2")
    await send(li, conversation, "收到, 河长巡河已安排", "3")

    result = await li.request("search", query="河长制")
    assert result["query"] == "河长制"
    [match] = result["matches"]
    assert match["message"] == sent["message"]["id"] and match["conversation"] == conversation
    assert match["seq"] == 2 and match["sender"]["name"] == "张三" and match["type"] == "text"
    assert match["snippet"] == "全面推行河长制工作"
    start, end = match["highlight"]
    assert match["snippet"][start:end] == "河长制"

    # the web client's HTTP endpoint gives the same answer
    async with li.http.get(f"{li.base_url}/api/v1/search/messages", params={"q": "河长制"},
                           headers={"Authorization": f"Bearer {li.token}"}) as response:
        assert response.status == 200
        assert (await response.json())["matches"] == result["matches"]


async def test_only_conversations_the_user_reads_now(connect):
    zhang, li, wang, zhao = (await connect(ZHANG), await connect(LI), await connect(WANG),
                             await connect(ZHAO))
    mine = await direct(zhang, li)
    theirs = await direct(wang, zhao)
    await send(wang, theirs, "河长制考核名单", "w")
    await send(zhang, mine, "河长制会议纪要", "z")
    assert await found(li, "河长制") == ["河长制会议纪要"]
    assert await found(zhao, "河长制") == ["河长制考核名单"]
    denied = await li.call("search", query="河长制", conversation=theirs)
    assert not denied["ok"] and denied["error"]["code"] == "forbidden"
    missing = await li.call("search", query="河长制", conversation=999999)
    assert missing["error"]["code"] == "not_found"
    # beyond any conversation id's column: refused by the schema, naming the argument
    beyond = await li.call("search", query="河长制", conversation=10**12)
    assert beyond["error"]["code"] == "invalid_args" and beyond["error"]["details"]["field"] == "conversation"
    assert await found(zhang, "河长制", conversation=mine) == ["河长制会议纪要"]

    # a post conversation's history goes with the post: the former holder no longer finds it
    opened = await wang.request("conv.open", kind="post", post=sample.TAX_KC + "-JZ")
    post = opened["conversation"]["id"]
    await send(wang, post, "请局长审阅河长制经费", "p")
    assert await found(zhang, "河长制经费") == ["请局长审阅河长制经费"]
    assert await found(li, "河长制经费") == []


async def test_recalled_and_edited_messages(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    recalled = await send(zhang, conversation, "河长制草稿 (发错了)", "r")
    edited = await send(zhang, conversation, "旧的提法: 湖长制", "e")
    await zhang.request("msg.recall", message=recalled["message"]["id"])
    assert await found(li, "河长制") == []
    assert await found(li, "草稿") == []  # the short-query path hides it too
    await zhang.request("msg.edit", message=edited["message"]["id"], content={"text": "新的提法: 林长制"})
    assert await found(li, "湖长制") == []
    assert await found(li, "林长制") == ["新的提法: 林长制"]


async def test_short_queries_and_order(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    for i, text in enumerate(["河长巡河", "湖长巡湖", "河道清理", "Hello World"]):
        await send(zhang, conversation, text, str(i))
    assert await found(li, "河长") == ["河长巡河"]
    assert await found(li, "河") == ["河道清理", "河长巡河"]  # newest first
    assert await found(li, "巡", limit=1) == ["湖长巡湖"]
    assert await found(li, "wo") == ["Hello World"]  # case-insensitive
    assert await found(li, "hello w") == ["Hello World"]


#: FTS5 operators, LIKE wildcards, SQL and odd characters: each must be taken literally.
AWKWARD = ['"', '""', "AND", "河长 AND 湖长", "*", "河长*", "NEAR(河长 湖长)", 'OR "x', "^河长",
           "search_text:河长", "-河长", "'; DROP TABLE messages; --", "%", "_", "\\", "a\\%b", "(",
           "河长)", "😀😀😀", "引号\"", "{a b}", "河长 OR", "NOT 湖长"]


async def test_query_syntax_never_breaks_the_search(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    text = '河长 AND 湖长 *星号* "引号" 50%_折扣 a\\%b'
    sent = await send(zhang, conversation, text, "x")
    await send(zhang, conversation, "普通消息", "y")
    for query in AWKWARD:
        result = await li.request("search", query=query)
        expected = [sent["message"]["id"]] if query in text else []
        assert [match["message"] for match in result["matches"]] == expected, query
    assert "messages" in (await li.request("conv.history", conversation=conversation))
    refused = await li.call("search", query="\u0000abc")
    assert refused["error"]["code"] == "invalid_args"


async def test_wildcards_are_literal(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    await send(zhang, conversation, "全场五折", "1")
    await send(zhang, conversation, "优惠50%", "2")
    await send(zhang, conversation, "file_name", "3")
    assert await found(li, "%") == ["优惠50%"]
    assert await found(li, "_") == ["file_name"]
    assert await found(li, "0%") == ["优惠50%"]
    assert await found(li, "e_n") == ["file_name"]


async def test_bad_search_input(connect):
    li = await connect(LI)
    for args in ({"query": "   "}, {"query": ""}, {"query": "x" * 201}, {"query": 5}, {},
                 {"query": "河长", "limit": 0}, {"query": "河长", "conversation": "1"}):
        reply = await li.call("search", **args)
        assert not reply["ok"] and reply["error"]["code"] == "invalid_args", (args, reply)
    headers = {"Authorization": f"Bearer {li.token}"}
    for params in ({}, {"q": " "}, {"q": "河长", "limit": "many"}, {"q": "河长", "conversation": "0"}):
        async with li.http.get(f"{li.base_url}/api/v1/search/messages", params=params,
                               headers=headers) as response:
            assert response.status == 400, params
            assert (await response.json())["error"]["code"] == "invalid_input"
    async with li.http.get(f"{li.base_url}/api/v1/search/messages", params={"q": "河长"}) as response:
        assert response.status == 401


def test_quoting_helpers():
    assert fts_phrase('say "hi" AND *') == '"say ""hi"" AND *"'
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
    text = "一" * 40 + "河长制" + "二" * 40
    excerpt, (start, end) = snippet(text, "河长制")
    assert excerpt.startswith("…") and excerpt.endswith("…") and excerpt[start:end] == "河长制"


async def test_files_are_found_by_their_name(connect):
    from tests.im_server.test_media import upload

    zhang, li = await connect("13800000001"), await connect("13800000002")
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    response = await upload(zhang, conversation, b"%PDF-1.4 plan", "河长制实施方案.pdf")
    assert response.status == 201
    token = (await response.json())["media"]
    await zhang.request("msg.send", conversation=conversation, client_msg_id="f", type="file",
                        content={"media": token})
    found = await li.request("search", query="实施方案")
    assert [match["type"] for match in found["matches"]] == ["file"]

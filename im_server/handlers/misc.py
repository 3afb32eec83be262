"""Small operations: ping and presence."""
from __future__ import annotations

import datetime as dt

from im_server.protocol import ProtocolError
from orgchart.service.directory import DirectoryService
from orgchart.service.present import iso


async def ping(ctx, args) -> dict:
    return {"time": iso(dt.datetime.now(dt.UTC)), "node": ctx.rt.node_id}


async def presence(ctx, args) -> dict:
    people = args["people"]
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in people):
        raise ProtocolError("invalid_args", "people 必须是人员 id 数组", field="people")
    # The directory's visibility: a hidden person is as unknown as one who does not exist.
    visible = await DirectoryService(ctx.rt.sessions).visible_people(ctx.viewer, people)
    missing = list(dict.fromkeys(p for p in people if p not in visible))
    if missing:
        shown = "、".join(map(str, missing[:5])) + (f" 等 {len(missing)} 人" if len(missing) > 5 else "")
        raise ProtocolError("not_found", f"人员 {shown} 不存在", people=missing)
    states = await ctx.rt.presence.query(people)
    return {"people": [{"id": p, **states[p]} for p in people]}


OPS = {"ping": ping, "presence": presence}

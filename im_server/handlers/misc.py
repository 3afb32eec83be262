"""Small operations: ping and presence."""
from __future__ import annotations

import datetime as dt

from im_server.protocol import ProtocolError
from orgchart.service.present import iso


async def ping(ctx, args) -> dict:
    return {"time": iso(dt.datetime.now(dt.UTC)), "node": ctx.rt.node_id}


async def presence(ctx, args) -> dict:
    people = args["people"]
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in people):
        raise ProtocolError("invalid_args", "people 必须是人员 id 数组", field="people")
    states = await ctx.rt.presence.query(people)
    return {"people": [{"id": p, **states[p]} for p in people]}


OPS = {"ping": ping, "presence": presence}

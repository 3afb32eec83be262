"""Small operations: ping and presence."""
from __future__ import annotations

import time

from im_server.protocol import ProtocolError


async def ping(ctx, args) -> dict:
    return {"time": time.time(), "node": ctx.rt.node_id}


async def presence(ctx, args) -> dict:
    people = args["people"]
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in people):
        raise ProtocolError("invalid_args", "people 必须是人员 id 数组", field="people")
    states = await ctx.rt.presence.query(people)
    return {"people": [{"id": p, **states[p]} for p in people]}


OPS = {"ping": ping, "presence": presence}

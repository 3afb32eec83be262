"""Websocket tickets: short-lived and single-use, stored as SHA-256 so any node can consume them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from im_server import models as m
from im_server.runtime import Messaging, utc_now
from orgchart import models as om
from orgchart.security import new_token, token_digest
from orgchart.service.viewer import Viewer


async def issue_ticket(rt: Messaging, viewer: Viewer) -> dict:
    ticket = new_token()
    expires = utc_now() + dt.timedelta(seconds=rt.settings.ws_ticket_ttl_seconds)
    async with rt.sessions.begin() as session:
        await session.execute(insert(m.WsTicket).values(
            ticket_hash=token_digest(ticket), person_id=viewer.person_id, expires_at=expires))
    return {"ticket": ticket, "expires_at": expires.isoformat()}


async def consume_ticket(rt: Messaging, ticket: str) -> Viewer | None:
    """The ticket's person, once: a second use, or a use after expiry, finds nothing."""
    now = utc_now()
    async with rt.sessions.begin() as session:
        person_id = await session.scalar(
            update(m.WsTicket)
            .where(m.WsTicket.ticket_hash == token_digest(ticket), m.WsTicket.used_at.is_(None),
                   m.WsTicket.expires_at > now)
            .values(used_at=now).returning(m.WsTicket.person_id))
        if person_id is None:
            return None
        person = (await session.execute(
            select(om.Person.name, om.Person.role).where(om.Person.id == person_id))).one()
    return Viewer(person_id=person_id, name=person.name, role=person.role)

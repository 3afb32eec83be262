"""The HTTP half of the SDK: login, websocket tickets, uploads. Errors become :class:`ZhengdingError`.

Every HTTP error of the server has the shape ``{"error": {"code", "message", "details"?}}``;
anything else (a proxy's HTML page) becomes a ``ServerError`` with the HTTP status.
"""
from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import Any

import aiohttp

from clients.sdk.errors import ZhengdingError, error_from


class HttpApi:
    """Calls ``/api/v1/…`` of one server on a shared :class:`aiohttp.ClientSession`."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        # created lazily: a ClientSession must be made inside a running event loop
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def websocket_url(self) -> str:
        scheme, rest = self.base_url.split("://", 1)
        return ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"

    async def call(self, method: str, path: str, *, token: str | None = None,
                   json: Any = None, data: Any = None) -> Any:
        """The JSON answer of ``method path``; raises the mapped error for 4xx/5xx."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.base_url + path, json=json, data=data,
                                        headers=headers) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            if response.status >= 400:
                raise _http_error(response.status, body)
            return body

    async def login(self, mobile: str, password: str) -> dict[str, Any]:
        """``{token, expires_at, person: {id, name, role}}``."""
        return await self.call("POST", "/api/v1/login", json={"mobile": mobile, "password": password})

    async def logout(self, token: str) -> None:
        await self.call("POST", "/api/v1/logout", token=token)

    async def me(self, token: str) -> dict[str, Any]:
        return await self.call("GET", "/api/v1/me", token=token)

    async def ws_ticket(self, token: str) -> str:
        """A single-use ticket for ``GET /ws?ticket=…`` (valid for seconds)."""
        return (await self.call("POST", "/api/v1/ws-ticket", token=token))["ticket"]

    async def upload(self, token: str, conversation: int, path: str | Path,
                     content_type: str | None = None) -> dict[str, Any]:
        """``POST /api/v1/conversations/{id}/media`` as multipart, the file in the part ``file``."""
        path = Path(path)
        content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # aiohttp streams the open file (reading it in a worker thread); it is not read into memory
        handle = await asyncio.to_thread(path.open, "rb")
        with handle:
            with aiohttp.MultipartWriter("form-data") as form:
                part = form.append(handle, {"Content-Type": content_type})
                # The file name as browsers send it (raw UTF-8, quotes and newlines escaped), not
                # aiohttp's default percent-encoding, which servers would show as %E6%B2%B3….
                part.set_content_disposition("form-data", quote_fields=False, name="file",
                                             filename=_browser_filename(path.name))
            return await self.call("POST", f"/api/v1/conversations/{int(conversation)}/media",
                                   token=token, data=form)

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None


def _browser_filename(name: str) -> str:
    """Escape a file name for a multipart header as the HTML standard does."""
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _http_error(status: int, body: Any) -> ZhengdingError:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "code" in error:
        return error_from(str(error["code"]), str(error.get("message", "")), error.get("details"),
                          status=status)
    return error_from(f"http_{status}", f"服务器返回 HTTP {status}", status=status)

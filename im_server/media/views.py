"""HTTP views for media: upload into a conversation, download, thumbnail.

    POST /api/v1/conversations/{conversation}/media   multipart/form-data, field "file"
    GET  /api/v1/media/{token}                        the stored file
    GET  /api/v1/media/{token}/thumbnail              JPEG, longest side 320 px (images only)

Only members of the conversation may upload, and only its members *now* may download (a
post's former holder loses access with the post). Membership is checked before the body is
read, so a stranger cannot even make us store bytes. Pillow runs in a worker thread.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import mimetypes
import unicodedata
from collections.abc import AsyncIterator
from pathlib import PurePath
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from im_server.media import store
from im_server.media.images import ImageRejected, process_image, sniff_format
from im_server.media.storage import CHUNK, MediaStorage, Staged, TooLarge, new_token
from im_server.stores import conversations as conversation_store
from im_server.stores.membership import membership
from orgchart.errors import InvalidInput, NotFound, PermissionDenied
from orgchart.http.auth import login_required
from orgchart.http.errors import error_response
from orgchart.http.keys import ENGINE, SETTINGS
from orgchart.http.views_common import json_response, path_int
from orgchart.service.viewer import Viewer

log = logging.getLogger(__name__)

#: Decoding holds the whole bitmap (up to image_max_pixels × 4 bytes): bound how many at once.
IMAGE_SLOTS = web.AppKey("media_image_slots", asyncio.Semaphore)
CONCURRENT_IMAGES = 2

#: conversations.id is a 32-bit integer; larger ids cannot exist (and would overflow the driver).
MAX_ID = 2**31 - 1
MAX_FILENAME = 255
#: What aiohttp's multipart reader raises for a body that is not well-formed multipart.
MALFORMED = (ValueError, AssertionError, HttpProcessingError)
BAD_MULTIPART = "multipart 请求格式错误"
#: Types a browser would run or render as a page: stored and served as opaque bytes instead.
ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/x-javascript",
})
#: Downloads are never run as a page, whatever a browser makes of them.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # membership can end (posts change hands), so shared caches must not keep copies
    "Cache-Control": "private, max-age=3600",
}


def clean_filename(raw: str | None) -> str:
    """The base name only, without control or bidi characters (no "txt.exe" tricks), ≤ 255.

    Multipart file names may arrive percent-encoded (RFC 7578 §4.2; aiohttp's client does it,
    browsers encode only quotes and line breaks), so they are decoded when that yields UTF-8.
    """
    raw = raw or ""
    if "%" in raw:
        try:
            raw = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            pass
    name = PurePath(raw.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    if not name or name in (".", ".."):
        return "附件"
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        name = name[: MAX_FILENAME - len(ext) - 1] + "." + ext if ext else name[:MAX_FILENAME]
    return name


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266 with an ASCII fallback and the UTF-8 name per RFC 5987 (Chinese names)."""
    disposition = "inline" if kind == "image" else "attachment"
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _file_type(filename: str) -> str:
    """The type a file's name suggests; never an image type (images are known by content)."""
    guessed = mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
    if guessed in ACTIVE_TYPES or guessed.startswith("image/"):
        return "application/octet-stream"
    return guessed


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


async def _require_member(request: web.Request, conversation_id: int, person_id: int,
                          *, posting: bool) -> None:
    async with request.app[ENGINE].connect() as conn:
        if conversation_id > MAX_ID or await conversation_store.get(conn, conversation_id) is None:
            raise NotFound("会话不存在")
        is_member, may_post, _ = await membership(conn, conversation_id, person_id, dt.date.today())
    if not is_member:
        raise PermissionDenied("您不是该会话的成员" + ("" if posting else ", 无权下载此附件"))
    if posting and not may_post:
        raise PermissionDenied("该频道仅限指定岗位发言, 不能上传附件")


async def _file_part(request: web.Request) -> tuple[MultipartReader, BodyPartReader]:
    if request.content_type != "multipart/form-data":
        raise InvalidInput("请以 multipart/form-data 上传, 文件字段名为 file")
    try:
        reader = await request.multipart()
        part = await reader.next()
    except MALFORMED:
        raise InvalidInput(BAD_MULTIPART) from None
    if not isinstance(part, BodyPartReader) or part.name != "file":
        raise InvalidInput("请求的第一个字段应为文件字段 file")
    return reader, part


async def _receive(storage: MediaStorage, reader: MultipartReader, part: BodyPartReader,
                   limit: int) -> Staged:
    """The file part on disk; :class:`TooLarge`, or ``invalid_input`` for a malformed body."""
    try:
        staged = await storage.receive(_chunks(part), limit)
    except MALFORMED:
        raise InvalidInput(BAD_MULTIPART) from None
    try:
        # aiohttp ends a part at end of body too; only a boundary after it proves it complete
        await reader.next()
    except MALFORMED:
        await asyncio.to_thread(staged.discard)
        raise InvalidInput(BAD_MULTIPART + ": 文件部分不完整") from None
    return staged


@login_required
async def upload(request: web.Request, viewer: Viewer) -> web.Response:
    settings = request.app[SETTINGS]
    conversation_id = path_int(request, "conversation")
    await _require_member(request, conversation_id, viewer.person_id, posting=True)
    limit = settings.upload_max_bytes
    too_large = f"文件过大, 上限为 {limit / (1024 * 1024):g} MB"
    # a declared length far over the limit is refused before reading anything
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        return error_response(413, "payload_too_large", too_large, limit=limit)
    reader, part = await _file_part(request)
    filename = clean_filename(part.filename)
    storage = MediaStorage(settings.media_dir)
    try:
        staged = await _receive(storage, reader, part, limit)
    except TooLarge:
        return error_response(413, "payload_too_large", too_large, limit=limit)
    token = new_token()
    try:
        if staged.size == 0:
            raise InvalidInput("文件为空")
        fmt = sniff_format(staged.head)
        if fmt is not None:
            target = await asyncio.to_thread(storage.prepare, token)
            try:
                async with request.app[IMAGE_SLOTS]:
                    info = await asyncio.to_thread(process_image, staged.path, fmt, target,
                                                   storage.thumbnail_path(token),
                                                   max_pixels=settings.image_max_pixels)
            except ImageRejected as exc:
                raise InvalidInput(str(exc), details={"field": "file"}) from None
            record = {"kind": "image", "content_type": info.content_type, "size": info.size,
                      "width": info.width, "height": info.height, "sha256": info.sha256}
        else:
            await asyncio.to_thread(storage.keep, staged, token)
            record = {"kind": "file", "content_type": _file_type(filename), "size": staged.size,
                      "width": None, "height": None, "sha256": staged.sha256}
        async with request.app[ENGINE].begin() as conn:
            await store.insert_media(conn, token=token, owner_id=viewer.person_id,
                                     conversation_id=conversation_id, filename=filename, **record)
    except BaseException:
        await asyncio.to_thread(storage.remove, token)
        raise
    finally:
        await asyncio.to_thread(staged.discard)
    return json_response({"media": token, "filename": filename, **record,
                          "url": f"/api/v1/media/{token}",
                          "thumbnail_url": f"/api/v1/media/{token}/thumbnail"
                          if record["kind"] == "image" else None}, status=201)


async def _serve(request: web.Request, viewer: Viewer, *, thumbnail: bool) -> web.StreamResponse:
    token = request.match_info["token"]
    async with request.app[ENGINE].connect() as conn:
        row = await store.by_token(conn, token)
    if row is None:
        raise NotFound("附件不存在")
    await _require_member(request, row.conversation_id, viewer.person_id, posting=False)
    storage = MediaStorage(request.app[SETTINGS].media_dir)
    if thumbnail:
        if row.kind != "image":
            raise NotFound("该附件不是图片, 没有缩略图")
        path, content_type = storage.thumbnail_path(token), "image/jpeg"
    else:
        path, content_type = storage.path(token), row.content_type
    if not await asyncio.to_thread(path.is_file):
        log.warning("media %s is recorded but its file %s is missing", token, path)
        raise NotFound("附件文件已丢失")
    headers = {**SECURITY_HEADERS, "Content-Type": content_type,
               "Content-Disposition": content_disposition(row.kind, row.filename)}
    return web.FileResponse(path, headers=headers)


@login_required
async def download(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    return await _serve(request, viewer, thumbnail=False)


@login_required
async def download_thumbnail(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    return await _serve(request, viewer, thumbnail=True)


def setup(app: web.Application) -> None:
    app[IMAGE_SLOTS] = asyncio.Semaphore(CONCURRENT_IMAGES)
    app.router.add_post(r"/api/v1/conversations/{conversation:\d+}/media", upload)
    app.router.add_get(r"/api/v1/media/{token:[A-Za-z0-9_-]{16,64}}", download)
    app.router.add_get(r"/api/v1/media/{token:[A-Za-z0-9_-]{16,64}}/thumbnail", download_thumbnail)

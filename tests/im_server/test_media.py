"""Media end to end: upload over HTTP, send as a message, download by members only.

Real server, real sockets, SQLite and PostgreSQL. Images are made with Pillow in the test.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

import aiohttp
import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from im_server import models as m
from orgchart.http.keys import ENGINE
from orgchart.infra.config import Settings

ZHANG, LI, WANG = "13800000001", "13800000002", "13800000003"
UPLOAD_LIMIT = 1024 * 1024


@pytest.fixture
def im_settings(db_url, tmp_path) -> Settings:
    """A small upload limit, so the oversized case stays cheap."""
    return Settings(database_url=db_url, demo_data=False, media_dir=str(tmp_path / "media"),
                    ws_auth_timeout=1.0, upload_max_bytes=UPLOAD_LIMIT)


def png(size: tuple[int, int], mode: str = "RGB", colour=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode != "1" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps(size: tuple[int, int]) -> bytes:
    """A JPEG whose EXIF says: rotate 90° clockwise, made by TestCam, taken at 30.25°N 120.17°E."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 15.0, 0.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def upload(client, conversation: int, data: bytes, filename: str,
                 field: str = "file") -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field(field, data, filename=filename, content_type="application/octet-stream")
    url = f"{client.base_url}/api/v1/conversations/{conversation}/media"
    response = await client.http.post(url, data=form, headers=auth(client))
    await response.read()
    return response


def auth(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


async def fetch(client, path: str) -> tuple[aiohttp.ClientResponse, bytes]:
    async with client.http.get(f"{client.base_url}{path}", headers=auth(client)) as response:
        return response, await response.read()


async def direct(zhang, li) -> int:
    opened = await zhang.request("conv.open", kind="direct", person=li.person_id)
    return opened["conversation"]["id"]


def stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.media_dir)
    return [Path(d) / f for d, _, files in os.walk(root) for f in files] if root.exists() else []


async def media_rows(im_server) -> int:
    async with im_server.app[ENGINE].connect() as conn:
        return await conn.scalar(select(func.count()).select_from(m.Media))


async def test_image_upload_send_and_member_downloads(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    response = await upload(zhang, conversation, png((800, 600)), "巡河照片.png")
    assert response.status == 201
    body = await response.json()
    assert body["kind"] == "image" and body["content_type"] == "image/png"
    assert (body["width"], body["height"]) == (800, 600) and body["filename"] == "巡河照片.png"
    token = body["media"]

    await zhang.request("msg.send", conversation=conversation, client_msg_id="img", type="image",
                        content={"media": token})
    event = (await li.wait_events(lambda e: e.get("ev") == "message.new"))[0]
    # what clients show is taken from the upload, not from the sender's message
    assert event["data"]["message"]["content"] == {
        "media": token, "filename": "巡河照片.png", "content_type": "image/png",
        "size": body["size"], "width": 800, "height": 600}

    response, data = await fetch(li, f"/api/v1/media/{token}")
    assert response.status == 200 and response.content_type == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.content_disposition.type == "inline"
    assert response.content_disposition.filename == "巡河照片.png"
    assert Image.open(io.BytesIO(data)).size == (800, 600)
    assert len(data) == body["size"] and hashlib.sha256(data).hexdigest() == body["sha256"]

    response, data = await fetch(li, f"/api/v1/media/{token}/thumbnail")
    assert response.status == 200 and response.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(data)).size == (320, 240)


async def test_non_members_can_neither_upload_nor_download(connect):
    zhang, li, wang = await connect(ZHANG), await connect(LI), await connect(WANG)
    conversation = await direct(zhang, li)
    token = (await (await upload(zhang, conversation, png((10, 10)), "a.png")).json())["media"]

    for path in (f"/api/v1/media/{token}", f"/api/v1/media/{token}/thumbnail"):
        response, data = await fetch(wang, path)
        assert response.status == 403, data
        assert (await response.json())["error"]["code"] == "forbidden"
    response = await upload(wang, conversation, png((10, 10)), "b.png")
    assert response.status == 403 and (await response.json())["error"]["code"] == "forbidden"

    response, _ = await fetch(wang, "/api/v1/media/" + "x" * 32)
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"
    response = await upload(zhang, 999_999, png((10, 10)), "c.png")
    assert response.status == 404
    async with zhang.http.get(f"{zhang.base_url}/api/v1/media/{token}") as anonymous:
        assert anonymous.status == 401

    # media belongs to its conversation: it cannot be sent into another one
    other = await direct(zhang, wang)
    refused = await zhang.call("msg.send", conversation=other, client_msg_id="x", type="image",
                               content={"media": token})
    assert refused["error"]["code"] == "not_found"


async def test_oversized_upload_is_413_and_nothing_is_stored(connect, im_server, im_settings):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    response = await upload(zhang, conversation, os.urandom(UPLOAD_LIMIT + 300_000), "big.bin")
    assert response.status == 413
    error = (await response.json())["error"]
    assert error["code"] == "payload_too_large" and "文件过大" in error["message"]
    assert stored_files(im_settings) == []
    assert await media_rows(im_server) == 0
    # the server keeps serving, and a file just under the limit is fine
    response = await upload(zhang, conversation, os.urandom(UPLOAD_LIMIT - 1000), "ok.bin")
    assert response.status == 201


async def test_decompression_bomb_is_refused(connect, im_server, im_settings):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    bomb = png((12_000, 12_000), mode="1")  # 144 megapixels of one colour in a few KB
    assert len(bomb) < 64 * 1024
    with warnings.catch_warnings():  # Pillow warns about the size before our check refuses it
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        response = await upload(zhang, conversation, bomb, "bomb.png")
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input" and "像素" in error["message"]
    assert stored_files(im_settings) == []
    assert await media_rows(im_server) == 0


async def test_exif_and_gps_are_stripped_and_orientation_applied(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    original = jpeg_with_gps((400, 200))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    body = await (await upload(zhang, conversation, original, "IMG_0001.JPG")).json()
    assert (body["width"], body["height"]) == (200, 400)  # turned upright

    _, data = await fetch(li, f"/api/v1/media/{body['media']}")
    stored = Image.open(io.BytesIO(data))
    assert stored.size == (200, 400)
    assert len(stored.getexif()) == 0 and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in data and b"TestCam" not in data
    _, thumb = await fetch(li, f"/api/v1/media/{body['media']}/thumbnail")
    assert Image.open(io.BytesIO(thumb)).size == (160, 320)


async def test_file_with_chinese_name_downloads_as_attachment(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    name = "关于全面推行河长制的实施意见.pdf"
    content = b"%PDF-1.4\n" + os.urandom(5000)
    body = await (await upload(zhang, conversation, content, name)).json()
    assert body["kind"] == "file" and body["filename"] == name
    assert body["content_type"] == "application/pdf" and body["size"] == len(content)
    assert body["width"] is None and body["sha256"] == hashlib.sha256(content).hexdigest()
    await zhang.request("msg.send", conversation=conversation, client_msg_id="f", type="file",
                        content={"media": body["media"]})

    response, data = await fetch(li, f"/api/v1/media/{body['media']}")
    assert response.status == 200 and data == content
    assert response.content_type == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E5%85%B3" in disposition
    assert response.content_disposition.filename == name
    response, _ = await fetch(li, f"/api/v1/media/{body['media']}/thumbnail")
    assert response.status == 404


async def test_type_comes_from_content_not_name(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    disguised = await (await upload(zhang, conversation, png((40, 30)), "notes.txt")).json()
    assert disguised["kind"] == "image" and disguised["content_type"] == "image/png"
    fake = await (await upload(zhang, conversation, b"<html><script>alert(1)</script>",
                               "../../photo.png")).json()
    assert fake["kind"] == "file" and fake["filename"] == "photo.png"
    assert fake["content_type"] == "application/octet-stream"  # never served as an image or page
    response, _ = await fetch(li, f"/api/v1/media/{fake['media']}")
    assert response.content_disposition.type == "attachment"
    assert "sandbox" in response.headers["Content-Security-Policy"]


async def test_bad_uploads_get_clear_errors(connect, im_server, im_settings):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await direct(zhang, li)
    url = f"{zhang.base_url}/api/v1/conversations/{conversation}/media"
    async with zhang.http.post(url, json={"file": "x"}, headers=auth(zhang)) as response:
        assert response.status == 400 and "multipart" in (await response.json())["error"]["message"]
    for content_type, data in (("multipart/form-data", b"abc"),
                               ("multipart/form-data; boundary=xyz", b"no parts here"),
                               ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
                               ("multipart/form-data; boundary=xyz",  # never ends
                                (b'--xyz\r\nContent-Disposition: form-data; name="file"; '
                                 b'filename="a.txt"\r\n\r\nabc'))):
        headers = {**auth(zhang), "Content-Type": content_type}
        async with zhang.http.post(url, data=data, headers=headers) as response:
            assert response.status == 400, (content_type, data, await response.text())
    response = await upload(zhang, conversation, b"abc", "a.txt", field="attachment")
    assert response.status == 400
    response = await upload(zhang, conversation, b"", "empty.txt")
    assert response.status == 400 and (await response.json())["error"]["message"] == "文件为空"
    corrupt = png((50, 50))[:60] + b"\x00" * 40
    response = await upload(zhang, conversation, corrupt, "broken.png")
    assert response.status == 400 and "损坏" in (await response.json())["error"]["message"]
    assert stored_files(im_settings) == []
    assert await media_rows(im_server) == 0

"""Media files on disk under ``settings.media_dir``.

Uploads are streamed into a temporary file inside the media directory (same file system, so
moving them into place is an atomic rename) while their size is counted and hashed; an upload
over the limit is deleted at once. Stored files are named by their random token only, never by
anything the user sent, and fanned out over sub-directories so no directory grows huge.

Several nodes must share ``media_dir`` (a network file system): any node may serve any token.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

#: Read and write in pieces of this size: bounded memory per upload.
CHUNK = 256 * 1024


class TooLarge(Exception):
    """The upload passed the size limit; its partial file is already deleted."""


@dataclass
class Staged:
    """A received upload in a temporary file, with its size, SHA-256 and first bytes."""

    path: Path
    size: int
    sha256: str
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def new_token() -> str:
    """32 URL-safe characters, 192 random bits: unguessable, fits ``media.token``."""
    return secrets.token_urlsafe(24)


class MediaStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path(self, token: str) -> Path:
        return self.root / token[:2] / token

    def thumbnail_path(self, token: str) -> Path:
        return self.root / token[:2] / f"{token}.thumb.jpg"

    def prepare(self, token: str) -> Path:
        """Make the token's directory; returns the file path."""
        target = self.path(token)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    async def receive(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Staged:
        """Write ``chunks`` to a temporary file; past ``max_bytes``: :class:`TooLarge`, no file."""
        await asyncio.to_thread(self.tmp.mkdir, parents=True, exist_ok=True)
        path = self.tmp / f"upload-{secrets.token_hex(12)}"
        digest, size, head = hashlib.sha256(), 0, b""
        handle = await asyncio.to_thread(path.open, "xb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                # file writes block; keep them off the event loop
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
        return Staged(path, size, digest.hexdigest(), head)

    def keep(self, staged: Staged, token: str) -> Path:
        """Move a staged upload to its final place (an atomic rename)."""
        target = self.prepare(token)
        os.replace(staged.path, target)
        return target

    def remove(self, token: str) -> None:
        self.path(token).unlink(missing_ok=True)
        self.thumbnail_path(token).unlink(missing_ok=True)

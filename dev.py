#!/usr/bin/env python3
"""The README's two commands, on a machine that has nothing but Python 3.

    python3 dev.py serve [zhengding serve options]   # set up, then run the server
    python3 dev.py test  [pytest options]            # set up, then run the tests

Set-up makes ``.venv`` beside this file and installs the project into it (editable, with the
test extra). It is repeated only when ``setup.cfg`` or ``pyproject.toml`` changed, so the
second run starts at once. Once set up, dev.py replaces itself with the server (or pytest)
— same process id — so Ctrl-C or ``kill <pid>`` stops it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".zhengding-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in ("setup.cfg", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install the project when needed."""
    wanted = _requirements_digest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print("[dev] creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    python = str(BIN / "python")
    print("[dev] installing zhengding and its dependencies …", flush=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True, cwd=ROOT
    )
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test"}:
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "serve":
        args = [str(BIN / "zhengding"), "serve", *rest]
    else:
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    if os.name == "nt":  # no exec there: wait for the child
        return subprocess.call(args, cwd=ROOT)
    # Become the server (or pytest) rather than its parent: Ctrl-C and `kill <pid>` then reach
    # the process that holds the port, and nothing is left orphaned.
    sys.stdout.flush()
    os.chdir(ROOT)
    os.execv(args[0], args)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Long directory commands show progress on stderr from their first second, and keep quiet when
stderr is not a terminal (unless ``--progress``) or with ``--no-progress``."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from clients.cli.main import main
from orgchart.io import generate

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_generate_draws_its_bar_before_the_first_record(tmp_path, capsys, monkeypatch):
    seen_at_start: list[str] = []
    real = generate.generate_records

    def watched(preset: str, **options):
        seen_at_start.append(capsys.readouterr().err)
        return real(preset, **options)

    monkeypatch.setattr(generate, "generate_records", watched)
    code, _out, err = run(capsys, "org", "generate", "--preset", "city", "--progress",
                         str(tmp_path / "city.jsonl"))
    assert code == 0, err
    assert "生成 city" in seen_at_start[0]
    total = sum(1 for _ in real("city"))
    assert f"{total}条" in err and "虚拟组织成员" in err  # the count and the last kind's name


def test_import_shows_each_phase(sqlite_url, tmp_path, capsys):
    city = tmp_path / "city.jsonl"
    assert run(capsys, "org", "generate", "--preset", "city", str(city))[0] == 0
    code, out, err = run(capsys, "--database-url", sqlite_url, "org", "import", "--progress", str(city))
    assert code == 0, err
    assert "导入完成" in out and "写入" in out  # the summary gives each phase's time
    for phase in ("读取并校验", "检查引用", "写入"):
        assert phase in err, (phase, err)


def test_quiet_when_not_a_terminal_or_asked(sqlite_url, tmp_path, capsys):
    city = tmp_path / "city.jsonl"
    code, _out, err = run(capsys, "org", "generate", "--preset", "city", str(city))
    assert code == 0 and err == ""  # capsys is no terminal
    code, _out, err = run(capsys, "--database-url", sqlite_url, "org", "import", "--no-progress",
                          str(city))
    assert code == 0 and err == ""


def test_a_terminal_gets_the_bar_without_asking(tmp_path):
    controller, terminal = pty.openpty()
    # 24 rows of 100 columns: a terminal reporting no width at all gets no bar from tqdm
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "clients.cli.main", "org", "generate", "--preset", "city",
             str(tmp_path / "city.jsonl")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            shown += data
        assert child.wait(timeout=60) == 0
        assert child.stdout is not None and "已生成" in child.stdout.read().decode()
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    assert "生成 city" in shown.decode("utf-8", "replace")

"""Progress bars (tqdm) for long directory work — generating, importing — in Chinese, on stderr.

A bar is drawn as soon as it is made, so work that takes half a minute shows itself from its
first second. Whether to draw at all is the caller's decision (the CLI: when stderr is a
terminal, or as asked with ``--progress``/``--no-progress``).
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from tqdm import tqdm

#: Each record kind as a reader of the bar calls it.
KIND_LABELS = {
    "unit": "单位", "department": "部门", "post": "岗位", "person": "人员", "holding": "任职",
    "enterprise": "企业", "enterprise_member": "企业人员", "virtual_org": "虚拟组织",
    "virtual_group": "虚拟分组", "virtual_member": "虚拟组织成员",
}
#: Records between two updates of a counting bar (an update per record would cost seconds).
STEP = 1000


def progress_bar(desc: str, *, total: int | None = None, unit: str = "条",
                 enabled: bool = True) -> tqdm:
    """A bar on stderr; ``unit="B"`` counts bytes (shown as K/M/G)."""
    in_bytes = unit == "B"
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=in_bytes,
                unit_divisor=1024 if in_bytes else 1000, disable=not enabled, file=sys.stderr,
                mininterval=0.5, dynamic_ncols=True, smoothing=0.1)


def counted(records: Iterable[dict], bar: tqdm) -> Iterator[dict]:
    """``records`` unchanged, counted on ``bar``, whose postfix names the kind being produced."""
    kind = None
    pending = 0
    for record in records:
        if record.get("kind") != kind:
            kind = record.get("kind")
            bar.update(pending)
            pending = 0
            bar.set_postfix_str(KIND_LABELS.get(kind, str(kind)))
        pending += 1
        if pending >= STEP:
            bar.update(pending)
            pending = 0
        yield record
    bar.update(pending)

"""What every sub-command shares: reading the settings once from the parsed arguments."""
from __future__ import annotations

import argparse

from orgchart.infra.config import Settings, load_settings


def settings_from(args: argparse.Namespace, **extra) -> Settings:
    overrides = {"database_url": getattr(args, "database_url", None), **extra}
    return load_settings(overrides, config_file=getattr(args, "config", None))

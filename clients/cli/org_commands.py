"""``zhengding org import|export|generate|resolve|search``."""
from __future__ import annotations


def register(commands) -> None:
    parser = commands.add_parser("org", help="the directory: import, export, generate, resolve, search")
    parser.add_subparsers(dest="org_action", required=True, metavar="ACTION")

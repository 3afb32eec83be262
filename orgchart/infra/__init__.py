"""Shared infrastructure: typed settings, the database engine and declarative base, migrations.

Lives at the bottom of the dependency graph (the top-level layout is fixed, so it sits inside
the lowest package); it imports nothing from ``orgchart`` proper nor any package above it.
"""

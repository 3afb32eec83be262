"""The five-level government directory: org units, departments, posts, people, enterprises.

Also hosts ``orgchart.infra``, the shared infrastructure (settings, database, migrations)
that every other package builds on; it imports nothing from the packages above it.
"""
__version__ = "0.1.0"

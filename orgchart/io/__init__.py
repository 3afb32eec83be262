"""Directory files: formats (JSON, JSON Lines, CSV), importer, exporter, generator, demo directory.

See ``docs/directory-format.md`` for the record shapes shared by all of them.
"""

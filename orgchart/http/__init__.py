"""HTTP JSON API of the directory under ``/api/v1/`` (views only; rules and SQL live below)."""

"""Clients: the Python SDK, the ``zhengding`` command line and the web client."""

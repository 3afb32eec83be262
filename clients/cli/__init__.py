"""The ``zhengding`` command line."""

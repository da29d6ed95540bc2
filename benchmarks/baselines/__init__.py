"""Baselines: what the database and the standard library allow, each a standalone script run as a process.

They import only their driver (never dbaudit, never SQLAlchemy), take the connection parameters as JSON in the
``BENCH_CONNECT`` environment variable, and write their result to stdout like dbaudit does.
"""

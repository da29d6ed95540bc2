"""Operational scripts: run them as modules from the backend folder (``python -m app.scripts.init_db``)."""

"""Seed the LLM price list and a few usage events of the demo engagement, with Core statements.

Run from the backend folder, after ``init_db`` (usage events belong to the demo engagement)::

    DATABASE_URL=sqlite:///migration_planner.db python -m app.scripts.seed_llm_usage [--force]

Price rows carry a ``MOCK:`` prefix in ``notes``; usage rows ``is_mock = TRUE``.  ``--force`` deletes both
first, so the script can be run again.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, delete, insert, text
from sqlalchemy.exc import IntegrityError

from app.db import create_db_engine
from app.models import LLMModelPricing

log = logging.getLogger("seed_llm_usage")

MOCK_PREFIX = "MOCK:"
PRICES_FROM = date(2025, 6, 1)

#: (provider, model, input USD per 1k tokens, output USD per 1k tokens)
PRICES: list[tuple[str, str, str, str]] = [
    ("openai", "gpt-4o", "0.002500", "0.010000"),
    ("openai", "gpt-4o-mini", "0.000150", "0.000600"),
    ("anthropic", "claude-3-5-sonnet", "0.003000", "0.015000"),
    ("deepinfra", "llama-3.1-70b-instruct", "0.000350", "0.000400"),
]

USAGE_EVENTS: list[dict[str, object]] = [
    {
        "feature": "field_mapping",
        "provider": "openai",
        "model_name": "gpt-4o-mini",
        "input_tokens": 1840,
        "output_tokens": 312,
        "total_cost": 0.000463,
        "response_time_ms": 920,
    },
    {
        "feature": "asset_tagging",
        "provider": "openai",
        "model_name": "gpt-4o-mini",
        "input_tokens": 960,
        "output_tokens": 128,
        "total_cost": 0.000221,
        "response_time_ms": 640,
    },
    {
        "feature": "sixr_analysis",
        "provider": "anthropic",
        "model_name": "claude-3-5-sonnet",
        "input_tokens": 5200,
        "output_tokens": 1450,
        "total_cost": 0.037350,
        "response_time_ms": 8150,
    },
]


def seed_price_list(conn: Connection) -> None:
    conn.execute(
        insert(LLMModelPricing),
        [
            {
                "provider": provider,
                "model_name": model,
                "input_cost_per_1k_tokens": Decimal(input_cost),
                "output_cost_per_1k_tokens": Decimal(output_cost),
                "effective_from": PRICES_FROM,
                "notes": f"{MOCK_PREFIX} list price snapshot for demos",
            }
            for provider, model, input_cost, output_cost in PRICES
        ],
    )


def seed_usage_events(conn: Connection) -> None:
    """Record each sample event once for every mock engagement (INSERT ... SELECT)."""
    conn.execute(
        text(
            "INSERT INTO llm_usage_logs (client_account_id, engagement_id, feature, provider, model_name,"
            " input_tokens, output_tokens, total_cost, response_time_ms, success, is_mock)"
            " SELECT e.client_account_id, e.id, :feature, :provider, :model_name, :input_tokens,"
            " :output_tokens, :total_cost, :response_time_ms, TRUE, TRUE"
            " FROM engagements e WHERE e.is_mock = TRUE"
        ),
        USAGE_EVENTS,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--force", action="store_true", help="delete existing mock price and usage rows first"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    engine = create_db_engine()
    try:
        with engine.begin() as conn:
            if args.force:
                conn.execute(text("DELETE FROM llm_usage_logs WHERE is_mock = TRUE"))
                conn.execute(delete(LLMModelPricing).where(LLMModelPricing.notes.startswith(MOCK_PREFIX)))
            seed_price_list(conn)
            seed_usage_events(conn)
    except IntegrityError as exc:
        raise SystemExit(
            f"mock prices already present ({exc.orig}); run with --force to replace them"
        ) from exc
    log.info("seeded %d model prices and the sample usage events", len(PRICES))


if __name__ == "__main__":
    main()

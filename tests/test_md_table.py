"""Markdown tables: aligned as tabulate aligns them, except that one huge cell does not pad every row."""

from __future__ import annotations

from tabulate import tabulate

from dbaudit.render.filters import PAD_LIMIT, WIDE_CELL, md_table


def test_an_ordinary_table_is_tabulates_github_table() -> None:
    rows = [["orders", "seed it"], ["a much longer table name", "x"]]
    expected = tabulate(rows, headers=["Table", "Recommendation"], tablefmt="github", disable_numparse=True)
    assert md_table(rows, ["Table", "Recommendation"]) == expected


def test_one_huge_cell_does_not_pad_every_row() -> None:
    huge = ", ".join(f"entity_{i}" for i in range(2_000))
    assert len(huge) > WIDE_CELL
    rows = [["seed_entity.py", huge], *([f"seed_link_{i}.py", f"link_{i}"] for i in range(2_000))]
    out = md_table(rows, ["Script", "Tables"]).splitlines()
    assert len(out) == 2 + len(rows)
    assert out[0].startswith("| Script ") and out[1].startswith("|---")
    assert huge in out[2]
    # the other rows are padded to the capped width, not to the huge cell's
    assert max(len(line) for line in out[3:]) <= 2 * PAD_LIMIT + 10
    assert all(line.startswith("| ") and line.endswith(" |") for line in out if not line.startswith("|-"))
    assert len("\n".join(out)) < 2 * len(huge) + len(rows) * (2 * PAD_LIMIT + 10)

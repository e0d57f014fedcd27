"""`manage.py bench --only`: the parts not measured keep an earlier run's figures."""

import json

import pytest
from django.core.management.base import CommandError

from core.management.commands.bench import SECTIONS, Command


def test_parts_not_measured_come_from_the_earlier_run(tmp_path):
    earlier = tmp_path / "results.json"
    earlier.write_text(
        json.dumps(
            {
                "measured_at": "2026-11-24T03:34:00+00:00",
                "customer_list": ["old list"],
                "admin": {"old": 1},
                "exports": ["old exports"],
                "credit_report": {"old": 2},
                "reports": {"old": 3},
                "till": {"old": 4},
            }
        )
    )
    results = {"customer_list": ["new list"], "admin": {"new": 1}}

    only = {"json": str(earlier), "only": "list"}
    Command()._keep_unmeasured_parts(results, Command._earlier_run(only))

    assert results["customer_list"] == ["new list"]
    assert results["till"] == {"old": 4} and results["exports"] == ["old exports"]
    assert results["kept_from_earlier_run"] == {
        "measured_at": "2026-11-24T03:34:00+00:00",
        "parts": ["exports", "credit_report", "reports", "till"],
    }


def test_only_needs_an_earlier_whole_run_and_says_so_before_seeding(tmp_path):
    with pytest.raises(CommandError, match="earlier whole run"):
        Command._earlier_run({"json": str(tmp_path / "none.json"), "only": "till"})
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"customer_list": []}))
    with pytest.raises(CommandError, match="has no"):
        Command._earlier_run({"json": str(partial), "only": "list"})


def test_a_whole_run_needs_no_earlier_one(tmp_path):
    everything = ",".join(SECTIONS)
    assert Command._earlier_run({"json": str(tmp_path / "none.json"), "only": everything}) is None

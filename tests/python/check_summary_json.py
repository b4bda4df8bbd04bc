#!/usr/bin/python3
"""Checks `run --summary-json` against the results file and the printed table.

usage: check_summary_json.py RESULTS.h5 SUMMARY.json TABLE.txt

Every statistic of /summary must be in the JSON under metrics[metric][statistic], as the same double
(JSON null where the file holds +-inf), the /summary attributes must equal their JSON fields, and the
figures the table prints (the loss rows, fund exhaustion, the ledger residual) must be the JSON's as
the table formats them. Exits 1 naming every difference.
"""
import json
import math
import re
import sys

import h5py


def usd(amount):
    """The table's money format (host/cli/summary_table.cpp): 1,234,567 -> '1.23M'."""
    magnitude = abs(amount)
    if magnitude >= 1e9:
        return f"{amount / 1e9:.2f}B"
    if magnitude >= 1e6:
        return f"{amount / 1e6:.2f}M"
    if magnitude >= 1e3:
        return f"{amount / 1e3:.1f}k"
    return f"{amount:.2f}"


def main(results_path, json_path, table_path):
    errors = []
    with open(json_path) as handle:
        summary = json.load(handle)
    table = open(table_path).read()
    if summary.get("schema") != "margin-stress summary" or summary.get("schema_version") != 1:
        errors.append(f"schema: {summary.get('schema')!r} version {summary.get('schema_version')!r}")
    if summary.get("command") != "run":
        errors.append(f"command: {summary.get('command')!r}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(summary.get("written_utc"))):
        errors.append(f"written_utc: {summary.get('written_utc')!r} is not an ISO 8601 UTC time")

    with h5py.File(results_path, "r") as results:
        group = results["summary"]
        metrics = [m.decode() if isinstance(m, bytes) else m for m in group["metric"][...]]
        statistics = [s.decode() if isinstance(s, bytes) else s for s in group["statistic"][...]]
        values = group["value"][...]
        if sorted(summary["metrics"]) != sorted(metrics):
            errors.append(f"metrics: JSON {sorted(summary['metrics'])} against the file's {sorted(metrics)}")
        compared = 0
        for i, metric in enumerate(metrics):
            for j, statistic in enumerate(statistics):
                stored = float(values[i][j])
                given = summary["metrics"].get(metric, {}).get(statistic, "absent")
                expected = None if math.isinf(stored) else stored
                if given != expected:
                    errors.append(f"metrics.{metric}.{statistic}: JSON {given!r}, /summary {stored!r}")
                compared += 1
        if compared < 12 * 21:
            errors.append(f"only {compared} statistics compared")
        for attribute in ("scenarios", "fund_exhausted_scenarios", "fund_exhaustion_probability",
                          "fund_exhaustion_probability_lower", "fund_exhaustion_probability_upper",
                          "round_cap_hits", "max_abs_conservation_residual_usd"):
            stored = group.attrs[attribute].item()
            if summary.get(attribute) != stored:
                errors.append(f"{attribute}: JSON {summary.get(attribute)!r}, /summary attribute {stored!r}")
        if summary.get("seed") != results.attrs["seed"].item():
            errors.append(f"seed: JSON {summary.get('seed')!r}")

    # The table: each loss row's mean and standard error as printed.
    labels = {"platform loss": "platform_loss_usd", "bad debt written off": "bad_debt_usd",
              "insurance fund draw": "insurance_fund_draw_usd", "ADL haircuts on traders": "adl_haircut_usd",
              "backstop vault loss": "backstop_vault_loss_usd", "liquidated notional": "liquidated_notional_usd"}
    for label, metric in labels.items():
        figures = summary["metrics"][metric]
        row = re.search(r"^\s+" + re.escape(label) + r"\s+(\S+)\s+(\S+)\s+(\S+?)\*?\s", table, re.MULTILINE)
        if row is None:
            errors.append(f"table: no row '{label}'")
            continue
        printed = row.groups()
        wanted = (usd(figures["mean"]), usd(figures["standard_error"]), usd(figures["var_99"]))
        if printed != wanted:
            errors.append(f"table row '{label}': printed {printed}, JSON gives {wanted}")
    exhausted = re.search(r"insurance fund exhausted in (\d+) of (\d+) scenarios: probability (\S+) "
                          r"\[95 % interval (\S+), (\S+)\]", table)
    if exhausted is None:
        errors.append("table: no fund exhaustion line")
    else:
        wanted = (str(summary["fund_exhausted_scenarios"]), str(summary["scenarios"]),
                  f"{summary['fund_exhaustion_probability']:.4f}", f"{summary['fund_exhaustion_probability_lower']:.4f}",
                  f"{summary['fund_exhaustion_probability_upper']:.4f}")
        if exhausted.groups() != wanted:
            errors.append(f"table fund exhaustion: printed {exhausted.groups()}, JSON gives {wanted}")
    residual = re.search(r"largest ledger residual (\S+) USD", table)
    if residual is None or residual.group(1) != f"{summary['max_abs_conservation_residual_usd']:.6f}":
        errors.append(f"table residual: {residual.group(1) if residual else None}")

    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

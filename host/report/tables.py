"""The report's tables as plain data: a title, column headings, and rows of cells.

A cell is (shown text, exact value or None, key or None). The page layer prints the text and, in
HTML, keeps the exact value (Python's repr of the double, which reads back as the same bits) and
the key in data- attributes, so that a reader, or a test, can check every figure against the file
it came from.
"""

import math
import shlex

# (metric in /summary, label, indent): the platform loss and its parts first (docs/model.md,
# "Metrics across scenarios"), then the other distributions.
RUN_METRICS = [
    ("platform_loss_usd", "platform loss", 0),
    ("bad_debt_usd", "bad debt written off", 1),
    ("insurance_fund_draw_usd", "insurance fund draw", 1),
    ("adl_haircut_usd", "ADL haircuts on traders", 1),
    ("backstop_vault_loss_usd", "backstop vault loss", 1),
    ("liquidity_provider_loss_usd", "outside LPs' loss (−: gain)", 0),
    ("insurance_fund_loss_usd", "insurance fund net loss", 0),
    ("liquidated_notional_usd", "liquidated notional", 0),
    ("adl_notional_usd", "ADL notional", 0),
    ("deleveraged_notional_usd", "sold on margin calls", 0),
    ("cascade_rounds_max", "cascade rounds, worst step", 0),
    ("peak_margin_scale", "peak margin scale", 0),
]
THIN_TAIL = 10  # a tail figure resting on fewer scenarios beyond it is starred (docs/model.md section 11)


def figure(value):
    """USD and counts in a short form: 3.82M, 60.3k, 116.00; inf as ∞."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value == 0:
        return "0.00"  # also −0.0, the negated loss of a vault that made nothing
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    magnitude = abs(value)
    if magnitude < 1:
        return f"{value:.4g}"  # fractions, probabilities and small amounts keep their digits
    if magnitude >= 1e9:
        return f"{value / 1e9:.2f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:.2f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    return f"{value:.2f}"


def cell(value, key=None, shown=None):
    return (figure(value) if shown is None else shown, value, key)


def run_identity(run):
    a = run.attrs
    config = run.config
    policy = config.get("margin_policy", {}).get("kind", "?")
    liquidation = config.get("liquidation", {}).get("mode", "?")
    fund = config.get("insurance_fund", {})
    adl = "on" if fund.get("auto_deleveraging", True) else "off"
    drill = ""
    if int(a["scenarios"]) != int(config.get("run", {}).get("scenarios", a["scenarios"])):
        first = int(a["first_scenario"])
        drill = f" (scenarios {first} to {first + int(a['scenarios']) - 1} of the run's {config['run']['scenarios']})"
    return [
        ("written", f"{a['end_time_utc']} (run started {a['start_time_utc']}, {a['wall_seconds']:.1f} s)"),
        ("program", f"margin-stress {a['program_version']}, commit {a['git_commit']}"),
        ("backend", a["backend"] + (f"; {a['ranks']} MPI ranks on {len(set(a['rank_hosts'].split()))} host(s), "
                                    f"parallel efficiency {a['parallel_efficiency']:.0%}" if a.get("ranks", 1) > 1
                                    else "")),
        ("scenarios", f"{a['scenarios']} × {a['steps']} steps of {a['step_seconds']:g} s, seed {a['seed']}{drill}"),
        ("scenario source", a["scenario_source"]),
        ("config", a["config_source"]),
        ("book", f"{a['book_accounts']:,} accounts, {a['book_positions']:,} positions, {len(run.markets)} markets "
                 f"({', '.join(run.markets)}), open interest {figure(a['book_open_interest_usd'])} USD; "
                 f"{a['portfolio_source']}"),
        ("policy", f"{policy} margin, {liquidation} liquidation, insurance fund "
                   f"{figure(fund.get('initial_balance_usd', math.nan))} USD, ADL {adl}"),
        ("input files", a["input_files"] or "none besides the config"),
        ("command", a["command_line"]),
        ("results file", f"{run.path} (datasets CRC-32 {int(a['datasets_crc32']):08x}, checked)"),
    ]


def _interval(run, metric, statistic):
    value = run.statistic(metric, statistic)
    lower = run.statistic(metric, statistic + "_lower")
    upper = run.statistic(metric, statistic + "_upper")
    return value, lower, upper


def _distribution_table(run, title, statistics, levels):
    """Rows of /summary: the plain statistics given, then VaR and ES with their intervals at
    each level, starred where they rest on fewer than THIN_TAIL scenarios beyond the VaR."""
    columns = ["per scenario"] + [STATISTIC_HEADINGS[s] for s in statistics]
    for level in levels:
        columns += [f"VaR{LEVEL_NAMES[level]}", "[95 % interval]", f"ES{LEVEL_NAMES[level]}", "[95 % interval]"]
    rows = []
    thin = False
    for metric, label, indent in RUN_METRICS:
        row = [("\u2003" * indent + label, None, None)]
        row += [cell(run.statistic(metric, s), f"{metric}/{s}") for s in statistics]
        for level in levels:
            star = "*" if run.statistic(metric, f"tail_{level}_scenarios") < THIN_TAIL else ""
            thin = thin or bool(star)
            for kind in ("var", "es"):
                statistic = f"{kind}_{level}"
                value, lower, upper = _interval(run, metric, statistic)
                row.append(cell(value, f"{metric}/{statistic}", figure(value) + star))
                row.append((f"[{figure(lower)}, {figure(upper)}]", None, None))
        rows.append(row)
    notes = ["Losses are positive. Intervals are 95 %: order-statistic (distribution-free) for VaR and ES, "
             "∞ where the scenarios cannot bound them (docs/model.md, section 11)."]
    if thin:
        notes.append(f"* rests on fewer than {THIN_TAIL} scenarios beyond the VaR: run more scenarios before "
                     "acting on it (below 1,000 scenarios the 99.9 % figures are the sample maximum).")
    return (title, columns, rows, notes)


STATISTIC_HEADINGS = {"mean": "mean", "standard_error": "± s.e.", "p50": "p50", "max": "max"}
LEVEL_NAMES = {"99": "99", "999": "99.9"}


def run_headline(run):
    """Every /summary metric: its mean ± standard error, median, 99 % tail with intervals and maximum."""
    return _distribution_table(run, "Headline figures", ["mean", "standard_error", "p50", "max"], ["99"])


def run_far_tail(run):
    return _distribution_table(run, "The far tail (99.9 %)", ["mean", "standard_error"], ["999"])


def run_probabilities(run):
    s = run.summary_attrs
    rows = [
        [("insurance fund exhausted", None, None),
         cell(s["fund_exhausted_scenarios"], "fund_exhausted_scenarios", f"{s['fund_exhausted_scenarios']:,}"),
         cell(s["fund_exhaustion_probability"], "fund_exhaustion_probability",
              f"{s['fund_exhaustion_probability']:.4f}"),
         (f"[{s['fund_exhaustion_probability_lower']:.4f}, {s['fund_exhaustion_probability_upper']:.4f}]", None,
          None)],
        [("steps whose cascade hit the round cap", None, None),
         cell(s["round_cap_hits"], "round_cap_hits", f"{s['round_cap_hits']:,}"), ("", None, None),
         ("", None, None)],
        [("largest ledger residual (money conservation)", None, None),
         cell(s["max_abs_conservation_residual_usd"], "max_abs_conservation_residual_usd",
              f"{s['max_abs_conservation_residual_usd']:.6f} USD"), ("", None, None), ("", None, None)],
    ]
    return ("Probabilities and checks", ["", "scenarios", "probability", "[95 % Wilson interval]"], rows,
            [f"Out of {s['scenarios']:,} scenarios."])


def rerun_command(run, scenario):
    portfolio = run.attrs["portfolio_source"]
    book = "" if portfolio.startswith("synthetic") else f" --portfolio {shlex.quote(portfolio)}"
    return f"margin-stress run --config rerun.toml{book} --scenario {scenario} --out scenario-{scenario}.h5"


def worst_scenarios(run, count=10):
    loss = run.platform_loss_usd()
    order = sorted(range(loss.size), key=lambda i: (-loss[i], i))[:count]
    s = run.scenario
    columns = ["scenario", "platform loss", "bad debt", "fund draw", "ADL haircuts", "vault loss", "fund exhausted",
               "liquidated notional", "cascade rounds", "rerun alone"]
    rows = []
    for i in order:
        number = int(s["scenario"][i])
        key = f"worst/{number}/"
        rows.append([
            (str(number), number, key + "scenario"),
            cell(float(loss[i]), key + "platform_loss_usd"),
            cell(float(s["bad_debt_usd"][i]), key + "bad_debt_usd"),
            cell(float(s["insurance_payout_usd"][i]), key + "insurance_payout_usd"),
            cell(float(s["adl_haircut_usd"][i]), key + "adl_haircut_usd"),
            cell(float(-s["vault_pnl_usd"][i]), key + "backstop_vault_loss_usd"),
            ("yes" if s["fund_exhausted"][i] else "no", None, None),
            cell(float(s["liquidated_notional_usd"][i].sum()), key + "liquidated_notional_usd"),
            (str(int(s["cascade_rounds_max"][i])), None, None),
            (rerun_command(run, number), None, "command"),
        ])
    notes = ["Ranked by platform loss (ties by scenario number). Make rerun.toml from the results file first: "
             "python3 -c \"import h5py; print(h5py.File('RESULTS.h5').attrs['config_toml'])\" > rerun.toml "
             "(docs/results.md, \"Repeating a run from its results file\"); a rerun gives the same bits."]
    return (f"The {len(rows)} worst scenarios", columns, rows, notes)


COMPARE_METRICS = [
    ("platform_loss_usd", "platform loss"), ("bad_debt_usd", "bad debt written off"),
    ("insurance_fund_draw_usd", "insurance fund draw"), ("adl_haircut_usd", "ADL haircuts on traders"),
    ("backstop_vault_loss_usd", "backstop vault loss"), ("liquidity_provider_loss_usd", "outside LPs' loss"),
    ("fund_exhausted", "P(fund exhausted)"), ("liquidated_notional_usd", "liquidated notional"),
    ("adl_notional_usd", "ADL notional"), ("deleveraged_notional_usd", "sold on margin calls"),
    ("average_required_margin_usd", "average required margin"), ("average_allowed_leverage", "average allowed leverage"),
    ("margin_increase_1h_fraction", "margin increase in 1 h (fraction)"),
    ("margin_increase_24h_fraction", "margin increase in 24 h (fraction)"),
]


# Said, in place of the identity, by the report of a CSV given without the summary JSON of the
# command that wrote it: the CSV alone does not carry its run's identity (docs/report.md).
IDENTITY_UNKNOWN = ("not known: a CSV does not carry the run's seed, config, book, backend or program version. "
                    "Give the summary JSON the same command wrote: margin-stress report {csv} --summary "
                    "SUMMARY.json (written by {command} --summary-json SUMMARY.json, or drawn at once with "
                    "{command} --report)")


def table_run_identity(summary, shared_by):
    """The identity rows a compare or optimize summary JSON gives (docs/results.md, "Summary JSON"),
    the same facts a run's report shows from its results file. Fields a summary of an earlier
    version of the same schema lacks (new fields keep the version) read "not in this summary"."""
    absent = "not in this summary"
    layers = summary["config_layers"]
    step = f" of {summary['step_seconds']:g} s" if "step_seconds" in summary else ""
    book = summary.get("book")
    return [
        ("program", f"margin-stress {summary['program_version']}, commit {summary['git_commit']}"),
        ("written", summary.get("written_utc", absent)),
        ("backend", summary["backend"]),
        ("scenarios", f"{summary['scenarios']:,} × {summary['steps']} steps{step}, seed {summary['seed']}, "
                      f"common to {shared_by} (common random numbers)"),
        ("scenario source", summary.get("scenario_source", absent)),
        ("config", summary["config_source"] + (f" (layers: {', '.join(layers)})" if len(layers) > 1 else "")),
        ("book", f"{book['accounts']:,} accounts, {book['positions']:,} positions; {book['source']}" if book
                 else absent),
    ]


def unknown_identity(table, command):
    return [("run identity", IDENTITY_UNKNOWN.format(csv=table.path, command=command))]


def compare_identity(table, summary):
    if summary:
        rows = table_run_identity(summary, "every policy")
    else:
        rows = unknown_identity(table, "compare") + [
            ("scenarios", f"{int(table.rows[0]['scenarios']):,}, common to every policy (common random numbers)")]
    rows += [("baseline", f"{table.policies[0]} (the differences below are against it)"),
             ("comparison file", table.path)]
    descriptions = {policy["name"]: policy["description"] for policy in summary["policies"]} if summary else {}
    for policy in table.policies:
        file = table.row(policy, "platform_loss_usd", "mean")["policy_file"]
        rows.append((f"policy {policy}", file + (f": {descriptions[policy]}" if policy in descriptions else "")))
    return rows


def frontier_identity(table, summary):
    rows = table_run_identity(summary, "every point") if summary else unknown_identity(table, "optimize")
    if summary:
        search = summary["search"]
        targets = {"max_fund_exhaustion_probability": "P(fund exhausted) ≤ {}",
                   "max_bad_debt_es_999_usd": "ES99.9(bad debt) ≤ {} USD",
                   "max_bad_debt_var_99_usd": "VaR99(bad debt) ≤ {} USD",
                   "max_platform_loss_es_999_usd": "ES99.9(platform loss) ≤ {} USD",
                   "max_platform_loss_var_99_usd": "VaR99(platform loss) ≤ {} USD"}
        rows += [("policy family", summary["policy_file"]),
                 ("search", f"{summary['knob']} on [{search['low']:g}, {search['high']:g}], "
                            f"{search['grid_points']}-point grid, then bisection to {search['tolerance']:g}"),
                 ("target", ", ".join(text.format(figure(summary["target"][key]) if key.endswith("_usd")
                                                  else f"{summary['target'][key]:g}")
                                      for key, text in targets.items() if summary["target"][key] is not None))]
    rows += [("frontier file", table.path), ("knob", table.knob), ("points", str(len(table.rows)))]
    return rows


def compare_means(table):
    columns = ["mean per scenario"]
    for policy in table.policies:
        columns += [policy, "± s.e. or [95 %]"]
    rows = []
    for metric, label in COMPARE_METRICS:
        row = [(label, None, None)]
        for policy in table.policies:
            entry = table.row(policy, metric, "mean")
            if entry is None:
                row += [("", None, None), ("", None, None)]
                continue
            if metric == "fund_exhausted":
                row.append(cell(entry["value"], f"{policy}/{metric}/mean", f"{entry['value']:.4f}"))
                row.append((f"[{entry['value_lower']:.4f}, {entry['value_upper']:.4f}]", None, None))
            else:
                row.append(cell(entry["value"], f"{policy}/{metric}/mean"))
                row.append((figure(entry["value_standard_error"]), None, None))
        rows.append(row)
    return ("Policies side by side", columns, rows,
            ["Means over the same scenarios; ± is the Monte Carlo standard error s/√n of each policy's own mean."])


def compare_tails(table):
    columns = ["platform loss, per scenario"]
    for policy in table.policies:
        columns += [policy, "[95 % interval]"]
    rows = []
    for metric in ("platform_loss_usd", "bad_debt_usd"):
        for statistic in ("var_99", "es_99", "var_999", "es_999"):
            label = f"{'platform loss' if metric == 'platform_loss_usd' else 'bad debt'} " + \
                statistic.replace("var_", "VaR").replace("es_", "ES").replace("999", "99.9")
            row = [(label, None, None)]
            for policy in table.policies:
                entry = table.row(policy, metric, statistic)
                row.append(cell(entry["value"], f"{policy}/{metric}/{statistic}"))
                row.append((f"[{figure(entry['value_lower'])}, {figure(entry['value_upper'])}]", None, None))
            rows.append(row)
    return ("Tails with their intervals", columns, rows,
            ["Order-statistic 95 % intervals, ∞ where the scenarios cannot bound them (docs/model.md, section 11)."])


def compare_differences(table):
    baseline = table.policies[0]
    columns = ["policy − " + baseline, "metric", "statistic", "difference", "± s.e.", "t", "method"]
    rows = []
    for policy in table.policies[1:]:
        for entry in table.rows:
            if entry["policy"] != policy or math.isnan(entry["standard_error"]):
                continue
            rows.append([(policy, None, None), (entry["metric"], None, None), (entry["statistic"], None, None),
                         cell(entry["difference"], f"{policy}/{entry['metric']}/{entry['statistic']}/difference"),
                         (figure(entry["standard_error"]), None, None),
                         ("—" if math.isnan(entry["t_statistic"]) else f"{entry['t_statistic']:.2f}", None, None),
                         (entry["standard_error_method"], None, None)])
    return ("Paired differences against the baseline", columns, rows,
            ["Differences on common random numbers: paired standard errors for means, a paired bootstrap for "
             "tail figures (docs/compare.md); |t| above about 2 is a difference the scenarios resolve."])


def frontier_table(table):
    knob = table.knob
    columns = [knob, "mean required margin", "P(fund exhausted)", "[95 %]", "bad debt mean", "± s.e.",
               "VaR99 platform loss", "[95 %]", "target", ""]
    rows = []
    for point, r in enumerate(sorted(table.rows, key=lambda r: r[knob])):
        key = f"point/{point}/"
        rows.append([
            cell(r[knob], key + knob, f"{r[knob]:.4g}"),
            cell(r["mean_required_margin_usd"], key + "mean_required_margin_usd"),
            cell(r["fund_exhaustion_probability"], key + "fund_exhaustion_probability",
                 f"{r['fund_exhaustion_probability']:.4f}"),
            (f"[{r['fund_exhaustion_probability_lower']:.4f}, {r['fund_exhaustion_probability_upper']:.4f}]", None,
             None),
            cell(r["bad_debt_mean_usd"], key + "bad_debt_mean_usd"),
            (figure(r["bad_debt_mean_standard_error_usd"]), None, None),
            cell(r["platform_loss_var_99_usd"], key + "platform_loss_var_99_usd"),
            (f"[{figure(r['platform_loss_var_99_lower_usd'])}, {figure(r['platform_loss_var_99_upper_usd'])}]", None,
             None),
            ("met" if r["meets_target"] == "true" else "missed", None, None),
            ({"answer": "least margin", "just_below": "just below"}.get(r["role"], ""), None, None),
        ])
    return ("The frontier", columns, rows, ["Every point runs the same scenarios (common random numbers)."])

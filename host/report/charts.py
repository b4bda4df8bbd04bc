"""The report's charts, each a matplotlib figure made from the documented files alone.

Every function takes what report_inputs read and returns (title, figure); the page layer turns
figures into embedded images (HTML) or pages (PDF). Quantile bands across scenarios use the lower
empirical quantile of docs/model.md ("Metrics across scenarios"), numpy's "inverted_cdf".
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from tables import figure as short_figure  # noqa: E402

USD = FuncFormatter(lambda value, _: short_figure(value))  # 3.82M, not 3.82e6 with an offset

FAN_LEVELS = ((0.01, 0.99), (0.05, 0.95))  # outer then inner band; the median is drawn over them
WIDE = (9.0, 3.4)
BEARER_COLOURS = {"bad_debt_usd": "#b2182b", "insurance_fund_draw_usd": "#ef8a62",
                  "adl_haircut_usd": "#67a9cf", "backstop_vault_loss_usd": "#2166ac"}
BEARER_LABELS = {"bad_debt_usd": "bad debt written off", "insurance_fund_draw_usd": "insurance fund draw",
                 "adl_haircut_usd": "ADL haircuts on traders", "backstop_vault_loss_usd": "backstop vault loss"}


def _hours(run):
    steps = run.series["step"]
    return steps * float(run.attrs["step_seconds"]) / 3600.0


def _fan(axis, hours, samples, colour, label):
    """Median and the 1-99 % and 5-95 % bands across scenarios (samples: [scenario][step])."""
    for (low, high), alpha in zip(FAN_LEVELS, (0.18, 0.35)):
        lower = np.quantile(samples, low, axis=0, method="inverted_cdf")
        upper = np.quantile(samples, high, axis=0, method="inverted_cdf")
        axis.fill_between(hours, lower, upper, color=colour, alpha=alpha, linewidth=0,
                          label=f"{low:.0%} to {high:.0%}")
    axis.plot(hours, np.quantile(samples, 0.5, axis=0, method="inverted_cdf"), color=colour, linewidth=1.4,
              label=f"{label} median")
    axis.set_xlabel("hours")
    axis.grid(alpha=0.3)


def price_fans(run):
    """Per market: the fundamental and the mark price, fanned across scenarios."""
    hours = _hours(run)
    charts = []
    for m, market in enumerate(run.markets):
        figure, (fundamental_axis, mark_axis) = plt.subplots(1, 2, figsize=WIDE, sharey=True)
        _fan(fundamental_axis, hours, run.series["fundamental_price_usd"][:, :, m], "#4d4d4d", "fundamental")
        fundamental_axis.set_title(f"{market}: fundamental price")
        fundamental_axis.set_ylabel("USD")
        fundamental_axis.yaxis.set_major_formatter(USD)
        _fan(mark_axis, hours, run.series["mark_price_usd"][:, :, m], "#b2182b", "mark")
        mark_axis.set_title(f"{market}: mark price (with impact)")
        mark_axis.legend(fontsize=7, loc="best")
        figure.tight_layout()
        charts.append((f"{market}: fundamental and mark price", figure))
    return charts


def margin_scale_fans(run):
    columns = min(len(run.markets), 4)
    rows = math.ceil(len(run.markets) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(WIDE[0], 2.8 * rows), squeeze=False, sharey=True)
    hours = _hours(run)
    for m, market in enumerate(run.markets):
        axis = axes[m // columns][m % columns]
        _fan(axis, hours, run.series["margin_scale"][:, :, m], "#2166ac", "scale")
        axis.set_title(market)
    for m in range(len(run.markets), rows * columns):
        axes[m // columns][m % columns].axis("off")
    axes[0][0].set_ylabel("margin scale")
    figure.suptitle("Margin scale per market")
    figure.tight_layout()
    return [("Margin scale per market", figure)]


def insurance_fund_fan(run):
    figure, axis = plt.subplots(figsize=WIDE)
    _fan(axis, _hours(run), run.series["insurance_fund_usd"], "#1b7837", "fund")
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set_ylabel("USD")
    axis.yaxis.set_major_formatter(USD)
    axis.set_title("Insurance fund balance after each step's settlement")
    axis.legend(fontsize=7)
    figure.tight_layout()
    return [("Insurance fund", figure)]


def regime_occupancy(run):
    regimes = run.series["regime"]
    names = [state.get("name", f"regime {r}") for r, state in
             enumerate(run.config.get("regimes", {}).get("states", []))]
    count = max(len(names), int(regimes.max()) + 1 if regimes.size else 1)
    names += [f"regime {r}" for r in range(len(names), count)]
    shares = np.stack([(regimes == r).mean(axis=0) for r in range(count)])
    figure, axis = plt.subplots(figsize=WIDE)
    axis.stackplot(_hours(run), shares, labels=names, alpha=0.85)
    axis.set_ylim(0, 1)
    axis.set_xlabel("hours")
    axis.set_ylabel("share of scenarios")
    axis.set_title("Hidden volatility regime over time (for analysis; the platform never sees it)")
    axis.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    return [("Regime occupancy", figure)]


def _loss_histogram(axis, values, title, tails, none="loss"):
    """Positive values on a log axis with log-spaced bins; VaR and ES (from the file) marked."""
    positive = values[values > 0]
    zero = values.size - positive.size
    axis.set_title(f"{title}\n{zero} of {values.size} scenarios without {none} (not drawn)", fontsize=9)
    if positive.size == 0:
        axis.text(0.5, 0.5, f"no scenario had {none}", ha="center", va="center", transform=axis.transAxes)
        axis.set_xticks([])
        axis.set_yticks([])
        return
    low, high = positive.min(), positive.max()
    bins = np.geomspace(low, high * 1.0001, 30) if high > low else np.array([low * 0.9, high * 1.1])
    axis.hist(positive, bins=bins, color="#999999")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("USD per scenario")
    axis.set_ylabel("scenarios")
    styles = {"var_99": ("VaR99", "#ef8a62", "--"), "es_99": ("ES99", "#ef8a62", "-"),
              "var_999": ("VaR99.9", "#b2182b", "--"), "es_999": ("ES99.9", "#b2182b", "-")}
    for statistic, value in tails.items():
        if value > 0 and math.isfinite(value):
            label, colour, style = styles[statistic]
            axis.axvline(value, color=colour, linestyle=style, linewidth=1.2, label=f"{label} {value:,.0f}")
    axis.legend(fontsize=7)


def loss_histograms(run):
    figure, axes = plt.subplots(1, 2, figsize=WIDE)
    for axis, metric, values, title in ((axes[0], "platform_loss_usd", run.platform_loss_usd(), "Platform loss"),
                                        (axes[1], "bad_debt_usd", run.scenario["bad_debt_usd"], "Bad debt")):
        tails = {s: run.statistic(metric, s) for s in ("var_99", "es_99", "var_999", "es_999")}
        _loss_histogram(axis, values, title, tails)
    figure.tight_layout()
    return [("Platform loss and bad debt per scenario", figure)]


def cascade_and_volume(run):
    figure, (rounds_axis, volume_axis) = plt.subplots(1, 2, figsize=WIDE)
    rounds = run.scenario["cascade_rounds_max"]
    edges = np.arange(rounds.min(), rounds.max() + 2) - 0.5
    rounds_axis.hist(rounds, bins=edges, color="#67a9cf")
    rounds_axis.set_xlabel("most cascade rounds in one step")
    rounds_axis.set_ylabel("scenarios")
    rounds_axis.set_title("Cascade depth per scenario", fontsize=9)
    hours = _hours(run)
    liquidated = run.series["liquidated_notional_usd"].sum(axis=2)
    deleveraged = run.series["deleveraged_notional_usd"].sum(axis=2)
    volume_axis.plot(hours, liquidated.mean(axis=0), color="#b2182b", label="liquidated, mean")
    volume_axis.plot(hours, np.quantile(liquidated, 0.99, axis=0, method="inverted_cdf"), color="#b2182b",
                     linestyle=":", label="liquidated, 99 %")
    volume_axis.plot(hours, deleveraged.mean(axis=0), color="#2166ac", label="sold on margin calls, mean")
    volume_axis.set_xlabel("hours")
    volume_axis.set_ylabel("USD per step")
    volume_axis.yaxis.set_major_formatter(USD)
    volume_axis.set_title("Forced selling per step, all markets", fontsize=9)
    volume_axis.legend(fontsize=7)
    figure.tight_layout()
    return [("Cascade depth and forced selling", figure)]


def adl_histogram(run):
    figure, axis = plt.subplots(figsize=(WIDE[0] / 2, WIDE[1]))
    values = run.scenario["adl_notional_usd"]
    _loss_histogram(axis, values, "ADL volume (notional closed)",
                    {s: run.statistic("adl_notional_usd", s) for s in ("var_99", "es_99")}, none="ADL")
    figure.tight_layout()
    return [("ADL volume per scenario", figure)]


def run_charts(run):
    charts = []
    for make in (price_fans, margin_scale_fans, insurance_fund_fan, regime_occupancy, loss_histograms,
                 cascade_and_volume, adl_histogram):
        charts += make(run)
    return charts


def _bars_with_errors(axis, labels, values, errors, colour, title, ylabel):
    positions = np.arange(len(labels))
    axis.bar(positions, values, yerr=errors, color=colour, capsize=4)
    axis.set_xticks(positions, labels, rotation=20, ha="right", fontsize=8)
    axis.set_title(title, fontsize=9)
    axis.set_ylabel(ylabel)
    axis.grid(axis="y", alpha=0.3)


def compare_charts(table):
    policies = table.policies
    charts = []
    figure, (parts_axis, tail_axis) = plt.subplots(1, 2, figsize=WIDE)
    bottom = np.zeros(len(policies))
    for metric, colour in BEARER_COLOURS.items():
        values = np.array([table.row(p, metric, "mean")["value"] for p in policies])
        parts_axis.bar(policies, values, bottom=bottom, color=colour, label=BEARER_LABELS[metric])
        bottom += values
    errors = [1.96 * table.row(p, "platform_loss_usd", "mean")["value_standard_error"] for p in policies]
    parts_axis.errorbar(policies, bottom, yerr=errors, fmt="none", ecolor="black", capsize=4,
                        label="platform loss, 95 % (±1.96 s.e.)")
    parts_axis.set_title("Mean platform loss by bearer", fontsize=9)
    parts_axis.set_ylabel("USD per scenario")
    parts_axis.yaxis.set_major_formatter(USD)
    parts_axis.tick_params(axis="x", rotation=20, labelsize=8)
    parts_axis.legend(fontsize=6)
    for offset, (statistic, colour) in enumerate((("var_99", "#ef8a62"), ("es_99", "#b2182b"))):
        values, lower, upper = [], [], []
        for p in policies:
            row = table.row(p, "platform_loss_usd", statistic)
            values.append(row["value"])
            lower.append(row["value"] - row["value_lower"] if math.isfinite(row["value_lower"]) else 0.0)
            upper.append(row["value_upper"] - row["value"] if math.isfinite(row["value_upper"]) else 0.0)
        positions = np.arange(len(policies)) + (offset - 0.5) * 0.38
        tail_axis.bar(positions, values, width=0.38, yerr=[lower, upper], color=colour, capsize=3,
                      label=statistic.replace("_", " ").upper().replace("VAR", "VaR").replace("ES ", "ES"))
    tail_axis.yaxis.set_major_formatter(USD)
    tail_axis.set_xticks(np.arange(len(policies)), policies, rotation=20, ha="right", fontsize=8)
    tail_axis.set_title("Platform-loss tail (bars: 95 % interval; none drawn above where unbounded)", fontsize=9)
    tail_axis.legend(fontsize=7)
    figure.tight_layout()
    charts.append(("Platform loss by policy", figure))

    figure, (margin_axis, raise_axis) = plt.subplots(1, 2, figsize=WIDE)
    margins = [table.row(p, "average_required_margin_usd", "mean") for p in policies]
    _bars_with_errors(margin_axis, policies, [r["value"] for r in margins],
                      [1.96 * r["value_standard_error"] for r in margins], "#67a9cf",
                      "Average required initial margin (±1.96 s.e.)", "USD")
    raises = [table.row(p, "margin_increase_24h_fraction", "max") for p in policies]
    _bars_with_errors(raise_axis, policies, [r["value"] for r in raises], None, "#ef8a62",
                      "Procyclicality: largest 24 h margin increase", "fraction of the margin")
    figure.tight_layout()
    charts.append(("Margin level and procyclicality by policy", figure))
    return charts


def frontier_chart(table):
    knob = table.knob
    rows = sorted(table.rows, key=lambda r: r[knob])
    x = np.array([r[knob] for r in rows])
    figure, (probability_axis, loss_axis) = plt.subplots(1, 2, figsize=WIDE)
    probability_axis.fill_between(x, [r["fund_exhaustion_probability_lower"] for r in rows],
                                  [r["fund_exhaustion_probability_upper"] for r in rows], color="#ef8a62",
                                  alpha=0.3, linewidth=0, label="Wilson 95 %")
    probability_axis.plot(x, [r["fund_exhaustion_probability"] for r in rows], "o-", color="#b2182b",
                          label="P(fund exhausted)")
    probability_axis.set_xlabel(knob)
    probability_axis.set_ylabel("probability")
    probability_axis.set_title("Fund exhaustion along the frontier", fontsize=9)
    loss = np.array([r["platform_loss_var_99_usd"] for r in rows])
    lower = np.array([r["platform_loss_var_99_lower_usd"] for r in rows])
    upper = np.array([r["platform_loss_var_99_upper_usd"] for r in rows])
    finite_upper = np.where(np.isfinite(upper), upper, np.nan)
    loss_axis.fill_between(x, lower, finite_upper, color="#67a9cf", alpha=0.3, linewidth=0,
                           label="95 % interval (gaps: unbounded)")
    loss_axis.plot(x, lower, ":", color="#2166ac", label="its interval's lower end")
    loss_axis.plot(x, loss, "o-", color="#2166ac", label="VaR99 platform loss")
    margin_axis = loss_axis.twinx()
    margin_axis.plot(x, [r["mean_required_margin_usd"] for r in rows], "s--", color="#4d4d4d",
                     label="mean required margin")
    margin_axis.set_ylabel("required margin, USD")
    margin_axis.yaxis.set_major_formatter(USD)
    loss_axis.yaxis.set_major_formatter(USD)
    loss_axis.set_xlabel(knob)
    loss_axis.set_ylabel("USD per scenario")
    loss_axis.set_title("Tail loss against margin", fontsize=9)
    for axis in (probability_axis, loss_axis):
        for row in rows:
            if row["role"] == "answer":
                axis.axvline(row[knob], color="#1b7837", linewidth=1.2, label="least margin meeting the target")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=6, loc="best")
    figure.tight_layout()
    return [("The least-margin frontier", figure)]

"""Checks a committee report as a browser shows it (tests/reference/report_test.cpp).

    check_report.py REPORT.html SOURCE CHARTS SCREENSHOT.png [SUMMARY.json]

Debian's headless Chromium loads REPORT.html from disk (no network) and
- dumps the DOM after the load event: the page's own check (host/report/page.py) must have counted
  CHARTS charts, every one decoded, and no script error; Chromium must log no console error;
- renders a PNG screenshot (unless SCREENSHOT is -), which must be of the window's size and have
  text and charts on it;
- every figure cell of the tables (data-key, data-value) must equal the number in SOURCE, read
  here independently of the report's code: /summary and /scenario of a results file, or the rows
  of a compare or optimize CSV;
- the identity table must name the run: its program version and commit, backend, seed, scenarios,
  steps, config and book, read from the results file's root attributes, or for a CSV from
  SUMMARY.json (the --summary-json of the command that wrote it); a CSV's report drawn without one
  must say that the identity is not known.
Exit 0 when all holds; otherwise 1, with every failure printed.
"""

import csv
import html.parser
import json
import math
import subprocess
import sys
import tempfile

import h5py
import matplotlib.image

CHROMIUM = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0"]


class Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.body = {}
        self.cells = []
        self.images = 0
        self.in_identity = False
        self.identity = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        if tag == "table" and attributes.get("class") == "identity":
            self.in_identity = True
        if tag == "td" and "data-key" in attributes:
            self.cells.append((attributes["data-key"], float(attributes["data-value"])))
        if tag == "img":
            self.images += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_identity = False
        if tag == "td" and self.in_identity:
            self.identity += " | "

    def handle_data(self, data):
        if self.in_identity:
            self.identity += data


def run_identity(path):
    """What the identity must show, from a results file's root attributes (docs/results.md)."""
    with h5py.File(path, "r") as results:
        attrs = {name: value.decode() if isinstance(value, bytes) else value for name, value in results.attrs.items()}
    return [attrs["program_version"], attrs["git_commit"], attrs["backend"], f"seed {attrs['seed']}",
            f"{attrs['scenarios']} × {attrs['steps']} steps", attrs["config_source"], attrs["portfolio_source"],
            f"{attrs['book_accounts']:,} accounts"]


def summary_identity(path):
    """What the identity of a CSV's report must show, from the summary JSON (docs/results.md)."""
    with open(path) as stream:
        summary = json.load(stream)
    return [summary["program_version"], summary["git_commit"], summary["written_utc"], summary["backend"],
            f"seed {summary['seed']}",
            f"{summary['scenarios']:,} × {summary['steps']} steps", summary["config_source"],
            summary["book"]["source"], f"{summary['book']['accounts']:,} accounts"] + summary["config_layers"]


def browser(report, *arguments):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(CHROMIUM + [f"--user-data-dir={profile}", *arguments, "file://" + report],
                              capture_output=True, text=True, timeout=120)


def summary_source(path):
    with h5py.File(path, "r") as results:
        summary = results["summary"]
        metrics = list(summary["metric"].asstr()[...])
        statistics = list(summary["statistic"].asstr()[...])
        values = summary["value"][...]
        expected = {f"{m}/{s}": float(values[i, j]) for i, m in enumerate(metrics) for j, s in enumerate(statistics)}
        for name, value in summary.attrs.items():
            expected[name] = float(value)
        scenario = {name: results["scenario"][name][...] for name in results["scenario"]}
    # The worst-scenario table: the platform loss from its parts (docs/model.md, "Metrics across
    # scenarios"), each part as /scenario stores it.
    loss = scenario["bad_debt_usd"] + scenario["insurance_payout_usd"] + scenario["adl_haircut_usd"] - \
        scenario["vault_pnl_usd"]
    for i, number in enumerate(scenario["scenario"]):
        key = f"worst/{number}/"
        expected[key + "scenario"] = float(number)
        expected[key + "platform_loss_usd"] = float(loss[i])
        for name in ("bad_debt_usd", "insurance_payout_usd", "adl_haircut_usd"):
            expected[key + name] = float(scenario[name][i])
        expected[key + "backstop_vault_loss_usd"] = float(-scenario["vault_pnl_usd"][i])
        expected[key + "liquidated_notional_usd"] = float(scenario["liquidated_notional_usd"][i].sum())
    worst = sorted(range(loss.size), key=lambda i: (-loss[i], i))[:10]
    return expected, [int(scenario["scenario"][i]) for i in worst]


def csv_source(path):
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    expected = {}
    if "policy" in rows[0]:
        for row in rows:
            key = f"{row['policy']}/{row['metric']}/{row['statistic']}"
            expected[key] = float(row["value"])
            if row["difference"]:
                expected[key + "/difference"] = float(row["difference"])
    else:
        knob = list(rows[0])[0]
        for point, row in enumerate(sorted(rows, key=lambda r: float(r[knob]))):
            for column, field in row.items():
                if column not in ("meets_target", "role"):
                    expected[f"point/{point}/{column}"] = float(field)
    return expected, None


def main():
    report, source, charts, screenshot = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    summary = sys.argv[5] if len(sys.argv) > 5 else None
    failures = []
    dumped = browser(report, "--dump-dom")
    if dumped.returncode != 0:
        failures.append(f"chromium --dump-dom exited {dumped.returncode}: {dumped.stderr[-2000:]}")
    for line in dumped.stderr.splitlines():
        if "CONSOLE" in line and ("Uncaught" in line or "ERROR" in line or "Error" in line):
            failures.append("console: " + line)
    page = Cells()
    page.feed(dumped.stdout)
    if page.body.get("data-charts-expected") != str(charts):
        failures.append(f"the page has {page.body.get('data-charts-expected')} charts, expected {charts}")
    if page.body.get("data-charts-loaded") != str(charts):
        failures.append(f"{page.body.get('data-charts-loaded')} of {charts} charts decoded in the browser")
    if page.body.get("data-errors") != "0":
        failures.append(f"script errors on the page: {page.body.get('data-errors')}")
    if page.images != charts:
        failures.append(f"{page.images} images in the page, expected {charts}")

    expected, worst = summary_source(source) if source.endswith(".h5") else csv_source(source)
    if not page.cells:
        failures.append("no figure cells in the tables")
    for key, shown in page.cells:
        if key not in expected:
            failures.append(f"cell {key}: not a figure of {source}")
        elif not (shown == expected[key] or (math.isnan(shown) and math.isnan(expected[key]))):
            failures.append(f"cell {key}: the report shows {shown!r}, the file has {expected[key]!r}")
    if worst is not None:
        listed = [int(value) for key, value in page.cells if key.endswith("/scenario")]
        if listed != worst:
            failures.append(f"worst scenarios {listed}, by platform loss from /scenario {worst}")

    if source.endswith(".h5"):
        identity = run_identity(source)
    elif summary is not None:
        identity = summary_identity(summary)
    else:
        identity = ["not known: a CSV does not carry the run's seed, config, book, backend or program version"]
    missing = [fact for fact in identity if fact not in page.identity]
    failures += [f"the identity does not show {fact!r}" for fact in missing]
    if missing:
        failures.append(f"the identity reads: {page.identity}")

    if screenshot != "-":
        shot = browser(report, f"--screenshot={screenshot}", "--window-size=1280,2400")
        if shot.returncode != 0:
            failures.append(f"chromium --screenshot exited {shot.returncode}")
        else:
            pixels = matplotlib.image.imread(screenshot)
            drawn = (pixels[:, :, :3].min(axis=2) < 0.9).mean()  # not white: text, tables, charts
            if pixels.shape[:2] != (2400, 1280) or drawn < 0.03:
                failures.append(f"the screenshot is not the page: {pixels.shape}, {drawn:.1%} of it drawn")

    for failure in failures:
        print(failure)
    print(f"{report}: {len(page.cells)} figures checked against {source}, {charts} charts, "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""The files a report is made from, read as docs/results.md and docs/compare.md document them.

A results file is checked before anything is drawn from it: its format and version, the status
written last, and the CRC-32 of its datasets (docs/results.md, "Checksum"), so that a truncated
or altered file is refused (BadInput, exit 3) rather than charted. The CSV outputs of `compare`
and `optimize` are told apart by their header. A CSV does not carry its run's identity; the
summary JSON that the same command wrote does, and is checked to be that CSV's before it is shown.
"""

import csv
import json
import math
import tomllib
import zlib

import h5py
import numpy as np

RESULTS_FORMAT = "margin-stress results"
RESULTS_FORMAT_VERSION = 2
SUMMARY_SCHEMA = "margin-stress summary"
SUMMARY_SCHEMA_VERSION = 1
# The fields of a compare or optimize summary that the report shows as the run's identity; every
# summary of schema version 1 has them.
SUMMARY_IDENTITY = ["program_version", "git_commit", "backend", "seed", "scenarios", "steps", "config_source",
                    "config_layers"]
COMPARE_COLUMNS = ["policy", "policy_file", "scenarios", "metric", "statistic", "value", "difference",
                   "standard_error", "t_statistic", "standard_error_method", "value_standard_error",
                   "value_lower", "value_upper"]
FRONTIER_COLUMNS = ["mean_required_margin_usd", "peak_required_margin_usd", "mean_allowed_leverage",
                    "fund_exhaustion_probability", "bad_debt_mean_usd", "bad_debt_var_99_usd",
                    "bad_debt_es_999_usd", "meets_target", "role"]


class BadInput(Exception):
    """A file that is not what the report reads: exit 3, with the message."""


def datasets_crc32(results):
    """CRC-32 over every dataset in ascending byte order of its path (docs/results.md, "Checksum")."""
    names = []
    results.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    crc = 0
    for name in sorted(names, key=lambda n: n.encode()):
        data = results[name][()]
        crc = zlib.crc32(name.encode() + b"\0", crc)
        if data.dtype.kind == "O":
            for text in np.ravel(data):
                crc = zlib.crc32((text if isinstance(text, bytes) else text.encode()) + b"\0", crc)
        else:
            crc = zlib.crc32(np.ascontiguousarray(data.astype(data.dtype.newbyteorder("<"))).tobytes(), crc)
    return crc


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


class RunResults:
    """A complete results file of `margin-stress run`, loaded: attributes, per-scenario arrays,
    series and the summary (docs/results.md, "Results files")."""

    def __init__(self, path):
        self.path = path
        try:
            with h5py.File(path, "r") as results:
                self._load(results)
        except OSError as error:
            raise BadInput(f"{path}: not a readable HDF5 file ({error})") from error
        except KeyError as error:
            raise BadInput(f"{path}: a dataset or attribute docs/results.md lists is missing: {error}") from error

    def _load(self, results):
        attrs = results.attrs
        if text(attrs.get("format", "")) != RESULTS_FORMAT:
            raise BadInput(f"{self.path}: not a margin-stress results file (root attribute format is "
                           f"{text(attrs.get('format', 'missing'))!r})")
        version = int(attrs.get("format_version", -1))
        if version != RESULTS_FORMAT_VERSION:
            raise BadInput(f"{self.path}: results format version {version}; this report reads version "
                           f"{RESULTS_FORMAT_VERSION} (rerun the run with this margin-stress, or use the "
                           "margin-stress that wrote it)")
        if text(attrs.get("status", "")) != "complete":
            raise BadInput(f"{self.path}: the run did not write this file to the end (no status \"complete\")")
        stored_crc = int(attrs["datasets_crc32"])
        if datasets_crc32(results) != stored_crc:
            raise BadInput(f"{self.path}: the datasets do not match their CRC-32 (datasets_crc32): the file "
                           "was changed or damaged after the run wrote it")
        self.attrs = {key: (text(value) if isinstance(value, (bytes, str)) else value.item()
                            if hasattr(value, "item") else value) for key, value in attrs.items()}
        self.config = tomllib.loads(self.attrs["config_toml"])
        self.markets = [text(name) for name in results["markets/name"][()]]
        self.scenario = {name: results["scenario"][name][()] for name in results["scenario"]}
        self.series = {name: results["series"][name][()] for name in results["series"]}
        summary = results["summary"]
        self.metrics = [text(m) for m in summary["metric"][()]]
        self.statistics = [text(s) for s in summary["statistic"][()]]
        self.summary_values = summary["value"][()]
        self.summary_attrs = {key: value.item() if hasattr(value, "item") else value
                              for key, value in summary.attrs.items()}

    def statistic(self, metric, statistic):
        return float(self.summary_values[self.metrics.index(metric), self.statistics.index(statistic)])

    def platform_loss_usd(self):
        """Per scenario: bad debt + fund draw + ADL haircuts + the backstop vault's loss
        (docs/model.md, "Metrics across scenarios"), summed in float64 as the program sums it."""
        s = self.scenario
        return s["bad_debt_usd"] + s["insurance_payout_usd"] + s["adl_haircut_usd"] + (-s["vault_pnl_usd"])


def _number(field, path, row, column):
    if field == "":
        return math.nan
    try:
        return float(field)
    except ValueError as error:
        raise BadInput(f"{path}: row {row}, column {column}: {field!r} is not a number") from error


class CompareTable:
    """The CSV of `margin-stress compare --out` (docs/compare.md, "Output")."""

    def __init__(self, path, rows):
        self.path = path
        self.rows = []
        for number, row in enumerate(rows, start=2):
            parsed = dict(row)
            for column in ("scenarios", "value", "difference", "standard_error", "t_statistic",
                           "value_standard_error", "value_lower", "value_upper"):
                parsed[column] = _number(row[column], path, number, column)
            self.rows.append(parsed)
        self.policies = list(dict.fromkeys(row["policy"] for row in self.rows))
        if not self.policies:
            raise BadInput(f"{path}: no policy rows")

    def row(self, policy, metric, statistic):
        for row in self.rows:
            if row["policy"] == policy and row["metric"] == metric and row["statistic"] == statistic:
                return row
        return None


class FrontierTable:
    """The CSV of `margin-stress optimize --out` (docs/compare.md, "The least-margin frontier")."""

    def __init__(self, path, header, rows):
        self.path = path
        self.knob = header[0]
        self.rows = []
        for number, row in enumerate(rows, start=2):
            parsed = {}
            for column, field in row.items():
                parsed[column] = field if column in ("role", "meets_target") else _number(field, path, number, column)
            self.rows.append(parsed)
        if not self.rows:
            raise BadInput(f"{path}: no frontier rows")


def read_table(path):
    """A compare or optimize CSV, told apart by its header."""
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot be read as CSV ({error})") from error
    if header[:len(COMPARE_COLUMNS)] == COMPARE_COLUMNS:
        return CompareTable(path, rows)
    if len(header) > len(FRONTIER_COLUMNS) and header[1:len(FRONTIER_COLUMNS) + 1] == FRONTIER_COLUMNS:
        return FrontierTable(path, header, rows)
    raise BadInput(f"{path}: neither a results file nor the CSV of `compare --out` or `optimize --out` "
                   f"(its header starts {','.join(header[:4])!r})")


def read_input(path):
    """A results file (HDF5, by its signature) or a compare/optimize CSV."""
    try:
        with open(path, "rb") as stream:
            signature = stream.read(8)
    except OSError as error:
        raise BadInput(f"{path}: {error.strerror}") from error
    if signature == b"\x89HDF\r\n\x1a\n":
        return RunResults(path)
    return read_table(path)


def _same_figure(json_value, csv_value):
    """A figure of the summary JSON against the CSV's: both are the shortest text of one double
    (docs/results.md, "Summary JSON"), so equal bits; null in JSON is a CSV's ±inf or NaN."""
    if json_value is None:
        return not math.isfinite(csv_value)
    return float(json_value) == csv_value


def read_summary(path, table):
    """The summary JSON (`--summary-json`) of the command that wrote `table`, a CompareTable or a
    FrontierTable, as a dict; BadInput unless it is a summary of that command whose figures are
    the CSV's, so that a report never shows another run's identity over these figures."""
    try:
        with open(path, encoding="utf-8") as stream:
            summary = json.load(stream)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: cannot be read as a summary JSON ({error})") from error
    if not isinstance(summary, dict) or summary.get("schema") != SUMMARY_SCHEMA:
        raise BadInput(f"{path}: not a margin-stress summary JSON (no schema \"{SUMMARY_SCHEMA}\")")
    if summary.get("schema_version") != SUMMARY_SCHEMA_VERSION:
        raise BadInput(f"{path}: summary schema version {summary.get('schema_version')}; this report reads "
                       f"version {SUMMARY_SCHEMA_VERSION}")
    command = "compare" if isinstance(table, CompareTable) else "optimize"
    if summary.get("command") != command:
        raise BadInput(f"{path}: the summary of `{summary.get('command')}`, not of the `{command}` that wrote "
                       f"{table.path}")
    absent = [field for field in SUMMARY_IDENTITY if field not in summary]
    if absent:
        raise BadInput(f"{path}: the summary lacks {', '.join(absent)} (docs/results.md, \"Summary JSON\")")
    try:
        mismatch = _compare_mismatch(summary, table) if command == "compare" else _frontier_mismatch(summary, table)
    except (KeyError, TypeError, IndexError) as error:
        raise BadInput(f"{path}: a field docs/results.md lists is missing or malformed: {error}") from error
    if mismatch:
        raise BadInput(f"{path} is not the summary of {table.path}: {mismatch} (give the --summary-json that the "
                       "same command wrote)")
    return summary


def _compare_mismatch(summary, table):
    names = [policy["name"] for policy in summary["policies"]]
    if names != table.policies:
        return f"its policies are {', '.join(names)}, the CSV's {', '.join(table.policies)}"
    if summary["scenarios"] != int(table.rows[0]["scenarios"]):
        return f"{summary['scenarios']} scenarios, the CSV's {int(table.rows[0]['scenarios'])}"
    for policy in summary["policies"]:
        for metric, statistics in policy["metrics"].items():
            for statistic, value in statistics.items():
                row = table.row(policy["name"], metric, statistic)
                if row is not None and not _same_figure(value, row["value"]):
                    return f"{policy['name']} {metric} {statistic} is {value}, the CSV's {row['value']!r}"
    return None


def _frontier_mismatch(summary, table):
    if summary["knob"] != table.knob:
        return f"its knob is {summary['knob']}, the CSV's {table.knob}"
    points = sorted(summary["frontier"], key=lambda point: point["knob"])
    rows = sorted(table.rows, key=lambda row: row[table.knob])
    if len(points) != len(rows):
        return f"{len(points)} frontier points, the CSV's {len(rows)}"
    for point, row in zip(points, rows):
        for column in ("knob", "mean_required_margin_usd", "fund_exhaustion_probability"):
            csv_column = table.knob if column == "knob" else column
            if not _same_figure(point[column], row[csv_column]):
                return f"the point at {table.knob} = {row[table.knob]!r} has {column} {point[column]}"
    return None

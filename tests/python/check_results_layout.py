"""Checks a results file against docs/results.md, group by group, as xarray and h5py read it.

Every dataset the document's tables list must be in the file with the documented type and
dimensions, and no other; every group must open alone with xarray (the h5netcdf engine) with its
dimensions named after its scales; numeric arrays carry CF `units` ("USD" for *_usd, "1"
otherwise) and every dataset a `long_name`.

    python3 check_results_layout.py RESULTS.h5 docs/results.md [--drilldown]

/drilldown is checked when the file has it (a run with --accounts-out), and required with
--drilldown.

Prints one line per problem and exits 1 if there is any.
"""
import re
import sys

import h5py
import xarray

# The documents' shape symbols and the dimensions they name.
DIMENSIONS = {
    "S": "scenario",
    "T": "step",
    "M": "market",
    "N": "metric",
    "21": "statistic",
    "C": "captured_scenario",
    "R": "rank",
}
TYPES = {"float64": "f8", "int64": "i8", "int32": "i4", "uint8": "u1", "string": "O"}
GROUPS = ["markets", "scenario", "series", "summary"]
OPTIONAL_GROUPS = ["drilldown"]


def documented(docs_path):
    """{group: {dataset: (type, [dimensions])}} from the tables under '### `/group`' headings."""
    tables = {}
    group = None
    row = re.compile(r"^\| `(\w+)` \| (float64|int64|int32|uint8|string) `((?:\[\w+\])+)`")
    for line in open(docs_path, encoding="utf-8"):
        heading = re.match(r"^### `/(\w+)`", line)
        if heading:
            group = heading.group(1)
            tables[group] = {}
            continue
        if line.startswith("## ") or line.startswith("### "):
            group = None
        match = row.match(line) if group else None
        if match:
            dims = [DIMENSIONS[symbol] for symbol in re.findall(r"\[(\w+)\]", match.group(3))]
            tables[group][match.group(1)] = (match.group(2), dims)
    return tables


def main(results_path, docs_path, drilldown_required=False):
    problems = []
    tables = documented(docs_path)
    if sum(len(table) for table in tables.values()) < 40:
        problems.append(f"{docs_path}: its dataset tables were not found (the check reads their rows)")
    with h5py.File(results_path, "r") as file:
        groups = GROUPS + [g for g in OPTIONAL_GROUPS if g in file or drilldown_required]
        for group in groups:
            expected = tables.get(group)
            if not expected:
                problems.append(f"docs: no table of /{group}")
                continue
            try:
                dataset = xarray.open_dataset(results_path, group=group, engine="h5netcdf")
            except Exception as error:  # what xarray says is the finding
                problems.append(f"/{group}: xarray cannot open it: {type(error).__name__}: {error}")
                continue
            names = set(dataset.variables)
            for name in sorted(names - set(expected)):
                problems.append(f"/{group}/{name}: in the file, not in docs/results.md")
            for name, (kind, dims) in expected.items():
                if name not in names:
                    problems.append(f"/{group}/{name}: documented, not in the file")
                    continue
                variable = dataset.variables[name]
                if list(variable.dims) != dims:
                    problems.append(f"/{group}/{name}: dimensions {list(variable.dims)}, documented {dims}")
                stored = file[f"{group}/{name}"]
                if (stored.dtype.kind == "O") != (kind == "string") or (
                    kind != "string" and stored.dtype.str[1:] != TYPES[kind]
                ):
                    problems.append(f"/{group}/{name}: type {stored.dtype}, documented {kind}")
                if "long_name" not in stored.attrs:
                    problems.append(f"/{group}/{name}: no long_name")
                if kind != "string" and not (group == "summary" and name == "value"):
                    units = stored.attrs.get("units")
                    units = units.decode() if isinstance(units, bytes) else units
                    want = "USD" if name.endswith("_usd") else "1"
                    if units != want:
                        problems.append(f"/{group}/{name}: units {units!r}, expected {want!r}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], "--drilldown" in sys.argv[3:]))

#!/usr/bin/env python3
"""margin-stress report: the risk committee's report of a run, a comparison or a frontier.

    margin_stress_report.py INPUT --out REPORT.html [--summary SUMMARY.json] [--format html|pdf] [--force]
    margin_stress_report.py --check-dependencies

INPUT is a results file of `margin-stress run` (HDF5) or the CSV that `compare --out` or
`optimize --out` writes. The report is a thin layer over those documented files (docs/results.md,
docs/compare.md, docs/report.md), so that users can copy any part of it for their own charts. A CSV
does not carry its run's identity (seed, config, book, backend, program version): SUMMARY.json, the
`--summary-json` of the command that wrote the CSV, gives it. The report is written to a temporary
name beside the output and renamed, so it appears whole or not at all.

Exit codes: 0 written; 2 usage (the output exists without --force; --summary with a results file);
3 bad input (not one of those files, another format version, truncated or altered; a summary that
is not the CSV's); 4 a Python package is missing.
"""

import argparse
import os
import socket
import sys

# (module, Debian package) that the report needs; checked before anything else is imported, so a
# missing one gives a sentence naming the package, not a traceback.
REQUIRED = [("numpy", "python3-numpy"), ("h5py", "python3-h5py"), ("matplotlib", "python3-matplotlib")]
MISSING_PACKAGE = 4


def check_dependencies():
    missing = []
    for module, package in REQUIRED:
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"margin-stress report: needs the Python packages {', '.join(missing)} for {sys.executable} "
              f"(Debian: apt-get install {' '.join(missing)}; scripts/install-deps installs them; or set "
              "MARGIN_STRESS_PYTHON to a Python that has them)", file=sys.stderr)
        sys.exit(MISSING_PACKAGE)


def parse_arguments():
    parser = argparse.ArgumentParser(prog="margin-stress report", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", help="a results file (.h5) or a compare/optimize CSV")
    parser.add_argument("-o", "--out", help="the report to write")
    parser.add_argument("--summary", help="the --summary-json of the compare or optimize that wrote INPUT: the "
                                          "run's identity")
    parser.add_argument("--format", choices=["html", "pdf"], help="default: from the output's extension, else html")
    parser.add_argument("-f", "--force", action="store_true", help="replace the output if it exists")
    parser.add_argument("--check-dependencies", action="store_true", help="only check the Python packages")
    arguments = parser.parse_args()
    if not arguments.check_dependencies and (arguments.input is None or arguments.out is None):
        parser.error("INPUT and --out are required")
    return arguments


def build(report_input, summary):
    """(title, identity rows, tables, charts) of a run, a comparison or a frontier; `summary` is the
    CSV's summary JSON (report_inputs.read_summary), or None."""
    import charts
    import tables
    from report_inputs import CompareTable, RunResults

    if isinstance(report_input, RunResults):
        run = report_input
        return (f"margin-stress stress run: {run.attrs['config_source']}", tables.run_identity(run),
                [tables.run_headline(run), tables.run_far_tail(run), tables.run_probabilities(run),
                 tables.worst_scenarios(run)],
                charts.run_charts(run))
    if isinstance(report_input, CompareTable):
        table = report_input
        return (f"margin-stress report: {len(table.policies)} policies compared",
                tables.compare_identity(table, summary),
                [tables.compare_means(table), tables.compare_tails(table), tables.compare_differences(table)],
                charts.compare_charts(table))
    frontier = report_input
    return (f"margin-stress report: least-margin frontier of {frontier.knob}",
            tables.frontier_identity(frontier, summary),
            [tables.frontier_table(frontier)], charts.frontier_chart(frontier))


def publish(out, force, write):
    """Writes through `write(stream)` to a temporary beside `out`, then links or renames it into
    place: without --force an output that appeared meanwhile is not replaced."""
    directory = os.path.dirname(os.path.abspath(out))
    # The name the program's own outputs use (host/io/atomic_output.cpp), so that a later write of
    # `out` removes the temporary of a report whose process was killed.
    temporary = f"{out}.tmp-{socket.gethostname()}-{os.getpid()}"
    try:
        with open(temporary, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if force:
            os.replace(temporary, out)
        else:
            os.link(temporary, out)
            os.unlink(temporary)
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main():
    arguments = parse_arguments()
    check_dependencies()
    if arguments.check_dependencies:
        return 0
    from report_inputs import BadInput, RunResults, read_input, read_summary
    import page

    out_format = arguments.format or ("pdf" if arguments.out.lower().endswith(".pdf") else "html")
    if os.path.exists(arguments.out) and not arguments.force:
        print(f"margin-stress report: {arguments.out} exists (--force replaces it)", file=sys.stderr)
        return 2
    try:
        report_input = read_input(arguments.input)
        if isinstance(report_input, RunResults) and arguments.summary is not None:
            print(f"margin-stress report: --summary is for a compare or optimize CSV; {arguments.input} carries "
                  "its run's identity itself", file=sys.stderr)
            return 2
        summary = None if arguments.summary is None else read_summary(arguments.summary, report_input)
        title, identity, report_tables, report_charts = build(report_input, summary)
    except BadInput as error:
        print(f"margin-stress report: error: {error}", file=sys.stderr)
        return 3
    writer = page.write_pdf if out_format == "pdf" else page.write_html
    try:
        publish(arguments.out, arguments.force,
                lambda stream: writer(stream, title, identity, report_tables, report_charts))
    except FileExistsError:
        print(f"margin-stress report: {arguments.out} appeared while the report was drawn; not replaced",
              file=sys.stderr)
        return 2
    except OSError as error:
        print(f"margin-stress report: error: cannot write {arguments.out}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The report as one self-contained HTML page (charts embedded as PNG data, no outside resource)
or as a PDF committee pack (matplotlib's PdfPages: the tables, then one chart per page)."""

import base64
import html
import io
import textwrap

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1180px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.6em 0; }
th, td { padding: 0.2em 0.55em; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
table.identity td { text-align: left; white-space: normal; } table.identity td:first-child { color: #555; }
td.command { font-family: monospace; font-size: 0.9em; text-align: left; white-space: normal; }
p.note { font-size: 0.8em; color: #555; margin: 0.2em 0; }
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption { font-size: 0.85em; color: #444; }
"""

# Marks the page once every chart has decoded, and counts script errors, so that a headless browser
# (tests/python/check_report.py) can tell a page that loaded whole from one that did not.
LOAD_CHECK = """
window.reportErrors = 0;
window.addEventListener("error", function () { window.reportErrors += 1; });
window.addEventListener("load", function () {
  var images = document.querySelectorAll("figure img");
  var loaded = 0;
  images.forEach(function (image) { if (image.complete && image.naturalWidth > 0) loaded += 1; });
  document.body.setAttribute("data-charts-loaded", String(loaded));
  document.body.setAttribute("data-errors", String(window.reportErrors));
});
"""


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table_html(table):
    title, columns, rows, notes = table
    parts = [f"<h2>{html.escape(title)}</h2>", "<table class=\"figures\">",
             "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>"]
    for row in rows:
        cells = []
        for shown, value, key in row:
            attributes = ""
            if key == "command":
                attributes = " class=\"command\""
            elif key is not None and value is not None:
                exact = repr(float(value)) if not isinstance(value, int) else str(value)
                attributes = f" data-key=\"{html.escape(key)}\" data-value=\"{html.escape(exact)}\""
            cells.append(f"<td{attributes}>{html.escape(shown)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    parts += [f"<p class=\"note\">{html.escape(note)}</p>" for note in notes]
    return "\n".join(parts)


def write_html(stream, title, identity, tables, charts):
    parts = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>{html.escape(title)}</title><style>{STYLE}</style>",
             f"<script>{LOAD_CHECK}</script></head>",
             f"<body data-charts-expected=\"{len(charts)}\">", f"<h1>{html.escape(title)}</h1>",
             "<table class=\"identity\">"]
    parts += [f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in identity]
    parts.append("</table>")
    parts += [_table_html(table) for table in tables]
    parts.append("<h2>Charts</h2>")
    for number, (caption, figure) in enumerate(charts, start=1):
        parts.append(f"<figure id=\"chart-{number}\"><img alt=\"{html.escape(caption)}\" "
                     f"src=\"data:image/png;base64,{_png(figure)}\">"
                     f"<figcaption>Figure {number}. {html.escape(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    stream.write("\n".join(parts).encode("utf-8"))


def _text_page(pdf, title, lines):
    """One A4-landscape page of monospaced text (the identity and the tables)."""
    figure = plt.figure(figsize=(11.69, 8.27))
    figure.text(0.04, 0.95, title, fontsize=13, weight="bold", va="top")
    figure.text(0.04, 0.91, "\n".join(lines), fontsize=6.2, family="monospace", va="top")
    pdf.savefig(figure)
    plt.close(figure)


def _table_lines(table):
    title, columns, rows, notes = table
    grid = [columns] + [[shown for shown, _, _ in row] for row in rows]
    widths = [max(len(line[c]) for line in grid if c < len(line)) for c in range(len(columns))]
    lines = [title, ""]
    for line in grid:
        lines.append("  ".join(text.ljust(widths[c]) if c == 0 else text.rjust(widths[c])
                               for c, text in enumerate(line)))
    lines += [""] + [wrapped for note in notes for wrapped in textwrap.wrap(note, 160)] + [""]
    return lines


def write_pdf(stream, title, identity, tables, charts):
    with PdfPages(stream) as pdf:
        lines = [f"{key:<16} {wrapped}" if i == 0 else f"{'':<16} {wrapped}"
                 for key, value in identity for i, wrapped in enumerate(textwrap.wrap(str(value), 130) or [""])]
        page = lines + [""]
        for table in tables:
            table_lines = _table_lines(table)
            if len(page) + len(table_lines) > 95:
                _text_page(pdf, title, page)
                page = []
            page += table_lines
        _text_page(pdf, title, page)
        for _, figure in charts:
            pdf.savefig(figure, bbox_inches="tight")
            plt.close(figure)
        info = pdf.infodict()
        info["Title"] = title
        info["Creator"] = "margin-stress report"

"""results/index.html: the results page, the first thing to open after a run.

One self-contained HTML file (no script, no external file: the tables are inline and the plots
embedded as PNG), so it opens in any browser, from a mail or a web server, and inside
`snakemake --report` too. It shows, top to bottom: what made it (the dnacomp version), a summary
of bits/base per file and tool, the bits/base plot, one table per input (tool, level, bits/base,
size relative to gzip, exact yes/no with the reason, speeds, peak RSS) and the speed plot. Tools
keep the table's order (the config's) everywhere; speeds of inputs under `speed_min_bytes` are not
shown, because a tool's time on them is mostly process start-up.
"""

import base64
import csv
import datetime
import html
import os

#: how a tool and its level are written (the name, the level as on the tool's command line)
DISPLAY = {
    "dnacomp": ("dnacomp", "-{level}"),
    "dnacomp-gru": ("dnacomp --model gru", "-{level}"),
    "mfcompress": ("MFCompress", "-{level}"),
    "geco3": ("GeCo3", "-l {level}"),
    "jarvis3": ("JARVIS3", "-l {level}"),
    "naf": ("NAF", "-{level}"),
    "fqzcomp": ("fqzcomp", "-s{level}+ -e -q3"),
    "enano": ("ENANO", "-c -k {level}"),
    "cram": ("CRAM 3.1", "archive, level {level}"),
}

CSS = """
body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 18px 28px;
       color: #1a1a1a; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 26px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 2px; }
h3 { font-size: 16px; margin: 18px 0 4px; }
p.meta { color: #555; margin: 0 0 12px; font-size: 13px; }
table { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e3e3e3; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; font-weight: 600; }
td.l, th.l { text-align: left; }
td.why { text-align: left; white-space: normal; color: #8a4b00; max-width: 430px; font-size: 13px; }
tr.own td { background: #fff1f0; }
td.best { font-weight: 700; }
td.na { color: #999; }
img { max-width: 100%; height: auto; display: block; margin: 6px 0; }
.note { color: #555; font-size: 13px; }
"""


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def esc(x):
    return html.escape(str(x))


def tool_name(r):
    return DISPLAY.get(r["tool"], (r["tool"], "-{level}"))[0]


def level_text(r):
    return DISPLAY.get(r["tool"], (r["tool"], "-{level}"))[1].format(level=r["level"])


def by_file(rows):
    files = {}
    for r in rows:
        files.setdefault(r["file"], []).append(r)
    return files


def num(x):
    return float(x) if x not in (None, "") else None


def exact_cell(r):
    """'yes', or 'no: why' (ACGT-only counts as no: it does not restore the file)."""
    if r["exact"] == "yes":
        return '<td class="l">yes</td>'
    why = "; ".join(n for n in r["note"].split("; ") if n and n != "default level")
    if r["exact"] in ("not available", "failed"):
        return f'<td class="why na">{esc(r["exact"])}{": " + esc(why) if why else ""}</td>'
    return f'<td class="why"><b>no</b>{": " + esc(why) if why else ""}</td>'


def best_exact(runs):
    vals = [float(r["bits_per_base"]) for r in runs if r["exact"] == "yes" and r["bits_per_base"]]
    return min(vals) if vals else None


def summary_table(files, rows):
    """Files as rows, (tool, level) as columns, bits/base in the cells; the best byte-exact in bold."""
    cols = list(dict.fromkeys((r["tool"], r["level"]) for r in rows))
    first = {}
    for r in rows:
        first.setdefault((r["tool"], r["level"]), r)
    out = ['<table id="summary"><tr><th class="l">bits/base</th>']
    for c in cols:
        r = first[c]
        default = " (default)" if "default level" in r["note"] else ""
        out.append(f"<th>{esc(tool_name(r))}<br>{esc(level_text(r) + default)}</th>")
    out.append("</tr>")
    for fname, runs in files.items():
        here = {(r["tool"], r["level"]): r for r in runs}
        best = best_exact(runs)
        out.append(f'<tr><td class="l">{esc(fname)}</td>')
        for c in cols:
            r = here.get(c)
            if r is None:
                out.append('<td class="na">·</td>')
            elif not r["bits_per_base"]:
                out.append(f'<td class="na">{esc(r["exact"])}</td>')
            else:
                v = float(r["bits_per_base"])
                cls = "best" if r["exact"] == "yes" and v == best else ""
                mark = "" if r["exact"] == "yes" else "*"
                out.append(f'<td class="{cls}">{v:.3f}{mark}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def file_table(fname, runs, speed_min_bytes):
    gzip = next((int(r["archive_bytes"]) for r in runs if r["tool"] == "gzip" and r["archive_bytes"]), None)
    best = best_exact(runs)
    size = int(runs[0]["input_bytes"])
    speeds = size >= speed_min_bytes
    head = (
        f'<h3>{esc(fname)} <span class="note">{esc(runs[0]["format"].upper())}, {size:,} bytes, '
        f"{int(runs[0]['symbols']):,} sequence symbols</span></h3>"
    )
    out = [
        head,
        '<table class="file"><tr><th class="l">tool</th><th class="l">level</th><th>bits/base</th>'
        '<th>vs gzip</th><th>archive bytes</th><th class="l">exact</th><th>compress MB/s</th>'
        "<th>decompress MB/s</th><th>peak RSS MB</th></tr>",
    ]
    for r in runs:
        own = r["tool"].startswith("dnacomp")
        bpb = num(r["bits_per_base"])
        cls = "best" if bpb is not None and r["exact"] == "yes" and bpb == best else ""
        lvl = level_text(r) + (" (default)" if "default level" in r["note"] else "")
        ratio = f"{int(r['archive_bytes']) / gzip:.2f}×" if gzip and r["archive_bytes"] else ""
        rss = [x for x in (num(r["compress_max_rss_MB"]), num(r["decompress_max_rss_MB"])) if x is not None]
        if speeds:
            cs, ds = (f"{float(r[k]):.2f}" if r[k] else "" for k in ("compress_MB_s", "decompress_MB_s"))
        else:
            cs = ds = '<span title="input under the speed threshold: the time is mostly start-up">–</span>'
        size_cells = (
            f'<td class="{cls}">{bpb:.3f}</td><td>{ratio}</td><td>{int(r["archive_bytes"]):,}</td>'
            if bpb is not None
            else "<td></td><td></td><td></td>"
        )
        out.append(
            f'<tr class="{"own" if own else ""}"><td class="l">{esc(tool_name(r))}</td>'
            f'<td class="l">{esc(lvl)}</td>{size_cells}'
        )
        out.append(exact_cell(r))
        out.append(f"<td>{cs}</td><td>{ds}</td><td>{f'{max(rss):.0f}' if rss else ''}</td></tr>")
    out.append("</table>")
    return "".join(out)


def png(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def page(rows, bits_png, speed_png, speed_min_bytes=1_000_000, made=None):
    files = by_file(rows)
    version = next((r["dnacomp_version"] for r in rows if r.get("dnacomp_version")), "dnacomp (version unknown)")
    formats = sorted({r["format_version"] for r in rows if r.get("format_version")})
    made = made or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    fmt = f", archive format {'/'.join(formats)}" if formats else ""
    small = [f for f, runs in files.items() if int(runs[0]["input_bytes"]) < speed_min_bytes]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>dnacomp: bits/base against peer compressors</title>',
        f"<style>{CSS}</style></head><body>",
        "<h1>dnacomp against peer compressors: bits/base (lower is better)</h1>",
        f'<p class="meta" id="made-by">Made by <b>{esc(version)}</b>{esc(fmt)} on {esc(made)}. '
        f"{len(files)} input{'s' if len(files) != 1 else ''}; every archive was restored and compared with "
        "the original (sha256). bits/base = 8 × archive bytes / sequence symbols. "
        "Bold: the smallest byte-exact archive of the file; * not byte-exact (see the file's table).</p>",
        summary_table(files, rows),
        "<h2>bits/base per file</h2>",
        f'<img id="plot-bits" alt="bits/base per file and tool" src="{png(bits_png)}">',
        "<h2>Per file</h2>",
        '<p class="note">vs gzip: archive size over gzip -9\'s. Speeds are MB of input per second of the whole '
        "step (process start-up included), so they are shown only for inputs of "
        f"{speed_min_bytes / 1e6:g} MB or more{' (not for: ' + esc(', '.join(small)) + ')' if small else ''}. "
        "Peak RSS: the larger of compress and decompress, sampled by Snakemake (a floor for steps under a "
        "second).</p>",
        *(file_table(f, runs, speed_min_bytes) for f, runs in files.items()),
        "<h2>Speed against bits/base</h2>",
        f'<img id="plot-speed" alt="compression speed against bits/base" src="{png(speed_png)}">',
        '<p class="note">The numbers: <a href="bits_per_base.tsv">bits_per_base.tsv</a> (one row per file, tool '
        "and level, with the command lines and archive paths). How they are made: docs/workflow.md.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def main(tsv, bits_png, speed_png, out, speed_min_bytes):
    text = page(load(tsv), bits_png, speed_png, speed_min_bytes)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__" and "snakemake" in globals():
    sm = snakemake  # noqa: F821
    main(sm.input.tsv, sm.input.bits, sm.input.speed, sm.output[0], int(sm.params.speed_min_bytes))

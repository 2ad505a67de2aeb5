"""The benchmark's tables, as plain text: what a person reads, and what RESULTS.md quotes."""

from __future__ import annotations

from typing import Any

KINDS = ("source_read", "target_read", "target_write")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows,
                                                                        strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if n else str(c).ljust(w)
                         for n, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"


def _run_tables(runs: list[dict[str, Any]]) -> str:
    rows = []
    for row in runs:
        bound = row["bound"]["total"]
        rows.append([row["run"], f"{row['wall_s']:.2f}", f"{row['run_s']:.2f}",
                     f"{bound:.2f}", f"{row['wall_s'] / bound:.2f}" if bound else "-",
                     f"{row['run_s'] / bound:.2f}" if bound else "-",
                     f"{row['client_cpu_s']:.2f}", f"{row['sandbox_cpu_s']:.2f}",
                     f"{row['max_rss_mb']:.1f}"])
    text = _table(["run", "wall s", "in-run s", "bound s", "wall/bound", "in-run/bound",
                   "client CPU s", "sandbox CPU s", "peak RSS MB"], rows)
    counts = []
    for row in runs:
        got, want = row["requests"], row["expected"]
        counts.append([row["run"], *(f"{got.get(k, 0)} / {want[k]}" for k in KINDS),
                       "yes" if row["exact"] else "NO"])
    return text + "\n" + _table(["requests (seen / formula)", *KINDS, "exact"], counts)


def _issue_runs(results: dict[str, Any]) -> str:
    shape = results["issue_shape"]
    text = (f"issue project: {shape['milestones']} milestones, {shape['issues']:,} issues, "
            f"{shape['notes']:,} notes, {shape['labels']} labels "
            "(transfer: labels, issues, comments)\n")
    text += _run_tables(results["issue_runs"])
    migration = results["issue_runs"][0]
    return text + ("\nlower bound per phase (issue migration): " + ", ".join(
        f"{k} {v:.3f}s" for k, v in migration["bound"].items()) + "\n")


def _rate_limit(rate: dict[str, Any]) -> str:
    got = rate["requests"]
    return (f"rate limit {rate['limit']} requests/s per server (dry run): "
            f"{got.get('source_read', 0)} GitLab reads, ideal {rate['ideal_s']:.2f}s "
            f"(reads / limit); in-run {rate['run_s']:.2f}s "
            f"({rate['run_s'] / rate['ideal_s']:.2f}x), wall {rate['wall_s']:.2f}s; "
            f"429s: GitLab {rate['refused'].get('gitlab', 0)}, SourceCraft "
            f"{rate['refused'].get('sourcecraft', 0)}; exit {rate['exit_code']}\n")


def _runs(results: dict[str, Any]) -> str:
    shape = results["shape"]
    text = _run_tables(results["runs"])
    dry, migration = results["runs"][0], results["runs"][1]
    load_s = (migration["run_s"] or 0) - (dry["run_s"] or 0)
    created = migration["target_after"]["total"]
    text += ("\nlower bound per phase (migration): " + ", ".join(
        f"{k} {v:.3f}s" for k, v in migration["bound"].items()) + "\n")
    text += (f"issues/s extracted (dry run, in-run): {shape['issues'] / dry['run_s']:,.0f}; "
             f"milestones/s loaded (migration - dry run): "
             f"{created / load_s if load_s > 0 else float('nan'):,.0f}\n")
    return text


def _extraction(ext: dict[str, Any]) -> str:
    rows = []
    for key in ("scbridge", "scbridge_1", "other"):
        if key in ext:
            item = ext[key]
            rows.append([item["client"], f"{item['seconds']:.2f}", str(item["requests"]),
                         f"{item['issues']:,}", f"{item['issues'] / item['seconds']:,.0f}",
                         f"{item['max_rss_mb']:.1f}"])
    text = _table(["extraction only", "s", "requests", "issues", "issues/s", "peak RSS MB"],
                  rows)
    if "fallback" in ext:
        text += f"NOTE: {ext['fallback']}\n"
    if "ratio" in ext:
        text += (f"speed-up over {ext['other']['client']}: {ext['ratio']:.2f}x at the set "
                 f"concurrency, {ext['ratio_1']:.2f}x at concurrency 1\n")
    return text


def _compare(results: dict[str, Any]) -> str:
    """`--baseline`: each run of the baseline checkout and of this one, side by side."""
    base = results["baseline"]
    rows = []
    for key in ("runs", "issue_runs"):
        for before, after in zip(base.get(key, []), results.get(key, []), strict=True):
            bound = after["bound"]["total"]

            def ratio(row: dict[str, Any], field: str, bound: float = bound) -> str:
                return f"{row[field] / bound:.2f}" if bound and row[field] is not None else "-"

            rows.append([after["run"], f"{before['wall_s']:.2f}", f"{after['wall_s']:.2f}",
                         f"{after['wall_s'] - before['wall_s']:+.2f}", f"{bound:.2f}",
                         ratio(before, "wall_s"), ratio(after, "wall_s"),
                         ratio(before, "run_s"), ratio(after, "run_s"),
                         f"{before['client_cpu_s']:.2f}", f"{after['client_cpu_s']:.2f}",
                         "yes" if before["exact"] and after["exact"] else "NO"])
    return (f"baseline: {base['root']} ({base['commit']}); this: {results.get('this', '?')}\n"
            + _table(["run", "wall before", "wall after", "change s", "bound s",
                      "wall/bound before", "after", "in-run/bound before", "after",
                      "CPU before", "after", "exact"], rows))


def _startup(start: dict[str, Any]) -> str:
    rows = [[row["command"], f"{row['median_s']:.3f}", f"{row['min_s']:.3f}",
             f"{row['over_bare_s']:+.3f}", f"{row['ratio']:.2f}"] for row in start["rows"]]
    return _table([f"start-up ({start['rounds']} rounds)", "median s", "min s",
                   "vs bare s", "x bare"], rows)


def render(results: dict[str, Any]) -> str:
    """Every section that was run, in order."""
    m, shape = results["machine"], results["shape"]
    parts = [f"scbridge benchmark: {results['command']}\n"
             f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, "
             f"load average at start {m['loadavg']}\n"
             + (f"{m['bytecode']}\n" if "bytecode" in m else "")
             + ("" if "runs" not in results else
                f"shape: {shape['milestones']} milestones, {shape['issues']:,} issues, "
                f"latency {shape['latency_s'] * 1000:g} ms, concurrency {shape['concurrency']}, "
                f"per_page {shape['per_page']}, page_size {shape['page_size']}\n")]
    if "runs" in results:
        parts.append(_runs(results))
    if "issue_runs" in results:
        parts.append(_issue_runs(results))
    if "baseline" in results:
        parts.append(_compare(results))
    if "rate_limit" in results:
        parts.append(_rate_limit(results["rate_limit"]))
    if "runs" in results:
        parts.append(_extraction(results["extraction"]))
    if "placement" in results:
        p = results["placement"]
        parts.append(f"sandbox placement (extraction s): own process "
                     f"{p['separate_process_s']:.2f}, client's process "
                     f"{p['same_process_s']:.2f}\n")
    if "checkpoint" in results:
        c = results["checkpoint"]
        parts.append(f"checkpoint: resume with {c['items']:,.0f} items {c['resume_s']:.3f}s "
                     f"(reading them all {c.get('snapshot_s', float('nan')):.3f}s); "
                     f"{c['batch']:,.0f} records at 1,000 recorded "
                     f"{c['record_batch_small_s']:.2f}s, at {c['items']:,.0f} recorded "
                     f"{c['record_batch_full_s']:.2f}s\n")
    if "rss" in results:
        r = results["rss"]
        base = results["runs"][0]["max_rss_mb"]
        parts.append(f"peak RSS, dry run: {shape['issues']:,} issues {base:.1f} MB, "
                     f"{r['issues']:,} issues {r['max_rss_mb']:.1f} MB "
                     f"(+{r['max_rss_mb'] - base:.1f} MB); requests exact: "
                     f"{'yes' if r['exact'] else 'NO'}\n")
    if "rss_kinds" in results:
        rows = results["rss_kinds"]["rows"]
        text = ", ".join(f"{r['issues']:,} issues / {r['notes']:,} notes {r['max_rss_mb']:.1f} MB"
                         f" ({r['source_read']:,} GitLab reads, {r['creates']:,} creates "
                         f"planned, {r['wall_s']:.0f} s)" for r in rows)
        growth = rows[-1]["max_rss_mb"] - rows[0]["max_rss_mb"]
        parts.append(f"peak RSS, dry run moving labels, issues and comments (latency 0, JSON "
                     f"report): {text}; growth {growth:+.1f} MB\n")
    if "profile" in results:
        parts.append("profiles: " + ", ".join(results["profile"].values()) + "\n")
    if "startup" in results:
        parts.append(_startup(results["startup"]))
    return "\n".join(parts)

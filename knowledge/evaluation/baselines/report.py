"""The comparison as one markdown table, OUT/peers.json, per-system reports and the curve plot."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.answering.calibration import NEVER
from knowledge.evaluation.baselines.comparison import SystemResult


def _show(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _threshold(result: SystemResult) -> str:
    if result.threshold is None:
        return "calibrated (make eval)" if result.metrics is not None else "–"
    return "never" if result.threshold >= NEVER else f"{result.threshold:.3f}"


def table(results: Sequence[SystemResult], target: float) -> str:
    """One row per system; the metrics are knowledge.evaluation.evaluate.score()'s, as `make eval` prints."""
    header = (
        "| system | answer rate | conformity | escalation recall | out-of-scope decline | median latency (ms) "
        f"| threshold | answer rate at conformity ≥ {target:g} on this set (ceiling) | fit + calibrate + run (s) | note |"
    )
    rows = [header, "|" + "---|" * 10]
    for r in results:
        m = r.metrics
        rows.append(
            f"| {r.title} | {_show(m and m.answer_rate)} | {_show(m and m.conformity)} "
            f"| {_show(m and m.escalation_recall)} | {_show(m and m.oos_decline)} "
            f"| {_show(r.median_latency_ms, 1)} | {_threshold(r)} | {_show(r.answer_rate_at(target))} "
            f"| {r.seconds:.0f} | {r.note} |"
        )
    return "\n".join(rows)


def summary(results: Sequence[SystemResult], target: float, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        **extra,
        "target_conformity": target,
        "systems": {
            r.name: {
                "title": r.title,
                **({k: v for k, v in r.metrics.__dict__.items()} if r.metrics else {}),
                "p50_ms": r.median_latency_ms,
                "threshold": r.threshold,
                "ceiling_answer_rate_at_target": r.answer_rate_at(target),
                "seconds": round(r.seconds, 1),
                "note": r.note,
                "curve": [p.__dict__ for p in r.curve],
            }
            for r in results
        },
    }


def plot(results: Sequence[SystemResult], target: float, path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5), dpi=120)
    for r in results:
        points = [(p.answer_rate, p.conformity) for p in r.curve if p.answer_rate is not None and p.conformity is not None]
        if not points and r.metrics is None:
            continue
        points.sort()
        ours = r.name == "ours"  # drawn over the baselines where curves overlap at conformity 1
        (line,) = axes.plot([x for x, _ in points], [y for _, y in points], label=r.title,
                            linewidth=2.2 if ours else 1.5, zorder=3 if ours else 2)
        m = r.metrics
        if m is not None and m.answer_rate is not None and m.conformity is not None:
            axes.plot([m.answer_rate], [m.conformity], marker="o", color=line.get_color(), markersize=7, zorder=4)
    axes.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target conformity {target:g}")
    axes.set_xlabel("answer rate (answerable questions answered)")
    axes.set_ylabel("conformity (answers from the expected article)")
    axes.set_xlim(0, 1)
    axes.set_ylim(max(0.0, min([target - 0.3] + [p.conformity for r in results for p in r.curve if p.conformity is not None])), 1.005)
    axes.grid(True, alpha=0.3)
    axes.set_title(title or "answer rate against conformity across thresholds (dot: operating point)", fontsize=9)
    axes.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def write(results: Sequence[SystemResult], target: float, out: Path, extra: dict[str, Any]) -> str:
    """Writes OUT/peers.json, OUT/peers_curve.png and OUT/<system>/report.jsonl; returns the table."""
    out.mkdir(parents=True, exist_ok=True)
    for r in results:
        if r.lines:
            folder = out / r.name
            folder.mkdir(exist_ok=True)
            (folder / "report.jsonl").write_text(
                "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in r.lines), encoding="utf-8"
            )
    (out / "peers.json").write_text(json.dumps(summary(results, target, extra), indent=2), encoding="utf-8")
    plot(results, target, out / "peers_curve.png", extra.get("title", ""))
    return table(results, target)

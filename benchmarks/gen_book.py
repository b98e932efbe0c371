"""Generate large books for benchmarks: seed-000 style (review tree) or checklist.

    python benchmarks/gen_book.py --tasks 10000 --style review > big.md

Deterministic for a given --seed, so figures from different runs compare.
"""

from __future__ import annotations

import argparse
import random
import sys

_WORDS = ("batch", "unique_id", "DataGeneral", "proto", "channel", "compilelog", "metadata",
          "BatchTransfer", "view", "rpc", "split", "offset", "writer", "snapshot", "cache")
_ZH = ("修复", "分析", "检查", "删除", "添加", "编译", "验证", "调用", "接口", "注释", "规则",
       "问题", "数据", "结构", "方法", "字段", "异步", "任务", "引用", "错误")


def _phrase(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(n):
        parts.append(rng.choice(_ZH) if rng.random() < 0.6 else " " + rng.choice(_WORDS) + " ")
    return "".join(parts).strip()


def review_task(rng: random.Random, k: int, indent: str = "") -> list[str]:
    status = rng.random()
    mark = "（done）" if status < 0.6 else ("（working）" if status < 0.65 else "")
    out = [f"{indent}- {mark}任务：{_phrase(rng, 6)} #{k}"]
    out.append(f"{indent}  - 分析：")
    for j in range(rng.randint(1, 3)):
        out.append(f"{indent}      {j + 1}. {_phrase(rng, 20)}")
    out.append(f"{indent}  - 修改计划：")
    for j in range(rng.randint(1, 3)):
        out.append(f"{indent}      {j + 1}. {_phrase(rng, 10)}")
    if mark:
        out.append(f"{indent}  - 执行记录：")
        for _ in range(rng.randint(1, 3)):
            out.append(f"{indent}      - {_phrase(rng, 10)}")
    if rng.random() < 0.1:
        out.append(f"{indent}      ```rust")
        out.append(f"{indent}      let x = {rng.choice(_WORDS)}.clone();")
        out.append(f"{indent}      ```")
    out.append("")
    return out


def checklist_task(rng: random.Random, k: int) -> list[str]:
    box = "x" if rng.random() < 0.5 else " "
    out = [f"- [{box}] **{_phrase(rng, 3)} {k}** - {_phrase(rng, 8)}"]
    if rng.random() < 0.2:
        out.append(f"  - [{box}] {_phrase(rng, 5)}")
    return out


def generate(tasks: int, style: str, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines: list[str] = []
    if style == "review":
        lines += ["（顺序：新的在前面；先解决旧的未完成的；完成的有标注；问题可能存在子问题）", "",
                  "- context提示", "  编译时应当输出到compilelog文件", ""]
        for k in range(tasks):
            lines += review_task(rng, tasks - k)
    else:
        lines += ["# Generated checklist", ""]
        per_group = 50
        for k in range(tasks):
            if k % per_group == 0:
                lines += ["", f"## Group {k // per_group + 1}", ""]
            lines += checklist_task(rng, k + 1)
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--style", choices=("review", "checklist"), default="review")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sys.stdout.write(generate(args.tasks, args.style, args.seed))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Summarises an observation dump (DDLINT_OBSERVE_DUMP) one case at a time,
grouping majors whose observations agree.

    scripts/observed-summary.py /work/observed.json [substring]
"""
import json
import sys


def label(majors):
    out, i = [], 0
    while i < len(majors):
        j = i
        while j + 1 < len(majors) and majors[j + 1] == majors[j] + 1:
            j += 1
        out.append(str(majors[i]) if i == j else f"{majors[i]}-{majors[j]}")
        i = j + 1
    return ",".join(out)


def main():
    entries = json.load(open(sys.argv[1]))
    needle = sys.argv[2] if len(sys.argv) > 2 else ""
    cases = {}
    for e in entries:
        if needle and needle not in e["case"] and needle not in e["file"]:
            continue
        cases.setdefault((e["file"], e["line"], e["case"]), []).append(e)
    for (file, line, name), es in sorted(cases.items()):
        print(f"{file}:{line} {name}")
        groups = {}
        for e in es:
            locks = ", ".join(f"{r}={m.replace('Lock', '')}" for r, m in sorted(e["locks"].items()))
            key = (
                locks,
                ", ".join(e["rewrites"]),
                ", ".join(e.get("scans", [])),
                e["method"],
                e["error"] or "",
            )
            groups.setdefault(key, []).append(e["major"])
        for (locks, rewrites, scans, method, error), majors in groups.items():
            line = f"  {label(sorted(majors)):8} {method[:5]:5} locks: {locks or '-'}"
            if rewrites:
                line += f" | rewrites: {rewrites}"
            if scans:
                line += f" | scans: {scans}"
            if error:
                line += f" | error: {error}"
            print(line)


if __name__ == "__main__":
    main()

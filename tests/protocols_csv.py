#!/usr/bin/env python3
"""A second reading of IANA's protocol-numbers CSV, for tests/test_protocols.c.

Python's csv module reads the file and the serving rules of parser/protocols.h
are applied again here, written afresh, so the C parser is checked against an
independent reading of the same bytes rather than against numbers copied from
it.  Output, one record per line, fields tab-separated with backslash, tab, CR
and LF escaped as \\\\ \\t \\r \\n:

    R line decimal keyword protocol ipv6-ext reference   every record, in order
    E line number name alias ipv6-ext deprecated         every served entry
    S reason count                                       rows not served, by reason
"""
import csv
import re
import sys

WS = " \t\n\r\v\f"  # ASCII white space, as the C parser splits on
COLUMNS = ["Decimal", "Keyword", "Protocol", "IPv6 Extension Header", "Reference"]


def esc(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
             .replace("\r", "\\r").replace("\n", "\\n"))


def out(*fields):
    print("\t".join(esc(str(f)) for f in fields))


def token_ok(name):
    return (0 < len(name) <= 63 and
            all(0x21 <= ord(c) <= 0x7e and c != "#" for c in name))


def main(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        header = next(reader)
        index = {c: header.index(c) for c in COLUMNS if c in header}
        rows = []
        prev = reader.line_num
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec:
                continue
            rows.append((start, {c: rec[i] for c, i in index.items()}))

    skipped = {"range": 0, "unnamed": 0, "reserved": 0, "bad_name": 0, "duplicate": 0}
    taken = set()
    for line, r in rows:
        get = lambda c: r.get(c, "")
        out("R", line, get("Decimal"), get("Keyword"), get("Protocol"),
            get("IPv6 Extension Header"), get("Reference"))
        if "-" in get("Decimal"):
            skipped["range"] += 1
            continue
        keyword = get("Keyword").strip(WS)
        deprecated = keyword.lower().endswith("(deprecated)")
        if deprecated:
            keyword = keyword[:-len("(deprecated)")].strip(WS)
        if not keyword:
            skipped["unnamed"] += 1
            continue
        words = [w for w in re.split("[" + WS + "]+", keyword) if w]
        name = "-".join(words).translate(str.maketrans(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))
        if name in ("reserved", "unassigned"):
            skipped["reserved"] += 1
            continue
        if not token_ok(name):
            skipped["bad_name"] += 1
            continue
        if name in taken:
            skipped["duplicate"] += 1
            continue
        taken.add(name)
        alias = keyword if len(words) == 1 and keyword != name else ""
        out("E", line, int(get("Decimal")), name, alias,
            int(get("IPv6 Extension Header").upper() == "Y"), int(deprecated))
    for reason, n in skipped.items():
        out("S", reason, n)


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Inputs for the oracle tests (tests/oracle.sh, tests/services_prop.sh).

  oracle.py iana-etc CSV            an iana-etc-style services file from the
                                    registry: lower-cased names, the first
                                    port of a range, no aliases, one line per
                                    name/port/protocol
  oracle.py queries FILE_ENUM REG_ENUM SERVICES [--all | --reduced SEED]
                                    nss_client -x query lines (stdout) for the
                                    services file SERVICES, whose entries as
                                    nss_files reads them are FILE_ENUM, over
                                    the registry REG_ENUM (both `nss_client -x
                                    ... enum` output); see queries() for what
                                    --reduced and a large file leave out
  oracle.py enumstate FILE_ENUM REG_ENUM
                                    a run of setservent, getservent_r, lookups
                                    and endservent (nss_client lines)
  oracle.py random SEED INDEX REG_ENUM
                                    services file number INDEX of the random
                                    series SEED (stdout, bytes): hostile
                                    constructs, random and registry names
  oracle.py random SEED COUNT REG_ENUM DIR
                                    files 0..COUNT-1 of that series, as
                                    DIR/INDEX.services

The entries nss_files accepted come from nss_files itself (FILE_ENUM), so
nothing here has to know how glibc parses a line; the raw tokens of the file
are asked as well, which covers what it rejects.
"""
import csv
import random
import re
import sys

# None: no protocol (NULL).
PROTOS = [b"tcp", b"udp", b"sctp", b"dccp", None, b"ddp", b"udplite", b"TCP", b""]


def esc(b):
    """A byte string as nss_client -x reads it: bytes <= ' ', >= 0x7f and
    '%' as %XX, the empty string as %00; "-" alone is no protocol (None),
    so the string "-" is %2D."""
    if b is None:
        return "-"
    if b in (b"", b"-"):
        return "%00" if b == b"" else "%2D"
    return "".join(chr(c) if 0x20 < c < 0x7F and c != 0x25 else "%%%02X" % c for c in b)


def unesc(s):
    return re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), s.encode())


def read_enum(path):
    """nss_client -x enum output -> [(name, port, proto, [aliases])]."""
    entries = []
    with open(path, encoding="ascii") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 2 or "/" not in fields[1]:
                continue
            port, proto = fields[1].split("/", 1)
            entries.append((unesc(fields[0]), int(port), unesc(proto),
                            [unesc(a) for a in fields[2:] if not a.startswith("[")]))
    return entries


def cases(name):
    """As written, upper, lower and capitalised (ASCII only, as bytes)."""
    return {name, name.upper(), name.lower(), name[:1].upper() + name[1:].lower()}


def raw_tokens(data):
    """Every whitespace-separated token of the file, and its pieces cut at
    '#', '/' and NUL: what nss_files rejected is asked too."""
    out = set()
    for tok in re.split(rb"[ \t\n\v\f\r]+", data):
        if not tok:
            continue
        out.add(tok.split(b"\0")[0])
        out.update(p for p in re.split(rb"[#/\0]", tok) if p)
    out.discard(b"")
    return out


def raw_ports(data):
    """The numbers in the file, as a port field might read them (low 16 bits
    of strtoul clamped to 32 bits; its sign too)."""
    out = set()
    for m in re.finditer(rb"[-+]?\d+", data):
        v = int(m.group())
        v = v % (1 << 64)           # strtoul negates in unsigned long
        out.add(min(v, 0xFFFFFFFF) & 0xFFFF)
        out.add(abs(int(m.group())) & 0xFFFF)
    return out


LARGE = 2000    # entries: a file this big is asked a sample of the rest


def queries(file_enum, reg_enum, services, reduced_seed, everything=False):
    """Full: every name and alias of the file and of the registry in four
    cases x every protocol; every port with none and tcp, the file's ports
    (and either side), the registry's, 0-1024 and 5990-6099 with the other
    protocols.  A file of over LARGE entries (nss_files reads it all on
    every miss), unless ALL: 3000 of the names as written and 500 in the
    other cases, 2000 of the file's ports, with every protocol, and every
    32nd port with none, tcp and udp.
    Reduced (a seed): the file's names and ports (500 of each at most), 40
    of the registry's."""
    fentries = read_enum(file_enum)
    rentries = read_enum(reg_enum)
    with open(services, "rb") as f:
        data = f.read()
    large = reduced_seed is None and len(fentries) > LARGE and not everything
    rng = random.Random(reduced_seed or 0)
    protos = list(PROTOS)
    for _, _, p, _ in fentries:
        for q in (p, p.upper(), p.lower()):
            if q not in protos:
                protos.append(q)
    fnames = set()
    fports = set()
    for n, port, _, aliases in fentries:
        fnames.add(n)
        fnames.update(aliases)
        fports.add(port)
    # The raw tokens nss_files made no name of (rejected lines, port fields,
    # pieces), and the numbers, as ports: a sample of them in a large file,
    # which would otherwise ask every "80/tcp" as a name.
    extra = sorted(raw_tokens(data) - fnames)
    if large:
        extra = rng.sample(extra, min(300, len(extra)))
    else:
        fports |= raw_ports(data)
    fnames.update(extra)
    rnames = set()
    rports = set()
    for n, port, _, aliases in rentries:
        rnames.add(n)
        rnames.update(aliases)
        rports.add(port)
    if reduced_seed is not None:
        rnames = set(rng.sample(sorted(rnames), min(40, len(rnames))))
        rports = set(rng.sample(sorted(rports), min(40, len(rports))))
        fnames = set(rng.sample(sorted(fnames), min(500, len(fnames))))
        fports = set(rng.sample(sorted(fports), min(500, len(fports))))
    written = sorted(fnames | rnames)
    names = set(rng.sample(written, 3000) if large else written)
    for n in (rng.sample(written, 500) if large else written):
        names.update(cases(n))
    # Names no line can hold: empty, white space, a name with its protocol.
    names.update((b"", b" ", b"\t", b"http tcp", b"http\n", b"http\r", b"ssh/tcp"))
    out = sys.stdout
    for n in sorted(names):
        for p in protos:
            out.write("name %s %s\n" % (esc(n), esc(p)))
    allp = " ".join(esc(p) for p in protos)
    if large:
        for p in sorted(rng.sample(sorted(fports), min(2000, len(fports)))):
            out.write("ports %d %d %s\n" % (p, p, allp))
        for p in range(0, 65536, 32):
            out.write("ports %d %d - tcp udp\n" % (p, p))
    else:
        ports = set()
        for p in fports:
            ports.update(((p - 1) & 0xFFFF, p, (p + 1) & 0xFFFF))
        ports |= rports
        if reduced_seed is None:
            # Every port with none and tcp (chunks of 4096), the rest below.
            for start in range(0, 65536, 4096):
                out.write("ports %d %d - tcp\n" % (start, start + 4095))
            ports.update(range(0, 1025))
            ports.update(range(5990, 6100))     # x11's range and around it
            others = " ".join(esc(p) for p in protos if p not in (None, b"tcp"))
        else:
            others = allp
        for p in sorted(ports):
            out.write("ports %d %d %s\n" % (p, p, others))
    # Ints that are not a 16-bit port in network byte order.
    for p in sorted(fports)[:20]:
        n = ((p & 0xFF) << 8) | (p >> 8)
        for v in (n | 0x10000, n | -0x80000000, n - 0x10000, -1):
            for proto in ("-", "tcp"):
                out.write("portint %d %s\n" % (v, proto))


def enumstate(file_enum, reg_enum):
    """The enumeration's cursor: getservent_r without setservent, across the
    boundary between the file's lines and the registry, around lookups,
    after setservent and endservent in the middle, past the end."""
    fentries = read_enum(file_enum)
    nf, nr = len(fentries), len(read_enum(reg_enum))
    first = esc(fentries[0][0]) if fentries else "http"
    sys.stdout.write("next 2\nsetent 0\nnext %d\n" % max(nf - 1, 0) +
                     "name http tcp\nport 80 -\nname %s -\nnext 3\n" % first +
                     "setent 0\nnext %d\nendent\nnext 2\n" % (nf + 1) +
                     "setent 1\nnext %d\nnext 2\nsetent 0\nnext 1\nendent\n" % (nf + nr + 1))


def iana_etc(path):
    """One line per distinct (lower-cased name, first port, protocol)."""
    seen = set()
    out = sys.stdout.buffer
    out.write(b"# iana-etc-style services file generated by tests/oracle.py from %s\n"
              % path.encode())
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            name = row["Service Name"].strip().lower()
            port = row["Port Number"].strip().split("-")[0]
            if not name or not port or re.search(r"\s", name):
                continue
            protos = [row["Transport Protocol"].strip().lower() or "tcp"]
            if not row["Transport Protocol"].strip():
                protos.append("udp")
            for proto in protos:
                key = (name, int(port), proto)
                if key in seen:
                    continue
                seen.add(key)
                out.write(("%-23s %s/%s\n" % (name, int(port), proto)).encode())


# --- random services files ---------------------------------------------------
ODD_PORTS = [b"0", b"65535", b"65536", b"70000", b"-1", b"+5", b"12x", b"4294967296",
             b"4294967295", b"4294967297", b"-65535", b"-18446744073709551615",
             b"18446744073709551616", b"00080", b"0x50", b"", b"-", b"+", b"1e3", b"8o"]
ODD_PROTOS = [b"TCP", b"Udp", b"ddp", b"udplite", b"", b"/tcp", b"tcp/udp", b"-", b"t",
              b"\xc3\xa9", b"tcp#x", b"SCTP", b"DCCP", b"sctp", b"dccp", b"%"]
SPACES = [b" ", b"\t", b"  ", b" \t ", b"\v", b"\f", b"\r", b" \r "]
ODD_NAMES = [b"caf\xc3\xa9", b"caf\xe9", b"\xff\xfe", b"\xe5\x90\x8d\xe5\x89\x8d", b"a#b",
             b"#x", b"cl/1", b"-", b"%", b"%41", b"x" * 70, b"y" * 300, b"a\x01b", b"\x7f",
             b"N", b"n", b"0", b"80", b"tcp"]


def random_file(seed, index, reg):
    """File INDEX of series SEED: its own generator, so one file reproduces
    alone.  REG: the registry's entries (read_enum)."""
    rng = random.Random("%s/%s" % (seed, index))
    written = []

    def name():
        r = rng.random()
        if r < 0.35:
            n = rng.choice(reg)
            n = rng.choice([n[0]] + n[3])
            return rng.choice(sorted(cases(n)))
        if r < 0.55 and written:
            return rng.choice(written)       # the same name again
        if r < 0.7:
            return rng.choice(ODD_NAMES)
        return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.")
                     for _ in range(rng.randint(1, 12)))

    def port():
        r = rng.random()
        if r < 0.3:
            return str(rng.choice(reg)[1]).encode()
        if r < 0.5:
            return rng.choice(ODD_PORTS)
        if r < 0.6:
            return b"%d" % rng.choice([0, 1, 7, 80, 6000, 6010, 65535])
        return b"%d" % rng.randint(0, 65535)

    def proto():
        r = rng.random()
        if r < 0.75:
            return rng.choice([b"tcp", b"udp", b"sctp", b"dccp"])
        return rng.choice(ODD_PROTOS)

    def sp():
        return rng.choice(SPACES) if rng.random() < 0.3 else b" "

    def entry():
        n = name()
        written.append(n)
        line = n + sp() + port()
        r = rng.random()
        if r < 0.85:
            line += b"/" + proto()
        elif r < 0.9:
            line += b"/"
        elif r < 0.95:
            line += b"//" + proto()
        k = rng.choice([0, 0, 0, 1, 2, 3, 40]) if rng.random() < 0.9 else rng.randint(50, 120)
        for _ in range(k):
            a = name()
            line += sp() + a
        if rng.random() < 0.1:
            line += sp() + b"# a comment " + name()
        if rng.random() < 0.04:
            at = rng.randint(0, len(line))
            line = line[:at] + b"\0" + line[at:]
        if rng.random() < 0.04:
            at = rng.randint(0, len(line))
            line = line[:at] + b"\r" + line[at:]
        return line

    lines = []
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        if r < 0.05:
            lines.append(b"")
        elif r < 0.1:
            lines.append(rng.choice([b"# comment", b"   # indented comment", b"#", b" \t\v\f\r"]))
        elif r < 0.13:
            lines.append(name())                 # a name alone
        elif r < 0.18 and lines:
            lines.append(rng.choice(lines))      # a duplicated line
        else:
            line = entry()
            if rng.random() < 0.1:
                line = rng.choice(SPACES[:6]) * rng.randint(1, 3) + line
            lines.append(line)
    out = b""
    for line in lines:
        out += line + (b"\r\n" if rng.random() < 0.1 else b"\n")
    r = rng.random()
    if r < 0.3:
        out = out[:-1]                           # no final newline
    elif r < 0.5:
        out += rng.choice(SPACES[:6]) * rng.randint(1, 12) + entry()   # leading whitespace, no newline
    return out


def main(argv):
    if len(argv) >= 2 and argv[0] == "iana-etc":
        iana_etc(argv[1])
    elif len(argv) in (4, 5, 6) and argv[0] == "queries":
        seed = argv[5] if len(argv) == 6 and argv[4] == "--reduced" else None
        queries(argv[1], argv[2], argv[3], seed, argv[4:] == ["--all"])
    elif len(argv) == 3 and argv[0] == "enumstate":
        enumstate(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "random":
        sys.stdout.buffer.write(random_file(argv[1], int(argv[2]), read_enum(argv[3])))
    elif len(argv) == 5 and argv[0] == "random":
        reg = read_enum(argv[3])
        for i in range(int(argv[2])):
            with open("%s/%d.services" % (argv[4], i), "wb") as f:
                f.write(random_file(argv[1], i, reg))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

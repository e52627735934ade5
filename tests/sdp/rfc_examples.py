#!/usr/bin/env python3
"""rfc_examples.py: the SDP data files taken from RFCs must be exactly the RFC's examples.

tests/sdp/rfc/ holds sections of RFC 6787 and RFC 4317 as the RFC text prints them (how they
were cut out is in tests/sdp/rfc/README.md). This script finds every SDP body in such a
section (a line "v=0" and the "x=..." lines after it, across page breaks), turns it into
the bytes an SDP body has (indentation removed, CRLF line ends) and compares it with the
data file that examples.tsv names for it. Any difference fails, with the first line that
differs.

Usage: rfc_examples.py <tests/sdp/rfc dir> <tests/sdp/data dir>
"""
import re
import sys
from pathlib import Path

PAGE_FOOTER = re.compile(r"^\S.*\[Page \d+\]$")
PAGE_HEADER = re.compile(r"^RFC \d+ ")
SDP_LINE = re.compile(r"^\s+([a-z]=.*)$")


def sdp_bodies(text):
    """Every SDP body of an RFC section, as bytes with CRLF line ends."""
    bodies, body = [], None
    for raw in text.split("\n"):
        line = raw.replace("\f", "")
        if body is None:
            if re.match(r"^\s+v=0\s*$", line):
                body = ["v=0"]
            continue
        if line.strip() == "" or PAGE_FOOTER.match(line) or PAGE_HEADER.match(line):
            continue  # blank lines and page breaks inside a body
        m = SDP_LINE.match(line)
        if m:
            body.append(m.group(1).rstrip())
            continue
        bodies.append(("\r\n".join(body) + "\r\n").encode("ascii"))
        body = None
    if body is not None:
        bodies.append(("\r\n".join(body) + "\r\n").encode("ascii"))
    return bodies


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    rfc_dir, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    failures, checked = 0, 0
    for row in (rfc_dir / "examples.tsv").read_text().splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        data_file, section_file, index = row.split("\t")
        bodies = sdp_bodies((rfc_dir / section_file).read_text(encoding="ascii"))
        k = int(index)
        if not 1 <= k <= len(bodies):
            print(f"FAIL {data_file}: {section_file} has {len(bodies)} SDP bodies, not {k}")
            failures += 1
            continue
        want, got = bodies[k - 1], (data_dir / data_file).read_bytes()
        checked += 1
        if want == got:
            continue
        failures += 1
        wl, gl = want.split(b"\r\n"), got.split(b"\r\n")
        for i in range(max(len(wl), len(gl))):
            w = wl[i] if i < len(wl) else b"(end)"
            g = gl[i] if i < len(gl) else b"(end)"
            if w != g:
                print(f"FAIL {data_file}: line {i + 1} is {g!r}, {section_file} body {k} has {w!r}")
                break
    print(f"rfc_examples: {checked} data files compared with the RFC text, {failures} differ")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

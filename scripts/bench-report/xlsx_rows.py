"""Count the detail rows of an .xlsx file, for scripts/bench-report.sh.

Reads xl/workbook.xml and its relationships to find each sheet's part,
and counts the <row> elements of the sheets named "Detail", "Detail 2",
... streaming through the compressed XML, less one header row each. Prints
"ROWS SHEETS NAMES": the detail rows, the number of sheets in the workbook,
and their names joined with "|".

usage: /usr/bin/python3 xlsx_rows.py FILE.xlsx
"""
import posixpath
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DETAIL = re.compile(r"^Detail( [0-9]+)?$")
ROW = re.compile(rb"<row[ >]")


def count_rows(z, part):
    """The <row> elements of a sheet part, read in chunks."""
    n = 0
    tail = b""
    with z.open(part) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return n
            # "<row " or "<row>", not "<rowBreaks"; a match is 5 bytes, so one
            # that ends in this chunk is never counted twice with a 4-byte tail.
            buf = tail + chunk
            n += len(ROW.findall(buf))
            tail = buf[-4:]


def main(path):
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels.iter(NS_PKG + "Relationship")}
        names = []
        rows = 0
        for s in wb.iter(NS_MAIN + "sheet"):
            name = s.get("name")
            names.append(name)
            if not DETAIL.match(name):
                continue
            t = target[s.get(NS_REL + "id")]
            part = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
            rows += count_rows(z, part) - 1
    print(rows, len(names), "|".join(names))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: xlsx_rows.py FILE.xlsx")
    main(sys.argv[1])

#!/usr/bin/python3
"""Dump the cells of an .xlsx, one per line: SHEET<TAB>REF<TAB>VALUE<TAB>NUMBER FORMAT.

Reads the file with the standard library only (zipfile, xml.etree), so
that the tests check what Excel would read, on any Debian with python3.
With --parts, list the members of the zip instead.
"""
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
BUILTIN = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "mm-dd-yy"}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--parts":
        for name in zipfile.ZipFile(sys.argv[2]).namelist():
            print(name)
        return
    z = zipfile.ZipFile(sys.argv[1])
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    styles = ET.fromstring(z.read("xl/styles.xml"))
    fmts = dict(BUILTIN)
    for f in styles.findall("m:numFmts/m:numFmt", NS):
        fmts[int(f.get("numFmtId"))] = f.get("formatCode")
    xfs = [int(x.get("numFmtId", "0")) for x in styles.findall("m:cellXfs/m:xf", NS)]
    for sheet in wb.findall("m:sheets/m:sheet", NS):
        name = sheet.get("name")
        path = "xl/" + target[sheet.get("{%s}id" % NS["r"])].lstrip("/").replace("xl/", "", 1)
        root = ET.fromstring(z.read(path))
        for c in root.iter("{%s}c" % NS["m"]):
            t, v = c.get("t"), c.find("m:v", NS)
            if t == "inlineStr":
                value = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
            elif t == "s":
                value = shared[int(v.text)]
            elif v is not None:
                value = v.text
            else:
                continue
            fmt = fmts.get(xfs[int(c.get("s", "0"))], "") if xfs else ""
            print("%s\t%s\t%s\t%s" % (name, c.get("r"), value, fmt))


main()

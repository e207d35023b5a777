#!/usr/bin/env python3
"""Writes the office documents and hostile files of check_extract into DIR:
valid DOCX, XLSX, ODT and ODS packages (zipfile and well-formed XML, as the
formats specify them), a two-page PDF made by groff, a scanned-like PDF (the
groff pages rendered to images by poppler's pdftoppm, then wrapped as a PDF
with no text layer), and the hostile ones."""
import os
import subprocess
import sys
import zipfile
import zlib

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
ODF = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')


def docx(path, paras, document=None):
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paras)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PR}">'
                   f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/>'
                   '</Relationships>')
        z.writestr("word/document.xml", document or
                   f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}">'
                   f'<w:body>{body}</w:body></w:document>')


def xlsx(path, sheets):
    strings = sorted({c for rows in sheets for row in rows for c in row if isinstance(c, str)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
                   '<Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("xl/workbook.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{S}" xmlns:r="{R}"><sheets>'
                   + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>'
                             for i in range(1, len(sheets) + 1)) + '</sheets></workbook>')
        z.writestr("xl/sharedStrings.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{S}">'
                   + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        for i, rows in enumerate(sheets, 1):
            xml = "".join(
                "<row>" + "".join(
                    f'<c t="s"><v>{strings.index(c)}</v></c>' if isinstance(c, str)
                    else f"<c><v>{c}</v></c>" for c in row) + "</row>" for row in rows)
            z.writestr(f"xl/worksheets/sheet{i}.xml",
                       f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{S}">'
                       f"<sheetData>{xml}</sheetData></worksheet>")


def odf(path, mimetype, inner):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                   '</manifest:manifest>', zipfile.ZIP_DEFLATED)
        z.writestr("content.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF}>'
                   f"<office:body>{inner}</office:body></office:document-content>",
                   zipfile.ZIP_DEFLATED)


def pdf_write(path, objs):
    """A PDF of objs (object 1 the catalogue), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    open(path, "wb").write(out)


def pdf_bomb(path, size):
    """A one-page PDF whose content stream inflates to size bytes."""
    data = zlib.compress(b" " * size, 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    pdf_write(path, objs)


def forms_pdf(path, depth):
    """A tiny PDF that keeps a reader busy for hours: each Form XObject
    draws the next one twice, depth levels deep (2**depth drawings)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length 5 >>\nstream\n/X Do\nendstream"]
    for i in range(depth):
        last = i + 1 == depth
        c = b"0 0 1 1 re f" if last else b"/X Do /X Do"
        res = b"" if last else b"/Resources << /XObject << /X %d 0 R >> >>" % (6 + i)
        objs.append(b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] %s /Length %d >>\n"
                    b"stream\n" % (res, len(c)) + c + b"\nendstream")
    pdf_write(path, objs)


def image_pdf(path, pgms, dpi):
    """A PDF whose pages are only the greyscale images pgms (PGM files made
    by pdftoppm -gray), as a scanner writes them: no text to extract."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for p in pgms:
        raw = open(p, "rb").read()
        magic, w, h, _, pixels = raw.split(maxsplit=4)
        assert magic == b"P5"
        w, h = int(w), int(h)
        pw, ph = w * 72 // dpi, h * 72 // dpi
        n = len(objs) + 1
        kids.append(n)
        z = zlib.compress(pixels[: w * h])
        content = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (pw, ph)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources"
                    b" << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (pw, ph, n + 1, n + 2))
        objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace"
                    b" /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\n"
                    b"stream\n" % (w, h, len(z)) + z + b"\nendstream")
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs[1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
               + b"] /Count %d >>" % len(kids))
    pdf_write(path, objs)


def scanned(d):
    ms = (".LP\n.ps 14\nScanned page one: the council holds no minutes of the meeting.\n"
          ".bp\n.LP\n.ps 14\nScanned page two: the budget was not discussed.\n")
    src = f"{d}/scan-source.pdf"
    with open(src, "wb") as f:
        subprocess.run(["groff", "-ms", "-Tpdf"], input=ms.encode(), stdout=f, check=True)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", src, f"{d}/scan"], check=True)
    pages = sorted(p for p in os.listdir(d) if p.startswith("scan-") and p.endswith(".pgm"))
    image_pdf(f"{d}/scanned.pdf", [f"{d}/{p}" for p in pages], 150)
    for p in pages + ["scan-source.pdf"]:
        os.unlink(f"{d}/{p}")


def main(d):
    docx(f"{d}/answer.docx", ["Question 1: yes, the council took part.",
                               "Question 2: it spent 12,450 pounds on advice."])
    xlsx(f"{d}/figures.xlsx", [[["council", "on time"], ["Bolton", "yes"], ["Wigan", "no"]],
                               [["year", "complaints"], [2016, 42]]])
    odf(f"{d}/answer.odt", "application/vnd.oasis.opendocument.text",
        "<office:text><text:h>Response</text:h><text:p>We hold<text:s/>no"
        " minutes of the leadership talks.</text:p></office:text>")
    odf(f"{d}/figures.ods", "application/vnd.oasis.opendocument.spreadsheet",
        "<office:spreadsheet><table:table><table:table-row><table:table-cell><text:p>Rochdale"
        "</text:p></table:table-cell><table:table-cell><text:p>late</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet>")
    ms = ".LP\nPage one: the cost limit was not reached.\n.bp\n.LP\nPage two: 114 of 155 answered.\n"
    with open(f"{d}/two-pages.pdf", "wb") as f:
        subprocess.run(["groff", "-ms", "-Tpdf"], input=ms.encode(), stdout=f, check=True)
    # Hostile: a document part that unpacks to 200 MiB of spaces.
    docx(f"{d}/bomb.docx", [], document='<?xml version="1.0"?><w:document xmlns:w="%s">' % W
         + " " * (200 << 20) + "</w:document>")
    # Hostile: billion laughs inside a DOCX.
    lol = "".join(f'<!ENTITY l{i} "' + f"&l{i-1};" * 10 + '">' for i in range(1, 10))
    docx(f"{d}/entities.docx", [], document=f'<?xml version="1.0"?><!DOCTYPE w:document '
         f'[<!ENTITY l0 "lol">{lol}]><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&l9;'
         '</w:t></w:r></w:p></w:body></w:document>')
    raw = open(f"{d}/answer.docx", "rb").read()
    open(f"{d}/truncated.docx", "wb").write(raw[: len(raw) // 2])
    # A name that lies: "report.pdf" holding bytes no reader takes.
    open(f"{d}/report.pdf", "wb").write(bytes(range(256)) * 64)
    pdf_bomb(f"{d}/spin.pdf", 1 << 30)
    forms_pdf(f"{d}/forms.pdf", 26)
    scanned(d)


if __name__ == "__main__":
    main(sys.argv[1])

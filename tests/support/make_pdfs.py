"""Unsigned test PDFs from several producers.

    python3 make_pdfs.py OUTDIR            # reportlab, fpdf2, objstm, linearized, many_pages
    python3 make_pdfs.py --large MB FILE   # one PDF of about MB megabytes (benchmarks)

reportlab and fpdf2 write classic cross-reference tables; qpdf rewrites one
of them with object and cross-reference streams, and linearizes another.
"""

import argparse
import os
import subprocess
import sys


def reportlab_pdf(path, pages=2, title="Thông báo"):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path)
    c.setTitle(title)
    for i in range(pages):
        c.drawString(72, 770, f"SO GIAO DUC VA DAO TAO - THONG BAO 610/TB-SGDDT - page {i + 1}")
        for line in range(40):
            c.drawString(72, 740 - line * 16, f"Line {line}: The Department informs all public high schools of the schedule.")
        c.showPage()
    c.save()


def fpdf2_pdf(path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in range(30):
        pdf.cell(0, 8, f"fpdf2 line {line}: notice to district offices", new_x="LMARGIN", new_y="NEXT")
    pdf.output(path)


def large_pdf(path, megabytes):
    """Pages carrying incompressible image data, so size grows quickly."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    import io
    import zlib

    # A raw RGB image of random bytes, stored with FlateDecode by reportlab:
    # random data does not compress, so each page adds ~ its raw size.
    side = 512
    per_page = side * side * 3
    # reportlab stores images ASCII85-encoded: 5 bytes for every 4.
    pages = max(1, (megabytes * 1_000_000) // (per_page * 5 // 4))
    c = canvas.Canvas(path, pageCompression=0)
    for i in range(pages):
        raw = os.urandom(per_page)
        from PIL import Image  # reportlab depends on pillow

        img = Image.frombytes("RGB", (side, side), raw)
        c.drawImage(ImageReader(img), 50, 200, width=400, height=400)
        c.drawString(72, 770, f"large test page {i + 1}")
        c.showPage()
    c.save()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", nargs=2, metavar=("MB", "FILE"))
    ap.add_argument("outdir", nargs="?")
    a = ap.parse_args()
    try:
        if a.large:
            large_pdf(a.large[1], int(a.large[0]))
            return
        if not a.outdir:
            ap.error("OUTDIR is required")
        os.makedirs(a.outdir, exist_ok=True)
        out = lambda n: os.path.join(a.outdir, n)
        reportlab_pdf(out("reportlab.pdf"))
        fpdf2_pdf(out("fpdf2.pdf"))
        subprocess.run(["qpdf", "--object-streams=generate", out("reportlab.pdf"), out("objstm.pdf")], check=True)
        subprocess.run(["qpdf", "--linearize", out("reportlab.pdf"), out("linearized.pdf")], check=True)
        reportlab_pdf(out("many_pages.pdf"), pages=300)
    except Exception as e:  # one line for the test log
        print(f"make_pdfs.py: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Unsigned test PDFs from several producers.

    python3 make_pdfs.py OUTDIR            # the files below, into OUTDIR
    python3 make_pdfs.py --large MB FILE   # one PDF of about MB megabytes (benchmarks)

OUTDIR gets:
  reportlab.pdf   2 pages of text, classic cross-reference table
  fpdf2.pdf       1 page from fpdf2, classic cross-reference table
  objstm.pdf      reportlab.pdf rewritten by qpdf with object streams and
                  a cross-reference stream
  linearized.pdf  reportlab.pdf linearized by qpdf
  many_pages.pdf  300 pages of text from reportlab
  form.pdf        1 page with an empty AcroForm text field "Name" (for
                  modify.py fill-field)

The --large file is made of pages carrying random-noise images, which do not
compress, so its size grows quickly (about 1 s per 5 MB).
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


def form_pdf(path):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path)
    c.drawString(72, 770, "Acknowledgement of receipt")
    c.drawString(72, 700, "Name:")
    c.acroForm.textfield(name="Name", tooltip="Name", x=120, y=695, width=250, height=20, value="")
    c.showPage()
    c.save()


def large_pdf(path, megabytes):
    """Pages carrying incompressible images, so size grows quickly."""
    import reportlab.rl_config
    from PIL import Image  # a reportlab dependency
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    reportlab.rl_config.useA85 = 0  # binary image streams: bytes on disk ~ raw size
    side = 512
    per_page = side * side * 3
    pages = max(1, round(megabytes * 1_000_000 / per_page))
    c = canvas.Canvas(path)
    for i in range(pages):
        img = Image.frombytes("RGB", (side, side), os.urandom(per_page))
        c.drawImage(ImageReader(img), 50, 200, width=400, height=400)
        c.drawString(72, 770, f"large test page {i + 1}")
        c.showPage()
    c.save()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", nargs=2, metavar=("MB", "FILE"), help="write one large PDF instead")
    ap.add_argument("outdir", nargs="?")
    a = ap.parse_args()
    if a.large:
        if a.outdir:
            ap.error("OUTDIR and --large do not go together")
        try:
            megabytes = float(a.large[0])
        except ValueError:
            ap.error(f"--large: MB must be a number, not {a.large[0]!r}")
    elif not a.outdir:
        ap.error("OUTDIR is required")
    try:
        if a.large:
            large_pdf(a.large[1], megabytes)
            return
        os.makedirs(a.outdir, exist_ok=True)
        out = lambda n: os.path.join(a.outdir, n)
        reportlab_pdf(out("reportlab.pdf"))
        fpdf2_pdf(out("fpdf2.pdf"))
        for flags, name in ((["--object-streams=generate"], "objstm.pdf"), (["--linearize"], "linearized.pdf")):
            r = subprocess.run(["qpdf", *flags, out("reportlab.pdf"), out(name)], capture_output=True, text=True)
            if r.returncode not in (0, 3):  # 3: succeeded with warnings
                raise RuntimeError(f"qpdf {' '.join(flags)} failed: {r.stderr.strip()}")
        reportlab_pdf(out("many_pages.pdf"), pages=300)
        form_pdf(out("form.pdf"))
    except Exception as e:  # one line for the test log
        msg = " ".join(str(e).split())
        print(f"make_pdfs.py: {type(e).__name__}: {msg}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

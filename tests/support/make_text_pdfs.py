"""Official-document-like PDFs from three producers, for the text layer and
header tests. Each NAME.pdf comes with NAME.json: the header values the
generator put in, which the tests compare `vanthu inspect` with.

    python3 make_text_pdfs.py OUTDIR [--libreoffice]

OUTDIR gets:
  rl_plan.pdf      reportlab, Liberation Serif (TrueType subset with a
                   ToUnicode map); the signer block drawn through a form
                   XObject; a line with character spacing, horizontal
                   scaling and rise
  fpdf2_decision.pdf  fpdf2, Liberation Serif embedded as Type0 Identity-H
                   with /W widths; the head signs directly (no competence)
  lo_letter.pdf    (with --libreoffice) a flat ODT converted by LibreOffice:
                   a công văn with its "V/v" subject, header in a table
"""

import json
import os
import subprocess
import sys
import tempfile

FONT_DIR = "/usr/share/fonts/truetype/liberation2/"
SERIF = FONT_DIR + "LiberationSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR + "LiberationSerif-Bold.ttf"


def reportlab_plan(out):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Serif", SERIF))
    pdfmetrics.registerFont(TTFont("SerifB", SERIF_BOLD))
    c = canvas.Canvas(out)
    w, _ = c._pagesize
    left, right = 160, w - 160
    c.setFont("Serif", 12)
    c.drawCentredString(left, 790, "ỦY BAN NHÂN DÂN TỈNH BÌNH DƯƠNG")
    c.setFont("SerifB", 12)
    c.drawCentredString(left, 775, "SỞ GIÁO DỤC VÀ ĐÀO TẠO")
    c.drawCentredString(right, 790, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.drawCentredString(right, 775, "Độc lập - Tự do - Hạnh phúc")
    c.setFont("Serif", 13)
    c.drawCentredString(left, 750, "Số: 125/KH-SGDĐT")
    c.drawCentredString(right, 750, "Bình Dương, ngày 15 tháng 4 năm 2024")
    c.setFont("SerifB", 14)
    c.drawCentredString(w / 2, 710, "KẾ HOẠCH")
    c.setFont("SerifB", 13)
    c.drawCentredString(w / 2, 692, "Tổ chức kỳ thi tuyển sinh lớp 10")
    c.drawCentredString(w / 2, 676, "năm học 2024 - 2025")
    c.setFont("Serif", 13)
    c.drawString(70, 640, "Căn cứ Thông tư số 30/2024/TT-BGDĐT của Bộ Giáo dục và Đào tạo;")
    # Text state operators the extractor must follow.
    t = c.beginText(70, 620)
    t.setFont("Serif", 13)
    t.setCharSpace(0.5)
    t.setHorizScale(90)
    t.textOut("Sở Giáo dục và Đào tạo ")
    t.setRise(2)
    t.textOut("ban hành kế hoạch")
    t.setRise(0)
    t.setCharSpace(0)
    t.setHorizScale(100)
    t.textLine(" như sau.")
    c.drawText(t)
    c.setFont("Serif", 12)
    c.drawString(70, 520, "Nơi nhận:")
    c.setFont("Serif", 11)
    recipients = ["- Phòng GDĐT các huyện, thị xã, thành phố;", "- Các trường THPT;"]
    y = 505
    for r in recipients:
        c.drawString(70, y, r)
        y -= 14
    c.drawString(70, y, "- Lưu: VT, KTQLCL.")
    # The signer block as a form XObject placed with a translation.
    c.beginForm("signer")
    c.setFont("SerifB", 13)
    c.drawCentredString(0, 0, "KT. GIÁM ĐỐC")
    c.drawCentredString(0, -16, "PHÓ GIÁM ĐỐC")
    c.drawCentredString(0, -90, "Nguyễn Thị Mai")
    c.endForm()
    c.saveState()
    c.translate(right, 520)
    c.doForm("signer")
    c.restoreState()
    c.showPage()
    c.save()
    return {
        "number": "125/KH-SGDĐT",
        "place": "Bình Dương",
        "date": "2024-04-15",
        "document_type": "KẾ HOẠCH",
        "subject": "Tổ chức kỳ thi tuyển sinh lớp 10 năm học 2024 - 2025",
        "competence": "KT. GIÁM ĐỐC",
        "position": "PHÓ GIÁM ĐỐC",
        "name": "Nguyễn Thị Mai",
        "recipients": ["Phòng GDĐT các huyện, thị xã, thành phố;", "Các trường THPT;"],
        "archive": "VT, KTQLCL.",
    }


def fpdf2_decision(out):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("Serif", "", SERIF)
    pdf.add_font("Serif", "B", SERIF_BOLD)
    pdf.set_auto_page_break(False)
    pdf.add_page()

    def at(x, y, w, text, size=13, style="", align="C"):
        pdf.set_font("Serif", style, size)
        pdf.set_xy(x, y)
        pdf.cell(w, 6, text, align=align)

    at(10, 12, 90, "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG", 12)
    at(10, 18, 90, "SỞ GIÁO DỤC VÀ ĐÀO TẠO", 12, "B")
    at(100, 12, 100, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, "B")
    at(100, 18, 100, "Độc lập - Tự do - Hạnh phúc", 13, "B")
    at(10, 30, 90, "Số: 45/QĐ-SGDĐT")
    at(100, 30, 100, "Đà Nẵng, ngày 02 tháng 11 năm 2023")
    at(10, 48, 190, "QUYẾT ĐỊNH", 14, "B")
    at(10, 55, 190, "Về việc thành lập Hội đồng thi chọn học sinh giỏi", 14, "B")
    at(10, 68, 190, "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO", 14, "B")
    at(20, 80, 170, "Căn cứ Quyết định số 12/2021/QĐ-UBND của Ủy ban nhân dân thành phố;", 13, "", "L")
    at(20, 88, 170, "Theo đề nghị của Trưởng phòng Giáo dục Trung học.", 13, "", "L")
    at(20, 130, 80, "Nơi nhận:", 12, "B", "L")
    at(20, 136, 80, "- Như Điều 3;", 11, "", "L")
    at(20, 141, 80, "- Giám đốc Sở (để b/c);", 11, "", "L")
    at(20, 146, 80, "- Lưu: VT, GDTrH.", 11, "", "L")
    at(110, 130, 90, "GIÁM ĐỐC", 13, "B")
    at(110, 165, 90, "Lê Thị Bích Thuận", 13, "B")
    pdf.output(out)
    return {
        "number": "45/QĐ-SGDĐT",
        "place": "Đà Nẵng",
        "date": "2023-11-02",
        "document_type": "QUYẾT ĐỊNH",
        "subject": "Về việc thành lập Hội đồng thi chọn học sinh giỏi",
        "competence": None,
        "position": "GIÁM ĐỐC",
        "name": "Lê Thị Bích Thuận",
        "recipients": ["Như Điều 3;", "Giám đốc Sở (để b/c);"],
        "archive": "VT, GDTrH.",
    }


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:font-face-decls>
  <style:font-face style:name="Liberation Serif" svg:font-family="'Liberation Serif'"/>
 </office:font-face-decls>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0cm"/>
   <style:text-properties style:font-name="Liberation Serif" fo:font-size="13pt"/>
  </style:default-style>
 </office:styles>
 <office:automatic-styles>
  <style:style style:name="C" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/></style:style>
  <style:style style:name="CB" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="S" style:family="paragraph"><style:text-properties fo:font-size="11pt"/></style:style>
  <style:style style:name="J" style:family="paragraph"><style:paragraph-properties fo:text-align="justify" fo:text-indent="1cm"/></style:style>
 </office:automatic-styles>
 <office:body><office:text>
  <table:table table:name="H"><table:table-column table:number-columns-repeated="2"/>
   <table:table-row>
    <table:table-cell><text:p text:style-name="C">ỦY BAN NHÂN DÂN</text:p><text:p text:style-name="C">THÀNH PHỐ HÀ NỘI</text:p>
     <text:p text:style-name="CB">SỞ GIÁO DỤC VÀ ĐÀO TẠO</text:p><text:p text:style-name="C"/>
     <text:p text:style-name="C">Số: 2031/SGDĐT-VP</text:p><text:p text:style-name="C">V/v triển khai chuyển đổi số</text:p>
     <text:p text:style-name="C">trong các cơ sở giáo dục</text:p></table:table-cell>
    <table:table-cell><text:p text:style-name="CB">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</text:p>
     <text:p text:style-name="CB">Độc lập - Tự do - Hạnh phúc</text:p><text:p text:style-name="C"/><text:p text:style-name="C"/>
     <text:p text:style-name="C">Hà Nội, ngày 20 tháng 12 năm 2025</text:p></table:table-cell>
   </table:table-row>
  </table:table>
  <text:p text:style-name="C"/>
  <text:p text:style-name="C">Kính gửi: Hiệu trưởng các trường trung học phổ thông.</text:p>
  <text:p text:style-name="C"/>
  <text:p text:style-name="J">Thực hiện kế hoạch chuyển đổi số của ngành, Sở Giáo dục và Đào tạo đề nghị các đơn vị triển khai các nội dung sau đây, báo cáo kết quả trước ngày 30 tháng 01 năm 2026 để tổng hợp.</text:p>
  <text:p text:style-name="C"/>
  <table:table table:name="F"><table:table-column table:number-columns-repeated="2"/>
   <table:table-row>
    <table:table-cell><text:p text:style-name="S">Nơi nhận:</text:p><text:p text:style-name="S">- Như trên;</text:p>
     <text:p text:style-name="S">- Giám đốc Sở (để báo cáo);</text:p><text:p text:style-name="S">- Lưu: VT, VP.</text:p></table:table-cell>
    <table:table-cell><text:p text:style-name="CB">TL. GIÁM ĐỐC</text:p><text:p text:style-name="CB">CHÁNH VĂN PHÒNG</text:p>
     <text:p text:style-name="C"/><text:p text:style-name="C"/><text:p text:style-name="C"/><text:p text:style-name="C"/>
     <text:p text:style-name="CB">Trần Thị Lan</text:p></table:table-cell>
   </table:table-row>
  </table:table>
 </office:text></office:body>
</office:document>
"""


def libreoffice_letter(outdir):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "lo_letter.fodt")
        with open(src, "w", encoding="utf-8") as f:
            f.write(FODT)
        # A private profile, so concurrent runs do not share (and lock) one.
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
             "--convert-to", "pdf", "--outdir", outdir, src],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300,
        )
    return {
        "number": "2031/SGDĐT-VP",
        "place": "Hà Nội",
        "date": "2025-12-20",
        "document_type": "CÔNG VĂN",
        "subject": "V/v triển khai chuyển đổi số trong các cơ sở giáo dục",
        "competence": "TL. GIÁM ĐỐC",
        "position": "CHÁNH VĂN PHÒNG",
        "name": "Trần Thị Lan",
        "recipients": ["Như trên;", "Giám đốc Sở (để báo cáo);"],
        "archive": "VT, VP.",
    }


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    made = {
        "rl_plan": reportlab_plan(os.path.join(outdir, "rl_plan.pdf")),
        "fpdf2_decision": fpdf2_decision(os.path.join(outdir, "fpdf2_decision.pdf")),
    }
    if "--libreoffice" in args:
        made["lo_letter"] = libreoffice_letter(outdir)
    for name, values in made.items():
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(values, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()

"""The sample notice for the README's run command: a one-page PDF laid out
like notice No. 610/TB-SGDĐT (../shared/seeds/004): the two-column header,
the type and subject, an excerpt of the body, the "Nơi nhận" block and the
real signer block ("TL. GIÁM ĐỐC / CHÁNH VĂN PHÒNG", room for the signature
and the seal, "Hồ Tấn Minh").

    python3 make_sample.py OUT.pdf

Uses Liberation Serif (Debian fonts-liberation2) when installed, for the
Vietnamese text; falls back to an ASCII rendering otherwise.
"""

import os
import sys
import unicodedata

FONT_DIR = "/usr/share/fonts/truetype/liberation2/"
FONTS = {"R": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf", "I": "LiberationSerif-Italic.ttf"}

HEADER_LEFT = ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HỒ CHÍ MINH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"]
HEADER_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
NUMBER = "Số: 610/TB-SGDĐT"
PLACE_DATE = "Thành phố Hồ Chí Minh, ngày 08 tháng 3 năm 2022"
TITLE = "THÔNG BÁO"
SUBJECT = [
    "Kết luận và chỉ đạo của Giám đốc Sở Giáo dục và Đào tạo",
    "tại Hội nghị Giao ban chuyên môn năm học 2021 - 2022",
]
BODY = (
    "Ngày 02 và 04 tháng 3 năm 2022, đồng chí Nguyễn Văn Hiếu, Giám đốc Sở Giáo dục và Đào tạo "
    "chủ trì Hội nghị Giao ban chuyên môn năm học 2021 - 2022 nhằm đánh giá tình hình thực hiện kế "
    "hoạch năm học và triển khai các nhiệm vụ trong năm trong thời gian tới.",
    "Văn phòng Sở thông báo kết luận và chỉ đạo của đồng chí Giám đốc Sở Giáo dục và Đào tạo tại "
    "Hội nghị Giao ban chuyên môn năm học 2021 - 2022 đến các tập thể và cá nhân có liên quan để tổ "
    "chức thực hiện./.",
)
RECIPIENTS = [
    "- UBND thành phố Thủ Đức và các quận, huyện;",
    "- BTV, BGĐ Sở GD&ĐT, BTV Công đoàn GD Thành phố;",
    "- Trưởng các Phòng thuộc Sở;",
    "- Trưởng Phòng GD&ĐT tp. Thủ Đức và các Q/H;",
    "- Hiệu trưởng các Trường THPT, trường phổ thông",
    "  có nhiều cấp học (có cấp THPT);",
    "- Giám đốc các TT.GDNN-GDTX;",
    "- Thủ trưởng các đơn vị trực thuộc;",
    "- Lưu: VT, VP (M-H).",
]
SIGNER = ["TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"]
NAME = "Hồ Tấn Minh"
# The signer's room between the position and the name, in points: enough
# for the signature image and a 36 mm seal (102 pt) with the organisation's
# two text lines under it, without covering any text.
SIGNATURE_ROOM = 190


def ascii_only(s):
    s = s.replace("Đ", "D").replace("đ", "d")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def wrap(c, text, font, size, width):
    lines, cur = [], ""
    for word in text.split():
        trial = (cur + " " + word).strip()
        if c.stringWidth(trial, font, size) > width and cur:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if all(os.path.exists(FONT_DIR + f) for f in FONTS.values()):
        for k, f in FONTS.items():
            pdfmetrics.registerFont(TTFont("Serif" + k, FONT_DIR + f))
        font = {k: "Serif" + k for k in FONTS}
        t = lambda s: s
    else:
        font = {"R": "Times-Roman", "B": "Times-Bold", "I": "Times-Italic"}
        t = ascii_only
    c = canvas.Canvas(sys.argv[1])
    c.setTitle("Thông báo 610/TB-SGDĐT (mẫu)")
    width, _ = c._pagesize
    left_c, right_c = 165, width - 165
    y = 800
    for i, line in enumerate(HEADER_LEFT):
        c.setFont(font["B"] if i == 2 else font["R"], 12)
        c.drawCentredString(left_c, y - 15 * i, t(line))
    c.setFont(font["B"], 12)
    c.drawCentredString(right_c, y, t(HEADER_RIGHT[0]))
    c.drawCentredString(right_c, y - 15, t(HEADER_RIGHT[1]))
    c.setFont(font["R"], 13)
    c.drawCentredString(left_c, y - 55, t(NUMBER))
    c.setFont(font["I"], 13)
    c.drawCentredString(right_c, y - 55, t(PLACE_DATE))
    c.setFont(font["B"], 14)
    c.drawCentredString(width / 2, y - 95, t(TITLE))
    c.setFont(font["B"], 13)
    for i, line in enumerate(SUBJECT):
        c.drawCentredString(width / 2, y - 113 - 16 * i, t(line))
    y = y - 175
    c.setFont(font["R"], 13)
    for para in BODY:
        for i, line in enumerate(wrap(c, t(para), font["R"], 13, width - 170)):
            c.drawString(70 + (30 if i == 0 else 0), y, line)
            y -= 18
        y -= 6
    y -= 20
    top = y
    c.setFont(font["B"], 12)
    c.drawString(70, top, t("Nơi nhận:"))
    c.setFont(font["R"], 11)
    for i, line in enumerate(RECIPIENTS):
        c.drawString(70, top - 14 - 13 * i, t(line))
    c.setFont(font["B"], 13)
    for i, line in enumerate(SIGNER):
        c.drawCentredString(right_c + 20, top - 16 * i, t(line))
    c.drawCentredString(right_c + 20, top - 16 * (len(SIGNER) - 1) - SIGNATURE_ROOM, t(NAME))
    c.showPage()
    c.save()


if __name__ == "__main__":
    main()

"""The sample notice for the README's run command: a one-page PDF modelled on
notice No. 610/TB-SGDĐT (header, body, "Nơi nhận" block, signer line).

    python3 make_sample.py OUT.pdf

Uses Liberation Serif (Debian fonts-liberation2) when installed, for the
Vietnamese text; falls back to an ASCII rendering otherwise.
"""

import os
import sys
import unicodedata

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"

LINES = [
    "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO                                   Độc lập - Tự do - Hạnh phúc",
    "Số: 610/TB-SGDĐT                       Thành phố Hồ Chí Minh, ngày 08 tháng 3 năm 2022",
    "",
    "THÔNG BÁO",
    "Lịch công tác của Sở Giáo dục và Đào tạo (mẫu thử của vanthu)",
    "",
    "Sở Giáo dục và Đào tạo thông báo đến Hiệu trưởng các trường trung học phổ thông",
    "lịch công tác tuần như sau. (Nội dung mẫu, dùng để thử chữ ký số.)",
    "",
    "Nơi nhận:                                                 TL. GIÁM ĐỐC",
    "- Hiệu trưởng các Trường THPT;                           CHÁNH VĂN PHÒNG",
    "- Trưởng phòng GDĐT các quận, huyện;",
    "- Lưu: VT, VP.                                            Hồ Tấn Minh",
]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font, lines = "Helvetica", LINES
    if os.path.exists(FONT):
        pdfmetrics.registerFont(TTFont("LiberationSerif", FONT))
        font = "LiberationSerif"
    else:
        strip = lambda s: unicodedata.normalize("NFKD", s.replace("Đ", "D").replace("đ", "d")).encode("ascii", "ignore").decode()
        lines = [strip(l) for l in LINES]
    c = canvas.Canvas(sys.argv[1])
    c.setTitle("Thông báo 610/TB-SGDĐT (mẫu)")
    y = 790
    for line in lines:
        c.setFont(font, 14 if line in ("THÔNG BÁO",) else 11)
        c.drawString(50, y, line)
        y -= 20
    c.showPage()
    c.save()


if __name__ == "__main__":
    main()

"""Append a revision to a signed PDF with pyHanko's incremental writer.

    python3 modify.py ACTION IN.pdf OUT.pdf

Actions:
  add-page-content   replace page 1's content stream (not allowed after signing)
  add-catalog-entry  add an /OpenAction JavaScript action to the catalog (not allowed)
  update-info        change /Producer in the document information (allowed)
  add-annotation     add a sticky-note annotation to page 1 (allowed without DocMDP)
"""

import sys


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    action, src, dst = sys.argv[1:]
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import RawContent
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with open(src, "rb") as f:
        w = IncrementalPdfFileWriter(f, strict=False)
        page_ref = w.root["/Pages"]["/Kids"][0]
        page = page_ref.get_object()
        if action == "add-page-content":
            stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (PAID IN FULL) Tj ET")
            page["/Contents"] = w.add_object(stream)
            w.update_container(page)
        elif action == "add-catalog-entry":
            js = generic.DictionaryObject({pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): pdf_string("app.alert('hi')")})
            w.root["/OpenAction"] = w.add_object(js)
            w.update_root()
        elif action == "update-info":
            info = w.trailer["/Info"]
            info["/Producer"] = pdf_string("vanthu test suite")
            w.update_container(info)
        elif action == "add-annotation":
            annot = generic.DictionaryObject({
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Text"),
                pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (100, 100, 120, 120)]),
                pdf_name("/Contents"): pdf_string("Đã nhận"),
            })
            ref = w.add_object(annot)
            annots = page.get("/Annots")
            if annots is None:
                page["/Annots"] = generic.ArrayObject([ref])
                w.update_container(page)
            else:
                annots = annots.get_object() if hasattr(annots, "get_object") else annots
                annots.append(ref)
                if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
                    w.mark_update(page.raw_get("/Annots"))
                else:
                    w.update_container(page)
        else:
            print(f"modify.py: unknown action {action}", file=sys.stderr)
            sys.exit(2)
        with open(dst, "wb") as out:
            w.write(out)


if __name__ == "__main__":
    main()

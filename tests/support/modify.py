"""Append one revision to a (signed) PDF with pyHanko's incremental writer:
the original bytes stay as they are, so the fixtures model changes made after
signing.

    python3 modify.py ACTION IN.pdf OUT.pdf [options]

Actions:
  add-page-content   replace page 1's content stream (not allowed after signing)
  add-catalog-entry  add an /OpenAction JavaScript action to the catalog (not allowed)
  update-info        change /Producer in the document information (allowed)
  add-annotation     add a sticky-note annotation to page 1 (ISO 32000 allows
                     it without DocMDP; pyHanko's default policy does not)
  fill-field         set the value and appearance of a form text field
                     [--field NAME] [--value TEXT]; exits 3 if the document
                     has no text field (make_pdfs.py's form.pdf has one)
  add-sig-field      add an empty invisible signature field [--field NAME],
                     for sign.py --use-existing-field
"""

import argparse
import sys

NO_TEXT_FIELD = 3


def first_page(w):
    node = w.root["/Pages"]
    while "/Kids" in node:
        node = node["/Kids"][0].get_object()
    return node


def add_page_content(w, a):
    from pyhanko.pdf_utils import generic

    page = first_page(w)
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (PAID IN FULL) Tj ET")
    page["/Contents"] = w.add_object(stream)
    w.update_container(page)


def add_catalog_entry(w, a):
    from pyhanko.pdf_utils.generic import DictionaryObject, pdf_name, pdf_string

    js = DictionaryObject({pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): pdf_string("app.alert('hi')")})
    w.root["/OpenAction"] = w.add_object(js)
    w.update_root()


def update_info(w, a):
    from pyhanko.pdf_utils.generic import DictionaryObject, pdf_string

    if "/Info" not in w.trailer:
        w.set_info(DictionaryObject({"/Producer": pdf_string("vanthu test suite")}))
        return
    # pyHanko numbers new objects from /Size + 1, so a revision that adds no
    # object would claim a /Size one too big (qpdf --check warns); start at
    # /Size instead. (pyHanko itself still appends "; pyHanko 0.38.0" to
    # /Producer and sets /ModDate: it manages /Info on every write.)
    w._lastobj_id = int(w.trailer["/Size"]) - 1
    info = w.trailer["/Info"]
    info["/Producer"] = pdf_string("vanthu test suite")
    w.update_container(info)


def add_annotation(w, a):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    page = first_page(w)
    annot = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"),
        pdf_name("/Subtype"): pdf_name("/Text"),
        pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (100, 100, 120, 120)]),
        pdf_name("/Contents"): pdf_string("Đã nhận"),
    })
    ref = w.add_object(annot)
    raw = page.raw_get("/Annots") if "/Annots" in page else None
    if raw is None:
        page["/Annots"] = generic.ArrayObject([ref])
        w.update_container(page)
    elif isinstance(raw, generic.IndirectObject):
        raw.get_object().append(ref)
        w.mark_update(raw)
    else:
        raw.append(ref)
        w.update_container(page)


def get(d, key, default=None):
    """d[key] resolved (pyHanko's .get() returns indirect references as is)."""
    return d[key] if key in d else default


def text_fields(fields, inherited_ft=None):
    """Terminal text fields, depth first."""
    for ref in fields:
        field = ref.get_object()
        ft = get(field, "/FT", inherited_ft)
        kids = [k for k in get(field, "/Kids", []) if "/T" in k.get_object()]
        if kids:
            yield from text_fields(kids, ft)
        elif ft == "/Tx":
            yield field


def fill_field(w, a):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    form = get(w.root, "/AcroForm")
    candidates = list(text_fields(get(form, "/Fields", []))) if form is not None else []
    if a.field:
        candidates = [f for f in candidates if get(f, "/T") == a.field]
    if not candidates:
        print(f"modify.py: no form text field{' ' + a.field if a.field else ''} in {a.input}", file=sys.stderr)
        sys.exit(NO_TEXT_FIELD)
    field = candidates[0]
    field["/V"] = pdf_string(a.value)
    w.update_container(field)
    widgets = [k.get_object() for k in get(field, "/Kids", [])] or [field]
    font = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"),
        pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Helvetica"),
    })
    text = a.value.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    for widget in widgets:
        x1, y1, x2, y2 = [float(v) for v in widget["/Rect"]]
        ap = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, x2 - x1, y2 - y1)]),
                pdf_name("/Resources"): generic.DictionaryObject({
                    pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): w.add_object(font)}),
                }),
            },
            stream_data=b"/Tx BMC q BT /Helv 10 Tf 2 5 Td (" + text + b") Tj ET Q EMC",
        )
        widget["/AP"] = generic.DictionaryObject({pdf_name("/N"): w.add_object(ap)})
        w.update_container(widget)


def add_sig_field(w, a):
    from pyhanko.sign import fields

    fields.append_signature_field(w, fields.SigFieldSpec(sig_field_name=a.field or "Sig2"))


ACTIONS = {
    "add-page-content": add_page_content,
    "add-catalog-entry": add_catalog_entry,
    "update-info": update_info,
    "add-annotation": add_annotation,
    "fill-field": fill_field,
    "add-sig-field": add_sig_field,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=ACTIONS)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--field", help="fill-field: field to fill (default: the first text field); "
                                    "add-sig-field: name of the new field (default Sig2)")
    ap.add_argument("--value", default="Nguyen Van A", help="fill-field: the value (default %(default)r)")
    a = ap.parse_args()
    try:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        with open(a.input, "rb") as f:
            w = IncrementalPdfFileWriter(f, strict=False)
            ACTIONS[a.action](w, a)
            with open(a.output, "wb") as out:
                w.write(out)
    except Exception as e:
        msg = " ".join(str(e).split()) or "failed"
        print(f"modify.py: {a.action}: {type(e).__name__}: {msg}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

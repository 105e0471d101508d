//! What a revision added after a signature may change, judged on documents
//! built here: a legitimate form fill passes; each attack class of issue 9
//! §2 is a modification ("other") however the revision presents itself.

mod common;

use common::build::*;
use vanthu::pdf::object::ObjRef;
use vanthu::pdf::write::serialize;
use vanthu::pdf::{Budget, Document, Limits};
use vanthu::verify::report::{Indication, Report};
use vanthu::verify::verify_bytes;

/// A one-page form: text field "Name" (object 5, field and widget in one)
/// with value "An", its /AP an indirect dictionary (6) naming the
/// appearance stream (7); signed by the dev signer.
fn signed_form() -> Vec<u8> {
    let bodies: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>".to_vec(),
        b"<< /Fields [5 0 R] >>".to_vec(),
        b"<< /FT /Tx /T (Name) /V (An) /Type /Annot /Subtype /Widget /Rect [100 700 300 720] /P 3 0 R /AP 6 0 R >>"
            .to_vec(),
        b"<< /N 7 0 R >>".to_vec(),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 200 20]", "BT /Helv 12 Tf 2 5 Td (An) Tj ET").into_bytes(),
    ];
    signed_copy(&pdf_from_bodies(&bodies, ""))
}

fn new_appearance(text: &str) -> String {
    stream("/Type /XObject /Subtype /Form /BBox [0 0 200 20]", &format!("BT /Helv 12 Tf 2 5 Td ({text}) Tj ET"))
}

fn verdict(data: &[u8]) -> Report {
    verify_bytes(data, "case.pdf", &trusting_dev_root()).expect("a report")
}

fn assert_other(r: &Report, what: &str) {
    assert_eq!(r.signatures.first().map(|s| s.changes_after.as_str()), Some("other"), "{what}: {r:?}");
    assert!(r.modified_after_signing, "{what}");
    assert_eq!(r.indication, Indication::TotalFailed, "{what}");
    assert!(r.signatures[0].errors.iter().any(|e| e.starts_with("changed after signing")), "{what}: {r:?}");
}

/// The body of object `num` as the document's newest revision has it.
fn body_of(data: &[u8], num: u32) -> String {
    let budget = Budget::new(Limits::default());
    let doc = Document::open(data, &budget).expect("open");
    let o = doc.get(ObjRef { num, generation: 0 }).expect("read").expect("present");
    let mut out = Vec::new();
    serialize(&o, &mut out);
    String::from_utf8(out).expect("ascii")
}

/// The object number of the newest object whose body contains `needle`.
fn object_with(data: &[u8], needle: &[u8]) -> u32 {
    let at = data.windows(needle.len()).rposition(|w| w == needle).expect("needle");
    let obj = data[..at].windows(6).rposition(|w| w == b" 0 obj").expect("obj");
    let start = data[..obj].iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |i| i + 1);
    std::str::from_utf8(&data[start..obj]).unwrap().parse().unwrap()
}

#[test]
fn the_base_document_passes_and_a_real_form_fill_is_allowed() {
    let signed = signed_form();
    assert_eq!(verdict(&signed).indication, Indication::TotalPassed, "{:?}", verdict(&signed));
    // A fill: new value and the appearance that shows it.
    let filled = append_update(
        &signed,
        &[
            (
                5,
                "<< /FT /Tx /T (Name) /V (Binh) /Type /Annot /Subtype /Widget /Rect [100 700 300 720] /P 3 0 R /AP << /N 40 0 R >> >>".into(),
            ),
            (40, new_appearance("Binh")),
        ],
        "",
    );
    let r = verdict(&filled);
    assert_eq!(r.signatures[0].changes_after.as_str(), "form-filling", "{r:?}");
    assert_eq!(r.indication, Indication::TotalPassed, "{r:?}");
}

#[test]
fn an_appearance_overwritten_through_the_indirect_ap_dictionary_is_a_modification() {
    // The revision "fills the form" (a new value) and, through the /AP
    // dictionary object, points the widget at another picture.
    let signed = signed_form();
    let t = append_update(
        &signed,
        &[
            (
                5,
                "<< /FT /Tx /T (Name) /V (Binh) /Type /Annot /Subtype /Widget /Rect [100 700 300 720] /P 3 0 R /AP 6 0 R >>".into(),
            ),
            (6, "<< /N 40 0 R >>".into()),
            (40, new_appearance("PAID IN FULL")),
        ],
        "",
    );
    assert_other(&verdict(&t), "indirect /AP");
}

#[test]
fn an_appearance_replaced_without_a_new_value_is_a_modification() {
    let signed = signed_form();
    let t = append_update(
        &signed,
        &[
            (
                5,
                "<< /FT /Tx /T (Name) /V (An) /Type /Annot /Subtype /Widget /Rect [100 700 300 720] /P 3 0 R /AP << /N 40 0 R >> >>".into(),
            ),
            (40, new_appearance("PAID IN FULL")),
        ],
        "",
    );
    assert_other(&verdict(&t), "new /AP, same /V");
}

#[test]
fn the_visible_stamp_of_a_signed_signature_field_redrawn_is_a_modification() {
    // The revision claims to add a signature: a second vanthu signature
    // follows it; before that, the first signature's widget gets a picture.
    let signed = signed_form();
    let widget = object_with(&signed, b"/FT /Sig");
    let body = body_of(&signed, widget);
    let redrawn = format!("{}/AP << /N 40 0 R >> >>", body.trim_end().strip_suffix(">>").expect("dict"));
    let t = signed_copy(&append_update(&signed, &[(widget, redrawn), (40, new_appearance("Approved"))], ""));
    let r = verdict(&t);
    assert_eq!(r.signatures.len(), 2);
    assert_other(&r, "signature widget /AP");
}

#[test]
fn an_appearance_stream_reached_through_the_trailer_is_a_modification() {
    // The appearance stream itself is redefined, and the new trailer points
    // /Info at it, as if it were document information.
    let signed = signed_form();
    let t = append_update(&signed, &[(7, new_appearance("PAID IN FULL"))], "/Info 7 0 R");
    assert_other(&verdict(&t), "stream via trailer");
}

#[test]
fn a_signature_dictionary_redefined_later_fails_and_the_document_is_modified() {
    let signed = signed_form();
    // Its bytes as written, with a /Reason added.
    let sig = object_with(&signed, b"/ByteRange");
    let head = format!("{sig} 0 obj\n");
    let start = signed.windows(head.len()).rposition(|w| w == head.as_bytes()).unwrap() + head.len();
    let end = start + signed[start..].windows(7).position(|w| w == b"\nendobj").unwrap();
    let mut replaced = b"<< /Reason (Forged) ".to_vec();
    replaced.extend_from_slice(signed[start..end].strip_prefix(b"<<").unwrap());
    let t = append_update_bytes(&signed, &[(sig, replaced)], "");
    let r = verdict(&t);
    assert_eq!(r.signatures.len(), 1);
    assert_ne!(r.signatures[0].indication, Indication::TotalPassed, "{r:?}");
    assert_eq!(r.signatures[0].subindication.map(|s| s.as_str()), Some("FORMAT_FAILURE".into()), "{r:?}");
    assert!(r.modified_after_signing);
    assert_eq!(r.indication, Indication::TotalFailed);
}

#[test]
fn objects_that_nothing_refers_to_are_allowed_and_counted() {
    let signed = signed_form();
    let t = append_update(
        &signed,
        &[(50, new_appearance("unused")), (51, "<< /Foo 1 >>".into()), (52, "[1 2 3]".into())],
        "",
    );
    let r = verdict(&t);
    assert_eq!(r.indication, Indication::TotalPassed, "{r:?}");
    assert!(!r.modified_after_signing);
    assert!(
        r.signatures[0].warnings.iter().any(|w| w.contains("3 object(s) that nothing refers to")),
        "{:?}",
        r.signatures[0].warnings
    );
    // One of them linked from the page: no longer an orphan, and a change.
    let linked = append_update(
        &t,
        &[(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] /Contents 50 0 R >>".into())],
        "",
    );
    assert_other(&verdict(&linked), "orphan linked into the page");
}

#[test]
fn new_objects_without_a_cross_reference_section_are_a_modification() {
    // Incremental saving attack, variant without any xref: a new page body
    // and a new catalog written after the signature.
    let signed = signed_form();
    let mut t2 = signed.clone();
    t2.extend_from_slice(b"60 0 obj\n");
    t2.extend_from_slice(new_appearance("PAID").as_bytes());
    t2.extend_from_slice(b"\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 60 0 R >>\nendobj\n");
    let r = verdict(&t2);
    assert_eq!(r.signatures.len(), 1, "the signature is found from the signed revision");
    assert_other(&r, "objects without xref");
}

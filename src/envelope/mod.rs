//! The envelope: the JSON header a sender submits with a document, modelled
//! on edXML's MessageHeader (QCVN 102:2016), and the edXML document id.
//!
//! The header is outside input and the sender fixes it in one go, so
//! [`parse`] reports every bad field at once ([`FieldError`], one per field,
//! named by its path such as `code.number` or `to_places[2]`) instead of
//! stopping at the first. Every size is bounded ([`MAX_HEADER_BYTES`] and the
//! per-field limits in [`LIMITS`]) before anything is kept.
//!
//! Field names (serde and the JSON accepted) are those of the API:
//!
//! ```json
//! { "from": "000.00.12.H29", "to": ["phong-gddt", "000.01.30.H29"],
//!   "code": { "number": 610, "notation": "TB-SGDĐT" },
//!   "promulgation": { "place": "Thành phố Hồ Chí Minh", "date": "2022-03-08" },
//!   "document_type": "Thông báo", "subject": "…",
//!   "signer": { "competence": "TL. GIÁM ĐỐC", "position": "CHÁNH VĂN PHÒNG", "full_name": "Hồ Tấn Minh" },
//!   "due_date": "2022-03-11", "to_places": ["- UBND thành phố Thủ Đức và các quận, huyện;"],
//!   "priority": "thường", "steering_type": null, "response_for": null,
//!   "business_type": "new", "business_document": null }
//! ```
//!
//! `business_type` other than `new` needs `business_document`, the edXML id
//! of the document it revokes, updates or replaces.

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::directory::normalize::fold;
use crate::directory::{Member, OrganId};

/// Largest header accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Bounds on the header's fields (characters, or entries for lists).
#[derive(Debug, Clone, Copy)]
pub struct FieldLimits {
    /// Entries of `to`.
    pub to_entries: usize,
    /// Entries of `to_places`.
    pub to_places_entries: usize,
    /// One `to_places` line.
    pub to_place_chars: usize,
    /// `subject`.
    pub subject_chars: usize,
    /// `code.notation`.
    pub notation_chars: usize,
    /// Any other text field (names, places, types, positions).
    pub short_text_chars: usize,
    /// Largest `code.number`.
    pub max_number: u64,
}

/// The one table of header limits. A real "Nơi nhận" block has a dozen
/// lines; `to` names groups, so a thousand entries is far beyond need.
pub const LIMITS: FieldLimits = FieldLimits {
    to_entries: 1_000,
    to_places_entries: 100,
    to_place_chars: 500,
    subject_chars: 2_000,
    notation_chars: 50,
    short_text_chars: 200,
    max_number: 999_999,
};

/// One bad field of a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Its path: `code.number`, `to[3]`, or `""` for the header as a whole.
    pub field: String,
    /// What is wrong, for the person who wrote the header.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.field, self.message) }
    }
}

/// A calendar date, written `YYYY-MM-DD` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");
const EDXML_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]/[month]/[day]");

impl Date {
    /// Parses `YYYY-MM-DD` (a real date, years 1900–9999).
    pub fn parse(text: &str) -> Option<Self> {
        Self::parse_with(text, ISO_DATE)
    }

    fn parse_with(text: &str, format: &[time::format_description::BorrowedFormatItem<'_>]) -> Option<Self> {
        // `time` accepts a leading sign and short years; documents have neither.
        if text.len() != 10 {
            return None;
        }
        let d = time::Date::parse(text, format).ok()?;
        (1900..=9999).contains(&d.year()).then_some(Self(d))
    }

    /// The date as `time` knows it.
    pub fn get(self) -> time::Date {
        self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How urgent a document is (độ khẩn).
///
/// The Vietnamese words are canonical — they are what [`Serialize`] writes
/// and what the document itself prints. Also accepted: the ASCII forms
/// `normal`, `urgent`, `very_urgent` and `flash`, and the Vietnamese words in
/// any case, decomposed (NFD), with the old accent placement ("hoả tốc") or
/// without diacritics ("thuong khan"), since the words stay distinct once
/// folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Priority {
    /// Thường.
    #[default]
    Normal,
    /// Khẩn.
    Urgent,
    /// Thượng khẩn.
    VeryUrgent,
    /// Hỏa tốc.
    Flash,
}

/// Every accepted spelling of each priority; the first is canonical.
const PRIORITY_NAMES: &[(Priority, &[&str])] = &[
    (Priority::Normal, &["thường", "normal"]),
    (Priority::Urgent, &["khẩn", "urgent"]),
    (Priority::VeryUrgent, &["thượng khẩn", "very_urgent"]),
    (Priority::Flash, &["hỏa tốc", "flash"]),
];

impl Priority {
    /// The canonical (Vietnamese) name.
    pub fn as_str(self) -> &'static str {
        PRIORITY_NAMES.iter().find(|(p, _)| *p == self).and_then(|(_, n)| n.first()).copied().unwrap_or("thường")
    }

    /// Any accepted spelling.
    pub fn parse(text: &str) -> Option<Self> {
        let folded = fold(text);
        PRIORITY_NAMES.iter().find(|(_, names)| names.iter().any(|n| fold(n) == folded)).map(|(p, _)| *p)
    }
}

impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the document does to an earlier one (edXML's business type: 0 new,
/// 1 revoke, 2 update, 3 replace). All but `New` name the document acted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Business {
    /// A new document.
    New,
    /// Revokes the named document.
    Revoke(EdxmlId),
    /// Updates the named document.
    Update(EdxmlId),
    /// Replaces the named document.
    Replace(EdxmlId),
}

impl Business {
    /// The `business_type` word.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Revoke(_) => "revoke",
            Self::Update(_) => "update",
            Self::Replace(_) => "replace",
        }
    }

    /// The document acted on, if any.
    pub fn document(&self) -> Option<&EdxmlId> {
        match self {
            Self::New => None,
            Self::Revoke(d) | Self::Update(d) | Self::Replace(d) => Some(d),
        }
    }
}

/// Written as the two header fields `business_type` and `business_document`.
impl Serialize for Business {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("business_type", self.type_name())?;
        m.serialize_entry("business_document", &self.document())?;
        m.end()
    }
}

/// The document's number and notation ("Số 610/TB-SGDĐT").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Code {
    /// The number, 1 or more.
    pub number: u32,
    /// The notation, e.g. `TB-SGDĐT`; may contain `/` (`2020/QĐ-TTg`), never `,`.
    pub notation: String,
}

/// Where and when the document was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promulgation {
    /// e.g. "Thành phố Hồ Chí Minh".
    pub place: String,
    /// The date printed on the document.
    pub date: Date,
}

/// Who signed, as printed above the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// On whose behalf ("TL. GIÁM ĐỐC", "KT. GIÁM ĐỐC"); none when the head signs.
    pub competence: Option<String>,
    /// The signer's position ("CHÁNH VĂN PHÒNG").
    pub position: String,
    /// The signer's name.
    pub full_name: String,
}

/// A validated header. Built only by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// The sending unit.
    pub from: OrganId,
    /// Units and groups addressed by id.
    pub to: Vec<Member>,
    /// Number and notation.
    pub code: Code,
    /// Place and date.
    pub promulgation: Promulgation,
    /// "Thông báo", "Quyết định", "Kế hoạch", "Công văn", …
    pub document_type: String,
    /// The summary under the title (trích yếu).
    pub subject: String,
    /// The signature block.
    pub signer: Signer,
    /// The deadline the document sets, if any.
    pub due_date: Option<Date>,
    /// The "Nơi nhận" lines as printed.
    pub to_places: Vec<String>,
    /// Urgency.
    pub priority: Priority,
    /// How the document is to be handled (edXML SteeringType), free text.
    pub steering_type: Option<String>,
    /// The document this one answers.
    pub response_for: Option<EdxmlId>,
    /// New, or acting on an earlier document.
    #[serde(flatten)]
    pub business: Business,
}

impl Header {
    /// The edXML document id: `organ_id,yyyy/mm/dd,number/notation`.
    pub fn edxml_id(&self) -> EdxmlId {
        EdxmlId {
            organ: self.from.clone(),
            date: self.promulgation.date,
            number: self.code.number,
            notation: self.code.notation.clone(),
        }
    }
}

/// An edXML document id, `organ_id,yyyy/mm/dd,number/notation`, e.g.
/// `000.00.12.H29,2022/03/08,610/TB-SGDĐT`: who issued it, when, and its
/// number — together unique under the rules on document numbering.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdxmlId {
    /// The issuing unit.
    pub organ: OrganId,
    /// The promulgation date.
    pub date: Date,
    /// The number.
    pub number: u32,
    /// The notation.
    pub notation: String,
}

/// Why text is not an edXML document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not an edXML document id ({reason}); expected organ_id,yyyy/mm/dd,number/notation like 000.00.12.H29,2022/03/08,610/TB-SGDĐT"
)]
pub struct EdxmlIdError {
    /// Which part is wrong.
    pub reason: &'static str,
}

impl EdxmlId {
    /// Parses `organ_id,yyyy/mm/dd,number/notation`.
    pub fn parse(text: &str) -> Result<Self, EdxmlIdError> {
        let err = |reason| EdxmlIdError { reason };
        if text.len() > 200 {
            return Err(err("too long"));
        }
        let mut parts = text.split(',');
        let (Some(organ), Some(date), Some(code), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("it needs exactly three comma-separated parts"));
        };
        let organ = OrganId::parse(organ).map_err(|_| err("bad organ id"))?;
        let date = Date::parse_with(date, EDXML_DATE).ok_or(err("bad date"))?;
        let (number, notation) = code.split_once('/').ok_or(err("the code needs number/notation"))?;
        let number = parse_number(number, u64::from(u32::MAX)).ok_or(err("bad number"))?;
        check_notation(notation, LIMITS.notation_chars).map_err(err)?;
        Ok(Self { organ, date, number, notation: notation.to_string() })
    }
}

impl fmt::Display for EdxmlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.date.0;
        write!(
            f,
            "{},{:04}/{:02}/{:02},{}/{}",
            self.organ,
            d.year(),
            u8::from(d.month()),
            d.day(),
            self.number,
            self.notation
        )
    }
}

impl FromStr for EdxmlId {
    type Err = EdxmlIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for EdxmlId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Digits only, no sign, 1..=max.
fn parse_number(text: &str, max: u64) -> Option<u32> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = text.parse().ok()?;
    if n == 0 || n > max {
        return None;
    }
    u32::try_from(n).ok()
}

fn check_notation(text: &str, max: usize) -> Result<(), &'static str> {
    check_text(text, max)?;
    if text.contains(',') {
        return Err("a notation cannot contain a comma (it separates the parts of a document id)");
    }
    Ok(())
}

/// Text a person reads: not blank, no control characters, no spaces at the
/// ends (two spellings of one name would otherwise differ), bounded.
fn check_text(text: &str, max: usize) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        return Err("must not be empty");
    }
    if text.chars().count() > max {
        return Err("is too long");
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    if text.trim() != text {
        return Err("must not start or end with spaces");
    }
    Ok(())
}

/// Collects the errors of one header.
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Reports fields not in `known` (a misspelt optional field would
    /// otherwise be dropped without a word).
    fn unknown_fields(&mut self, obj: &Map<String, Value>, prefix: &str, known: &[&str]) {
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                let name: String = k.chars().take(40).collect();
                self.fail(format!("{prefix}{name}"), "unknown field");
            }
        }
    }

    fn object<'a>(&mut self, obj: &'a Map<String, Value>, field: &str, path: &str) -> Option<&'a Map<String, Value>> {
        match obj.get(field) {
            None | Some(Value::Null) => {
                self.fail(path, "is required");
                None
            }
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.fail(path, "must be an object");
                None
            }
        }
    }

    /// An optional string (`null` or absent is `None`).
    fn opt_text(&mut self, obj: &Map<String, Value>, field: &str, path: &str, max: usize) -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match check_text(s, max) {
                Ok(()) => Some(s.clone()),
                Err(m) => {
                    self.fail(path, format!("{m} (at most {max} characters)"));
                    None
                }
            },
            Some(_) => {
                self.fail(path, "must be a string");
                None
            }
        }
    }

    fn text(&mut self, obj: &Map<String, Value>, field: &str, path: &str, max: usize) -> Option<String> {
        if matches!(obj.get(field), None | Some(Value::Null)) {
            self.fail(path, "is required");
            return None;
        }
        self.opt_text(obj, field, path, max)
    }

    /// A string parsed by `parse`; its error message is reported as is.
    fn parsed<T, E: fmt::Display>(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        path: &str,
        required: bool,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        match obj.get(field) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(path, "is required");
                }
                None
            }
            Some(Value::String(s)) => match parse(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.fail(path, e.to_string());
                    None
                }
            },
            Some(_) => {
                self.fail(path, "must be a string");
                None
            }
        }
    }

    fn date(&mut self, obj: &Map<String, Value>, field: &str, path: &str, required: bool) -> Option<Date> {
        self.parsed(obj, field, path, required, |s| {
            Date::parse(s).ok_or("must be a real date written YYYY-MM-DD (years 1900-9999)")
        })
    }

    /// A list of strings, each checked by `item`; `None` if the field itself
    /// is unusable.
    fn list<T>(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        max_entries: usize,
        mut item: impl FnMut(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let values = match obj.get(field) {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.fail(field, "must be a list of strings");
                return None;
            }
        };
        if values.len() > max_entries {
            self.fail(field, format!("has {} entries, more than the limit of {max_entries}", values.len()));
            return None;
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            match v {
                Value::String(s) => match item(s) {
                    Ok(x) => out.push(x),
                    Err(m) => self.fail(format!("{field}[{i}]"), m),
                },
                _ => self.fail(format!("{field}[{i}]"), "must be a string"),
            }
        }
        Some(out)
    }
}

const FIELDS: &[&str] = &[
    "from",
    "to",
    "code",
    "promulgation",
    "document_type",
    "subject",
    "signer",
    "due_date",
    "to_places",
    "priority",
    "steering_type",
    "response_for",
    "business_type",
    "business_document",
];

/// Parses and validates a header; on failure, every bad field is listed.
pub fn parse(json: &[u8]) -> Result<Header, Vec<FieldError>> {
    let whole = |message: String| vec![FieldError { field: String::new(), message }];
    if json.len() > MAX_HEADER_BYTES {
        return Err(whole(format!("the header has {} bytes, more than the limit of {MAX_HEADER_BYTES}", json.len())));
    }
    let value: Value = serde_json::from_slice(json).map_err(|e| whole(format!("the header is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(whole("the header must be a JSON object".into()));
    };
    let mut c = Checker { errors: Vec::new() };
    let l = LIMITS;
    c.unknown_fields(&obj, "", FIELDS);

    let from = c.parsed(&obj, "from", "from", true, OrganId::parse);
    let to = c.list(&obj, "to", l.to_entries, |s| Member::parse(s).map_err(|e| e.to_string()));
    let to_places = c.list(&obj, "to_places", l.to_places_entries, |s| {
        check_text(s, l.to_place_chars)
            .map(|()| s.to_string())
            .map_err(|m| format!("{m} (at most {} characters)", l.to_place_chars))
    });
    // Judged on what was sent, so that a list of only bad entries is not
    // also reported as empty.
    let sent = |f: &str| obj.get(f).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    if to.is_some() && to_places.is_some() && !sent("to") && !sent("to_places") {
        c.fail(
            "to",
            "the header names no recipient: give `to` (organ or group ids) or `to_places` (the \"Nơi nhận\" lines)",
        );
    }

    let code = c.object(&obj, "code", "code").and_then(|o| {
        c.unknown_fields(o, "code.", &["number", "notation"]);
        let number = match o.get("number") {
            None | Some(Value::Null) => {
                c.fail("code.number", "is required");
                None
            }
            Some(Value::Number(n)) => match n.as_u64().filter(|n| (1..=l.max_number).contains(n)) {
                Some(n) => u32::try_from(n).ok(),
                None => {
                    c.fail("code.number", format!("must be a whole number from 1 to {}", l.max_number));
                    None
                }
            },
            Some(_) => {
                c.fail("code.number", "must be a number");
                None
            }
        };
        let notation = c.text(o, "notation", "code.notation", l.notation_chars);
        let notation = notation.filter(|n| match check_notation(n, l.notation_chars) {
            Ok(()) => true,
            Err(m) => {
                c.fail("code.notation", m);
                false
            }
        });
        Some(Code { number: number?, notation: notation? })
    });

    let promulgation = c.object(&obj, "promulgation", "promulgation").and_then(|o| {
        c.unknown_fields(o, "promulgation.", &["place", "date"]);
        let place = c.text(o, "place", "promulgation.place", l.short_text_chars);
        let date = c.date(o, "date", "promulgation.date", true);
        Some(Promulgation { place: place?, date: date? })
    });

    let document_type = c.text(&obj, "document_type", "document_type", l.short_text_chars);
    let subject = c.text(&obj, "subject", "subject", l.subject_chars);

    let signer = c.object(&obj, "signer", "signer").and_then(|o| {
        c.unknown_fields(o, "signer.", &["competence", "position", "full_name"]);
        let competence = c.opt_text(o, "competence", "signer.competence", l.short_text_chars);
        let position = c.text(o, "position", "signer.position", l.short_text_chars);
        let full_name = c.text(o, "full_name", "signer.full_name", l.short_text_chars);
        Some(Signer { competence, position: position?, full_name: full_name? })
    });

    let due_date = c.date(&obj, "due_date", "due_date", false);
    if let (Some(due), Some(p)) = (due_date, &promulgation)
        && due < p.date
    {
        c.fail("due_date", "is before the promulgation date");
    }

    let priority = c
        .parsed(&obj, "priority", "priority", false, |s| {
            Priority::parse(s)
                .ok_or("must be one of thường, khẩn, thượng khẩn, hỏa tốc (or normal, urgent, very_urgent, flash)")
        })
        .unwrap_or_default();
    let steering_type = c.opt_text(&obj, "steering_type", "steering_type", l.short_text_chars);
    let response_for = c.parsed(&obj, "response_for", "response_for", false, EdxmlId::parse);

    let business = business(&mut c, &obj);

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    match (from, to, code, promulgation, document_type, subject, signer, to_places, business) {
        (
            Some(from),
            Some(to),
            Some(code),
            Some(promulgation),
            Some(document_type),
            Some(subject),
            Some(signer),
            Some(to_places),
            Some(business),
        ) => Ok(Header {
            from,
            to,
            code,
            promulgation,
            document_type,
            subject,
            signer,
            due_date,
            to_places,
            priority,
            steering_type,
            response_for,
            business,
        }),
        // Every `None` above was reported; this is only reached if a check
        // forgot to say why, and then the answer still says something.
        _ => Err(whole("the header is incomplete".into())),
    }
}

fn business(c: &mut Checker, obj: &Map<String, Value>) -> Option<Business> {
    let kind = match obj.get("business_type") {
        None | Some(Value::Null) => "new",
        Some(Value::String(s)) if ["new", "revoke", "update", "replace"].contains(&s.as_str()) => s.as_str(),
        Some(_) => {
            c.fail("business_type", "must be one of new, revoke, update, replace");
            return None;
        }
    };
    let document = c.parsed(obj, "business_document", "business_document", kind != "new", EdxmlId::parse);
    match (kind, document) {
        ("new", None) => Some(Business::New),
        ("new", Some(_)) => {
            c.fail("business_document", "is only for business_type revoke, update or replace");
            None
        }
        ("revoke", Some(d)) => Some(Business::Revoke(d)),
        ("update", Some(d)) => Some(Business::Update(d)),
        ("replace", Some(d)) => Some(Business::Replace(d)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

//! Normalisation of recipient text: the one place that decides which
//! spellings of a "Nơi nhận" line count as the same.
//!
//! Text is lower-cased, Vietnamese diacritics are folded away (đ → d too),
//! and the abbreviations of real recipient blocks are expanded ([`ABBREVIATIONS`])
//! before punctuation is dropped. What is left is a list of words with the
//! *breaks* between the targets a line may name: a comma, a semicolon or a
//! slash, and the word "và" as written (not the "và" that an expansion such as
//! "GD&ĐT" produces, which is part of a name).
//!
//! Folding diacritics merges a few words ("trưởng" the role and "trường" the
//! school both become "truong"); the resolver copes by trying each text as
//! written before it strips role words, so a school's name always wins.

/// Abbreviations of real "Nơi nhận" blocks, as folded tokens → their
/// expansion. A pattern is a space-separated list of tokens: a word, or one
/// punctuation character. In an expansion a lone "," is a break. The longest
/// pattern at a position wins.
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    // Levels of schooling.
    ("thpt", "trung hoc pho thong"),
    ("thcs", "trung hoc co so"),
    ("th", "tieu hoc"),
    ("mn", "mam non"),
    ("gdnn", "giao duc nghe nghiep"),
    ("gdtx", "giao duc thuong xuyen"),
    ("tt", "trung tam"),
    ("ttgdnn", "trung tam giao duc nghe nghiep"),
    // Departments and bodies.
    ("gd & dt", "giao duc va dao tao"),
    ("gd - dt", "giao duc va dao tao"),
    ("gddt", "giao duc va dao tao"),
    ("gd", "giao duc"),
    ("ubnd", "uy ban nhan dan"),
    ("bgd", "ban giam doc"),
    ("btv", "ban thuong vu"),
    ("bgh", "ban giam hieu"),
    // Purposes written after a recipient: "(để b/c)", "(t/h)", "(p/h)".
    ("b / c", "bao cao"),
    ("t / h", "thuc hien"),
    ("p / h", "phoi hop"),
    // Places. "Q/H" is the recipient blocks' "quận, huyện".
    ("q / h", "quan , huyen"),
    ("q . h", "quan , huyen"),
    ("q", "quan"),
    ("tp", "thanh pho"),
    ("tphcm", "thanh pho ho chi minh"),
    ("hcm", "ho chi minh"),
];

/// Phrases contracted after expansion so that a short and a long way of
/// naming the same body meet: "Sở" alone is how a Department's own documents
/// name it.
pub const CONTRACTIONS: &[(&str, &str)] =
    &[("so giao duc va dao tao thanh pho ho chi minh", "so"), ("so giao duc va dao tao", "so")];

/// [`ABBREVIATIONS`] as tokens, made once.
static PATTERNS: std::sync::LazyLock<Vec<(Vec<Tok>, &'static str)>> =
    std::sync::LazyLock::new(|| ABBREVIATIONS.iter().map(|(p, e)| (pattern_tokens(p), *e)).collect());

/// Role words written in front of a target ("Hiệu trưởng các trường …"): the
/// document goes to the unit, not the person. Folded; longest first.
pub const ROLE_WORDS: &[&str] = &[
    "pho hieu truong",
    "hieu truong",
    "pho giam doc",
    "giam doc",
    "pho thu truong",
    "thu truong",
    "pho truong",
    "truong",
    "chu tich",
    "lanh dao",
    "ban giam hieu",
    // "Chánh Văn phòng", "Chánh Thanh tra": the head of the Office or the
    // Inspectorate, which receive.
    "chanh",
];

/// Why a recipient is sent the document, written after it ("(để báo cáo)",
/// "(b/c)"): not part of its name. Folded and expanded; longest first.
pub const PURPOSES: &[&str] = &[
    "de bao cao",
    "de biet",
    "de thuc hien",
    "de phoi hop",
    "de chi dao",
    "de theo doi",
    "de trien khai",
    "de bao cao va thuc hien",
    "bao cao",
    "thuc hien",
    "phoi hop",
];

/// The plural marker in front of a target ("các quận, huyện").
const PLURAL: &str = "cac";

/// One normalised piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Norm {
    /// A word that belongs to a name.
    Word(String),
    /// A boundary between two targets; `Some("va")` when it was the word "và"
    /// (kept in keys so "A và B" as one alias still matches).
    Break(Option<String>),
}

/// Lower-cases and removes Vietnamese diacritics; combining marks of
/// decomposed input (NFD) are dropped, so NFC and NFD text fold alike.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        out.push(fold_char(c));
    }
    out
}

fn fold_char(c: char) -> char {
    match c {
        'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ' | 'ẩ' | 'ẫ' | 'ậ' => {
            'a'
        }
        'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => 'e',
        'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
        'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ' | 'ở' | 'ỡ' | 'ợ' => {
            'o'
        }
        'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => 'u',
        'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
        'đ' => 'd',
        other => other,
    }
}

/// A token of folded text before expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Punct(char),
}

fn tokenize(folded: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut word = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            toks.push(Tok::Word(std::mem::take(&mut word)));
        }
        if !c.is_whitespace() {
            toks.push(Tok::Punct(c));
        }
    }
    if !word.is_empty() {
        toks.push(Tok::Word(word));
    }
    toks
}

fn pattern_tokens(pattern: &str) -> Vec<Tok> {
    pattern
        .split(' ')
        .map(|p| {
            let mut chars = p.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_alphanumeric() => Tok::Punct(c),
                _ => Tok::Word(p.to_string()),
            }
        })
        .collect()
}

/// True when the folded text is an archive line ("Lưu: VT, VP (M-H)."):
/// the registry's own copy, never a recipient.
pub fn is_archive_line(text: &str) -> bool {
    let toks = tokenize(&fold(text));
    let mut words = toks.iter().skip_while(|t| matches!(t, Tok::Punct(_)));
    matches!(
        (words.next(), words.next()),
        (Some(Tok::Word(w)), Some(Tok::Punct(':'))) if w == "luu"
    ) || matches!(
        (toks.iter().find(|t| matches!(t, Tok::Word(_))), toks.iter().filter(|t| matches!(t, Tok::Word(_))).nth(1)),
        (Some(Tok::Word(a)), Some(Tok::Word(b))) if a == "luu" && b == "vt"
    )
}

/// True when the line is "Như trên" ("as above"): the addressees of the
/// "Kính gửi" block, who are already the header's `to`.
pub fn is_as_above_line(text: &str) -> bool {
    let toks = tokenize(&fold(text));
    let mut words = toks.iter().filter_map(|t| match t {
        Tok::Word(w) => Some(w.as_str()),
        Tok::Punct(_) => None,
    });
    matches!((words.next(), words.next(), words.next()), (Some("nhu"), Some("tren"), None))
}

/// Normalises text into words and breaks (see the module documentation).
pub fn normalize(text: &str) -> Vec<Norm> {
    let toks = tokenize(&fold(text));
    let patterns = &*PATTERNS;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let rest = toks.get(i..).unwrap_or_default();
        let best = patterns.iter().filter(|(p, _)| rest.starts_with(p)).max_by_key(|(p, _)| p.len());
        if let Some((p, expansion)) = best {
            for w in expansion.split(' ') {
                // Words of an expansion never break a name, except a "," break.
                out.push(if w == "," { Norm::Break(None) } else { Norm::Word(w.to_string()) });
            }
            i = i.saturating_add(p.len());
            continue;
        }
        match toks.get(i) {
            Some(Tok::Word(w)) if w == "va" => out.push(Norm::Break(Some("va".to_string()))),
            Some(Tok::Word(w)) => out.push(Norm::Word(w.clone())),
            Some(Tok::Punct(',' | ';' | '/')) => out.push(Norm::Break(None)),
            Some(Tok::Punct('&')) => out.push(Norm::Break(Some("va".to_string()))),
            _ => {}
        }
        i = i.saturating_add(1);
    }
    contract(out)
}

fn word_of(n: &Norm) -> Option<&str> {
    match n {
        Norm::Word(w) | Norm::Break(Some(w)) => Some(w),
        Norm::Break(None) => None,
    }
}

/// [`CONTRACTIONS`] as word lists, made once.
static CONTRACTION_WORDS: std::sync::LazyLock<Vec<(Vec<&'static str>, &'static str)>> =
    std::sync::LazyLock::new(|| CONTRACTIONS.iter().map(|(p, short)| (p.split(' ').collect(), *short)).collect());

fn contract(items: Vec<Norm>) -> Vec<Norm> {
    let mut out = Vec::with_capacity(items.len());
    let mut i = 0;
    'outer: while i < items.len() {
        for (words, short) in CONTRACTION_WORDS.iter() {
            let matches = items
                .get(i..i.saturating_add(words.len()))
                .is_some_and(|s| s.len() == words.len() && s.iter().zip(words).all(|(n, w)| word_of(n) == Some(w)));
            if matches {
                out.push(Norm::Word((*short).to_string()));
                i = i.saturating_add(words.len());
                continue 'outer;
            }
        }
        if let Some(n) = items.get(i) {
            out.push(n.clone());
        }
        i = i.saturating_add(1);
    }
    out
}

/// The lookup key of a whole text: its words (and "và" breaks) joined by
/// single spaces, without a leading plural marker.
pub fn key(text: &str) -> String {
    let norm = normalize(text);
    let words: Vec<&str> = norm.iter().filter_map(word_of).collect();
    strip_plural(&words).join(" ")
}

/// Drops a leading "các".
fn strip_plural<'a, 'b>(words: &'a [&'b str]) -> &'a [&'b str] {
    match words.split_first() {
        Some((first, rest)) if *first == PLURAL => rest,
        _ => words,
    }
}

/// Nouns that head a target's name and are written once for several
/// targets ("các trường THCS, Tiểu học"): the resolver lends the last one to
/// a following part that names nothing alone.
pub const HEAD_NOUNS: &[&str] = &["truong", "phong", "trung tam"];

/// The head noun a normalised key starts with, if any.
pub fn head_noun(key: &str) -> Option<&'static str> {
    HEAD_NOUNS.iter().copied().find(|h| key.strip_prefix(h).is_some_and(|rest| rest.starts_with(' ')))
}

/// The ways a run of words may name a target, in the order tried: as
/// written, without a purpose at the end, then without a role word in front
/// (and again without a purpose), each without a leading "các". Trying the
/// text as written first keeps "Trường …" (a school) from being read as
/// "Trưởng …" (a role) once diacritics are gone.
pub fn readings<'a, 'b>(words: &'a [&'b str]) -> Vec<&'a [&'b str]> {
    let mut out: Vec<&'a [&'b str]> = Vec::with_capacity(4);
    let mut push = |w: &'a [&'b str]| {
        let w = strip_plural(w);
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    };
    push(words);
    if let Some(w) = strip_purpose(words) {
        push(w);
    }
    if let Some(r) = strip_role(words) {
        push(r);
        if let Some(w) = strip_purpose(r) {
            push(w);
        }
    }
    out
}

/// Drops one purpose at the end (the one with the most words, as listed).
fn strip_purpose<'a, 'b>(words: &'a [&'b str]) -> Option<&'a [&'b str]> {
    let mut best: Option<&'a [&'b str]> = None;
    for purpose in PURPOSES {
        let n = purpose.split(' ').count();
        let Some(cut) = words.len().checked_sub(n) else { continue };
        let matches = words.get(cut..).is_some_and(|tail| tail.iter().copied().eq(purpose.split(' ')));
        if matches && cut > 0 && best.is_none_or(|b| cut < b.len()) {
            best = words.get(..cut);
        }
    }
    best
}

/// Drops one leading role word (longest first); `None` if there is none.
fn strip_role<'a, 'b>(words: &'a [&'b str]) -> Option<&'a [&'b str]> {
    ROLE_WORDS.iter().find_map(|role| {
        let n = role.split(' ').count();
        let head = words.get(..n)?;
        let matches = head.iter().copied().eq(role.split(' '));
        if matches { words.get(n..).filter(|rest| !rest.is_empty()) } else { None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_letters_and_decomposed_marks() {
        assert_eq!(fold("Trường Trung học phổ thông Đinh Tiên Hoàng"), "truong trung hoc pho thong dinh tien hoang");
        // "ệ" written as e + combining circumflex + combining dot below.
        assert_eq!(fold("Vie\u{302}\u{323}t"), "viet");
    }

    #[test]
    fn abbreviations_and_spelled_out_forms_meet() {
        assert_eq!(key("Trường THPT"), key("Trường Trung học phổ thông"));
        assert_eq!(key("Phòng GD&ĐT tp. Thủ Đức"), key("phong giao duc va dao tao thanh pho thu duc"));
        assert_eq!(key("TT.GDNN-GDTX"), key("Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên"));
        assert_eq!(key("UBND các Q/H"), key("Ủy ban nhân dân các quận, huyện"));
        assert_eq!(key("Phòng thuộc Sở GD&ĐT"), key("Phòng thuộc Sở"));
    }

    #[test]
    fn expansion_va_is_not_a_break_but_written_va_is() {
        let n = normalize("GD&ĐT và Q/H");
        let breaks = n.iter().filter(|x| matches!(x, Norm::Break(_))).count();
        assert_eq!(breaks, 2, "{n:?}");
    }

    #[test]
    fn archive_lines() {
        assert!(is_archive_line("- Lưu: VT, VP (M-H)."));
        assert!(is_archive_line("Luu VT"));
        assert!(!is_archive_line("- Trưởng các Phòng thuộc Sở;"));
        assert!(is_as_above_line("- Như trên;"));
        assert!(!is_as_above_line("- Như trên và Sở Y tế;"));
    }

    #[test]
    fn readings_strip_roles_and_purposes_but_try_the_text_first() {
        let norm = normalize("Trường THPT Lê Lợi (để b/c)");
        let words: Vec<&str> = norm.iter().filter_map(word_of).collect();
        let r: Vec<String> = readings(&words).iter().map(|w| w.join(" ")).collect();
        assert_eq!(
            r,
            [
                "truong trung hoc pho thong le loi de bao cao",
                "truong trung hoc pho thong le loi",
                "trung hoc pho thong le loi de bao cao",
                "trung hoc pho thong le loi",
            ]
        );
    }
}

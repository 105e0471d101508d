//! The directory: who can receive a document, and how the recipient lines of
//! a real notice ("Nơi nhận") name them.
//!
//! Units carry QĐ 20/2020 organ ids ([`OrganId`]); groups name sets of units
//! and of other groups ("all public high schools", "units directly under the
//! Department"); aliases map the phrases of recipient blocks to units and
//! groups. Units change — QĐ 09/2025 and the 2025 reform merged and abolished
//! units — so a unit can be marked merged into a successor: whatever is
//! addressed to it goes to the final successor, and the answer says so.
//!
//! The directory is outside input (a file an operator edits), so loading it
//! checks every reference, rejects duplicate ids and cycles (in groups and in
//! successions) and is bounded ([`Limits`]). Once loaded, resolving is a few
//! hash lookups: every name and alias is normalised once, at load
//! ([`normalize`] holds the one abbreviation table).
//!
//! The file ([`DirectoryFile`]); members and targets are organ ids or group
//! ids, told apart by their shape:
//!
//! ```json
//! { "units": [
//!     { "id": "000.00.12.H29", "name": "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh", "kind": "department" },
//!     { "id": "000.01.12.H29", "name": "Văn phòng Sở", "kind": "division", "parent": "000.00.12.H29" },
//!     { "id": "000.01.54.H29", "name": "Phòng Giáo dục và Đào tạo Quận 9", "kind": "district_education_office",
//!       "active": false, "merged_into": "000.01.30.H29" } ],
//!   "groups": [ { "id": "phong-thuoc-so", "name": "Phòng thuộc Sở", "members": ["000.01.12.H29"] } ],
//!   "aliases": [ { "text": "Trưởng các Phòng thuộc Sở", "targets": ["phong-thuoc-so"] } ] }
//! ```

pub mod edit;
pub mod live;
pub mod normalize;
pub mod sample;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A QĐ 20/2020/QĐ-TTg organ id, e.g. `000.00.12.H29`.
///
/// Four dot-separated groups, from the lowest level to the highest:
/// three digits (level 4), two digits (level 3), two digits (level 2), and the
/// level-1 code, one upper-case ASCII letter and two digits (`H29` is Ho Chi
/// Minh City). Only this canonical form is accepted — no spaces, no
/// lower-case letter — so two ids are equal exactly when their text is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganId(String);

/// Why text is not an organ id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not an organ id: expected four groups like 000.00.12.H29 (digits, digits, digits, letter + 2 digits)"
)]
pub struct OrganIdError {
    /// The text offered, cut to 64 characters.
    pub text: String,
}

impl OrganId {
    /// Parses the canonical form (see the type's documentation).
    pub fn parse(text: &str) -> Result<Self, OrganIdError> {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
        let ok = b.len() == 13
            && digits(0..3)
            && b.get(3) == Some(&b'.')
            && digits(4..6)
            && b.get(6) == Some(&b'.')
            && digits(7..9)
            && b.get(9) == Some(&b'.')
            && b.get(10).is_some_and(u8::is_ascii_uppercase)
            && digits(11..13);
        if ok { Ok(Self(text.to_string())) } else { Err(OrganIdError { text: text.chars().take(64).collect() }) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrganId {
    type Err = OrganIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OrganId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrganId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A group's id: a slug of lower-case ASCII letters, digits and hyphens
/// (1–64 characters, starting with a letter), e.g. `thpt-cong-lap`. It can
/// never be mistaken for an organ id, so a header's `to` entry is one or the
/// other by its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

/// Why text is not a group id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a group id: expected 1-64 lower-case letters, digits or hyphens, starting with a letter")]
pub struct GroupIdError {
    /// The text offered, cut to 64 characters.
    pub text: String,
}

impl GroupId {
    /// Longest accepted id, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Parses a slug.
    pub fn parse(text: &str) -> Result<Self, GroupIdError> {
        let b = text.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= Self::MAX_LEN
            && b.first().is_some_and(u8::is_ascii_lowercase)
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if ok { Ok(Self(text.to_string())) } else { Err(GroupIdError { text: text.chars().take(64).collect() }) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for GroupId {
    type Err = GroupIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for GroupId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GroupId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A unit or a group, as addressed: in JSON a plain string, an organ id or a
/// group id (their shapes never overlap).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    /// One unit.
    Unit(OrganId),
    /// Every unit of a group (and of its groups).
    Group(GroupId),
}

/// Why text names neither a unit nor a group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is neither an organ id (like 000.00.12.H29) nor a group id (like thpt-cong-lap)")]
pub struct MemberError {
    /// The text offered, cut to 64 characters.
    pub text: String,
}

impl Member {
    /// An organ id if it has that shape, else a group id.
    pub fn parse(text: &str) -> Result<Self, MemberError> {
        if let Ok(id) = OrganId::parse(text) {
            return Ok(Self::Unit(id));
        }
        GroupId::parse(text).map(Self::Group).map_err(|_| MemberError { text: text.chars().take(64).collect() })
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unit(id) => id.fmt(f),
            Self::Group(id) => id.fmt(f),
        }
    }
}

impl FromStr for Member {
    type Err = MemberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Member {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A Department of Education and Training (Sở Giáo dục và Đào tạo).
    Department,
    /// A division of the Department (Văn phòng, Phòng …, Thanh tra).
    Division,
    /// The Department's board of directors (Ban Giám đốc).
    Board,
    /// The standing committee of the Department's Party committee (BTV Đảng ủy).
    PartyCommittee,
    /// The sector's trade union (Công đoàn ngành Giáo dục).
    TradeUnion,
    /// A district-level people's committee (UBND quận, huyện, thành phố thuộc thành phố).
    DistrictPeoplesCommittee,
    /// A district education office (Phòng Giáo dục và Đào tạo).
    DistrictEducationOffice,
    /// A high school (trường trung học phổ thông).
    HighSchool,
    /// A school with several levels (trường phổ thông có nhiều cấp học).
    MultiLevelSchool,
    /// A lower secondary school (trường trung học cơ sở).
    LowerSecondarySchool,
    /// A primary school (trường tiểu học).
    PrimarySchool,
    /// A kindergarten (trường mầm non).
    Kindergarten,
    /// A vocational and continuing-education centre (Trung tâm GDNN-GDTX).
    ContinuingEducationCentre,
    /// Another unit directly under the Department (centres, special schools).
    DirectlyAttachedUnit,
    /// Anything else.
    Other,
}

/// One unit that can send and receive documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Its organ id.
    pub id: OrganId,
    /// Its official name; also matched against recipient lines.
    pub name: String,
    /// The unit it reports to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<OrganId>,
    /// What it is.
    pub kind: UnitKind,
    /// False for a closed or merged unit.
    #[serde(default = "yes")]
    pub active: bool,
    /// The unit it was merged into; documents addressed to it go there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<OrganId>,
}

fn yes() -> bool {
    true
}

/// A named set of units and groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Its name; also matched against recipient lines.
    pub name: String,
    /// Units and groups in it.
    pub members: Vec<Member>,
}

/// A phrase of recipient blocks and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    /// The phrase, as people write it (normalised when the directory loads).
    pub text: String,
    /// The units and groups it names.
    pub targets: Vec<Member>,
}

/// The directory file: what `from_json` reads and `to_json` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    /// Every unit.
    pub units: Vec<Unit>,
    /// Every group.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Every alias.
    #[serde(default)]
    pub aliases: Vec<Alias>,
}

/// Bounds on a directory file, which is outside input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the file.
    pub max_bytes: usize,
    /// Units.
    pub max_units: usize,
    /// Groups.
    pub max_groups: usize,
    /// Aliases.
    pub max_aliases: usize,
    /// Members of all groups together, plus targets of all aliases.
    pub max_references: usize,
    /// Characters of a name or an alias.
    pub max_name_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // A province-scale sector has a few thousand units; ten times the
        // largest (Ho Chi Minh City) leaves room and still loads in well
        // under a second.
        Self {
            max_bytes: 32 << 20,
            max_units: 50_000,
            max_groups: 5_000,
            max_aliases: 20_000,
            max_references: 500_000,
            max_name_chars: 300,
        }
    }
}

/// Why a directory file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The file is larger than [`Limits::max_bytes`].
    #[error("the directory file has {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// Not JSON of the directory's shape (the message says where).
    #[error("the directory file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// Too many of something.
    #[error("the directory has {count} {what}, more than the limit of {limit}")]
    TooMany { what: &'static str, count: usize, limit: usize },
    /// A name or alias is empty, too long, or normalises to nothing.
    #[error("{what} {text:?} is empty, too long (over {limit} characters) or has no letters or digits")]
    BadText { what: &'static str, text: String, limit: usize },
    /// Two units share an id.
    #[error("unit {0} is listed twice")]
    DuplicateUnit(OrganId),
    /// Two groups share an id.
    #[error("group {0} is listed twice")]
    DuplicateGroup(GroupId),
    /// A parent that is not in the directory.
    #[error("unit {unit} names parent {parent}, which is not in the directory")]
    UnknownParent { unit: OrganId, parent: OrganId },
    /// A successor that is not in the directory.
    #[error("unit {unit} is merged into {successor}, which is not in the directory")]
    UnknownSuccessor { unit: OrganId, successor: OrganId },
    /// A unit marked merged but still active.
    #[error("unit {0} is merged into another unit but still marked active")]
    MergedButActive(OrganId),
    /// Units whose parents lead back to themselves.
    #[error("unit {0} is its own ancestor (a cycle of parents)")]
    ParentCycle(OrganId),
    /// Units whose successors lead back to themselves.
    #[error("unit {0} is merged, through successors, into itself")]
    MergeCycle(OrganId),
    /// A group member that is not in the directory.
    #[error("group {group} has member {member}, which is not in the directory")]
    UnknownMember { group: GroupId, member: Member },
    /// Groups that contain themselves.
    #[error("group {0} contains itself (a cycle of groups)")]
    GroupCycle(GroupId),
    /// An alias target that is not in the directory.
    #[error("alias {alias:?} names {target}, which is not in the directory")]
    UnknownAliasTarget { alias: String, target: Member },
    /// An alias with no targets.
    #[error("alias {0:?} names nothing")]
    EmptyAlias(String),
    /// Two aliases that read the same once normalised.
    #[error("aliases {first:?} and {second:?} read the same once case, diacritics and abbreviations are ignored")]
    DuplicateAlias { first: String, second: String },
}

/// Why a header's `to` entry resolves to nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Neither an organ id nor a group id.
    #[error(transparent)]
    NotAnId(#[from] MemberError),
    /// An organ id that is not in the directory.
    #[error("unit {0} is not in the directory")]
    UnknownUnit(OrganId),
    /// A group id that is not in the directory.
    #[error("group {0} is not in the directory")]
    UnknownGroup(GroupId),
}

/// One recipient unit, after successors were followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The unit that receives the document.
    pub unit: OrganId,
    /// The unit that was addressed (equal to `unit` unless it was merged).
    pub requested: OrganId,
    /// `Some(requested)` when the addressed unit was merged into `unit`.
    pub merged_from: Option<OrganId>,
}

/// The units a set of members reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    /// Receiving units, each once, in the order first reached.
    pub units: Vec<Resolved>,
    /// Units reached that are closed (inactive with no successor): nobody
    /// receives for them, and the sender should be told.
    pub closed: Vec<OrganId>,
}

/// How a part of a recipient line was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// An alias of the directory.
    Alias,
    /// A group's name.
    GroupName,
    /// A unit's name.
    UnitName,
    /// An organ id or group id written as such.
    Id,
}

/// One recognised part of a recipient line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineMatch {
    /// The part, normalised (lower case, no diacritics, abbreviations expanded).
    pub part: String,
    /// How it was recognised.
    pub by: MatchedBy,
    /// What it names.
    pub targets: Vec<Member>,
}

/// What one "Nơi nhận" line means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineResolution {
    /// The registry's archive copy ("Lưu: VT, VP."): never a recipient.
    Archive {
        /// The line as given.
        text: String,
    },
    /// "Như trên": the addressees of the "Kính gửi" block, who are the
    /// header's `to`; nothing more to route.
    AsAbove {
        /// The line as given.
        text: String,
    },
    /// At least one part named units or groups.
    Resolved {
        /// The line as given.
        text: String,
        /// What each recognised part named.
        matches: Vec<LineMatch>,
        /// The receiving units of this line alone.
        recipients: Recipients,
        /// Parts of the line (normalised) that named nothing known, or only
        /// a name several units share: the sender must be told, never left
        /// to guess.
        unresolved_parts: Vec<String>,
    },
    /// Nothing in the line is known.
    Unresolved {
        /// The line as given.
        text: String,
    },
}

/// Where a header's document goes ([`Directory::route`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// Every receiving unit, once.
    pub recipients: Recipients,
    /// What each "Nơi nhận" line meant, in order.
    pub lines: Vec<LineResolution>,
    /// `to` entries that are not in the directory.
    pub unknown_to: Vec<Member>,
}

/// Longest recipient line considered, in characters; a longer one is
/// reported unresolved rather than matched at a cost the sender controls.
pub const MAX_LINE_CHARS: usize = 2_000;
/// Most parts (separated by commas, semicolons, "và") tried in one line.
const MAX_PARTS: usize = 64;
/// Most consecutive parts one alias may span.
const MAX_SPAN: usize = 8;

#[derive(Debug, Clone)]
enum IndexEntry {
    Found {
        by: MatchedBy,
        targets: Vec<Member>,
    },
    /// Several units share this name and no alias settles it.
    Ambiguous,
}

/// A loaded, checked directory.
#[derive(Debug, Clone)]
pub struct Directory {
    file: DirectoryFile,
    units: HashMap<OrganId, usize>,
    groups: HashMap<GroupId, usize>,
    index: HashMap<String, IndexEntry>,
}

impl Directory {
    /// Reads and checks a directory file with the default [`Limits`].
    pub fn from_json(json: &[u8]) -> Result<Self, DirectoryError> {
        Self::from_json_with(json, Limits::default())
    }

    /// Reads and checks a directory file.
    pub fn from_json_with(json: &[u8], limits: Limits) -> Result<Self, DirectoryError> {
        if json.len() > limits.max_bytes {
            return Err(DirectoryError::TooLarge { size: json.len(), limit: limits.max_bytes });
        }
        let file: DirectoryFile = serde_json::from_slice(json)?;
        Self::from_file(file, limits)
    }

    /// Checks a directory built in memory (the sample, the admin's edits).
    pub fn from_file(file: DirectoryFile, limits: Limits) -> Result<Self, DirectoryError> {
        // `check` fails with at least one error, so index 0 exists.
        Self::check(file, limits, 1).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Checks a whole directory and lists what is wrong with it: up to
    /// `max_errors` (at least one) of its problems, in the order units,
    /// groups, aliases, so an import can be refused with every reason an
    /// operator needs to fix at once. Nothing is built unless all is well.
    pub fn check(file: DirectoryFile, limits: Limits, max_errors: usize) -> Result<Self, Vec<DirectoryError>> {
        let mut errors = Errors { list: Vec::new(), max: max_errors.max(1) };
        let too_many = |what, count, limit| {
            if count > limit { Err(vec![DirectoryError::TooMany { what, count, limit }]) } else { Ok(()) }
        };
        // Sizes first and alone: nothing else is looked at in a file over them.
        too_many("units", file.units.len(), limits.max_units)?;
        too_many("groups", file.groups.len(), limits.max_groups)?;
        too_many("aliases", file.aliases.len(), limits.max_aliases)?;
        let refs = file
            .groups
            .iter()
            .map(|g| g.members.len())
            .chain(file.aliases.iter().map(|a| a.targets.len()))
            .fold(0usize, usize::saturating_add);
        too_many("group members and alias targets", refs, limits.max_references)?;

        let mut units = HashMap::with_capacity(file.units.len());
        for (i, u) in file.units.iter().enumerate() {
            errors.push(check_text("unit name", &u.name, limits));
            if units.insert(u.id.clone(), i).is_some() {
                errors.push(Err(DirectoryError::DuplicateUnit(u.id.clone())));
            }
        }
        let mut groups = HashMap::with_capacity(file.groups.len());
        for (i, g) in file.groups.iter().enumerate() {
            errors.push(check_text("group name", &g.name, limits));
            if groups.insert(g.id.clone(), i).is_some() {
                errors.push(Err(DirectoryError::DuplicateGroup(g.id.clone())));
            }
        }
        let dir = Self { file, units, groups, index: HashMap::new() };
        if !errors.full() {
            dir.check_units(&mut errors);
        }
        if !errors.full() {
            dir.check_groups(&mut errors);
        }
        if !errors.full() {
            dir.check_aliases(limits, &mut errors);
        }
        if errors.list.is_empty() { Ok(dir.with_index()) } else { Err(errors.list) }
    }

    fn check_units(&self, errors: &mut Errors) {
        for u in &self.file.units {
            if let Some(p) = &u.parent
                && !self.units.contains_key(p)
            {
                errors.push(Err(DirectoryError::UnknownParent { unit: u.id.clone(), parent: p.clone() }));
            }
            if let Some(s) = &u.merged_into {
                if !self.units.contains_key(s) {
                    errors.push(Err(DirectoryError::UnknownSuccessor { unit: u.id.clone(), successor: s.clone() }));
                }
                if u.active {
                    errors.push(Err(DirectoryError::MergedButActive(u.id.clone())));
                }
            }
            if errors.full() {
                return;
            }
        }
        let next_parent = |i: usize| self.file.units.get(i)?.parent.as_ref().and_then(|p| self.units.get(p).copied());
        if let Some(u) = first_cycle(self.file.units.len(), next_parent).and_then(|i| self.file.units.get(i)) {
            errors.push(Err(DirectoryError::ParentCycle(u.id.clone())));
        }
        let next_successor =
            |i: usize| self.file.units.get(i)?.merged_into.as_ref().and_then(|p| self.units.get(p).copied());
        if let Some(u) = first_cycle(self.file.units.len(), next_successor).and_then(|i| self.file.units.get(i)) {
            errors.push(Err(DirectoryError::MergeCycle(u.id.clone())));
        }
    }

    fn check_groups(&self, errors: &mut Errors) {
        for g in &self.file.groups {
            for m in &g.members {
                if !self.contains(m) {
                    errors.push(Err(DirectoryError::UnknownMember { group: g.id.clone(), member: m.clone() }));
                    if errors.full() {
                        return;
                    }
                }
            }
        }
        // Depth-first search with three colours; iterative so a deep chain of
        // groups cannot exhaust the stack.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; self.file.groups.len()];
        for start in 0..self.file.groups.len() {
            if mark.get(start) != Some(&Mark::New) {
                continue;
            }
            // (group, index of the next member to look at)
            let mut stack = vec![(start, 0usize)];
            if let Some(m) = mark.get_mut(start) {
                *m = Mark::Open;
            }
            while let Some((g, next)) = stack.last_mut() {
                let group = self.file.groups.get(*g);
                let child = group.and_then(|gr| gr.members.get(*next));
                *next = next.saturating_add(1);
                match child {
                    None => {
                        if let Some(m) = mark.get_mut(*g) {
                            *m = Mark::Done;
                        }
                        stack.pop();
                    }
                    Some(Member::Group(id)) => {
                        let Some(&c) = self.groups.get(id) else { continue };
                        match mark.get(c) {
                            Some(Mark::Open) => {
                                // One cycle is reason enough; the rest of the
                                // search would only find it again.
                                errors.push(Err(DirectoryError::GroupCycle(id.clone())));
                                return;
                            }
                            Some(Mark::New) => {
                                if let Some(m) = mark.get_mut(c) {
                                    *m = Mark::Open;
                                }
                                stack.push((c, 0));
                            }
                            _ => {}
                        }
                    }
                    Some(Member::Unit(_)) => {}
                }
            }
        }
    }

    fn check_aliases(&self, limits: Limits, errors: &mut Errors) {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for a in &self.file.aliases {
            errors.push(check_text("alias", &a.text, limits));
            if a.targets.is_empty() {
                errors.push(Err(DirectoryError::EmptyAlias(a.text.clone())));
            }
            for t in &a.targets {
                if !self.contains(t) {
                    errors.push(Err(DirectoryError::UnknownAliasTarget { alias: a.text.clone(), target: t.clone() }));
                }
            }
            if let Some(first) = seen.insert(normalize::key(&a.text), &a.text) {
                errors.push(Err(DirectoryError::DuplicateAlias { first: first.to_string(), second: a.text.clone() }));
            }
            if errors.full() {
                return;
            }
        }
    }

    /// Builds the lookup table: aliases first (an alias settles what a
    /// phrase means), then group names, then unit names; a unit name shared
    /// by several units matches none of them.
    fn with_index(mut self) -> Self {
        let mut index: HashMap<String, IndexEntry> = HashMap::new();
        for a in &self.file.aliases {
            index.insert(
                normalize::key(&a.text),
                IndexEntry::Found { by: MatchedBy::Alias, targets: a.targets.clone() },
            );
        }
        for g in &self.file.groups {
            index.entry(normalize::key(&g.name)).or_insert_with(|| IndexEntry::Found {
                by: MatchedBy::GroupName,
                targets: vec![Member::Group(g.id.clone())],
            });
        }
        for u in &self.file.units {
            let k = normalize::key(&u.name);
            match index.get_mut(&k) {
                None => {
                    index.insert(
                        k,
                        IndexEntry::Found { by: MatchedBy::UnitName, targets: vec![Member::Unit(u.id.clone())] },
                    );
                }
                Some(e @ IndexEntry::Found { by: MatchedBy::UnitName, .. }) => *e = IndexEntry::Ambiguous,
                Some(_) => {}
            }
        }
        self.index = index;
        self
    }

    /// Writes the directory file (pretty-printed JSON).
    pub fn to_json(&self) -> Result<Vec<u8>, DirectoryError> {
        Ok(serde_json::to_vec_pretty(&self.file)?)
    }

    /// The directory's contents.
    pub fn file(&self) -> &DirectoryFile {
        &self.file
    }

    /// A unit by id.
    pub fn unit(&self, id: &OrganId) -> Option<&Unit> {
        self.units.get(id).and_then(|&i| self.file.units.get(i))
    }

    /// A group by id.
    pub fn group(&self, id: &GroupId) -> Option<&Group> {
        self.groups.get(id).and_then(|&i| self.file.groups.get(i))
    }

    /// Every unit, in file order.
    pub fn units(&self) -> &[Unit] {
        &self.file.units
    }

    /// Every group, in file order.
    pub fn groups(&self) -> &[Group] {
        &self.file.groups
    }

    /// True when the unit or group is in the directory.
    pub fn contains(&self, m: &Member) -> bool {
        match m {
            Member::Unit(id) => self.units.contains_key(id),
            Member::Group(id) => self.groups.contains_key(id),
        }
    }

    /// The units a member names, each once, following groups of groups
    /// (successors are not followed here: see [`Directory::recipients`]).
    /// Unknown members expand to nothing.
    pub fn expand(&self, member: &Member) -> Vec<OrganId> {
        let mut out = Vec::new();
        let mut seen_units = HashSet::new();
        let mut seen_groups = HashSet::new();
        let mut stack = vec![member];
        while let Some(m) = stack.pop() {
            match m {
                Member::Unit(id) => {
                    if self.units.contains_key(id) && seen_units.insert(id) {
                        out.push(id.clone());
                    }
                }
                Member::Group(id) => {
                    if seen_groups.insert(id)
                        && let Some(g) = self.group(id)
                    {
                        // Reversed so units come out in the group's order.
                        stack.extend(g.members.iter().rev());
                    }
                }
            }
        }
        out
    }

    /// The unit that receives for `id`: itself, or its final successor.
    /// `None` if the unit is unknown.
    pub fn successor(&self, id: &OrganId) -> Option<&Unit> {
        let mut u = self.unit(id)?;
        // Cycles were refused at load; the bound only makes that visible.
        for _ in 0..self.file.units.len() {
            match u.merged_into.as_ref().and_then(|s| self.unit(s)) {
                Some(next) => u = next,
                None => break,
            }
        }
        Some(u)
    }

    /// The receiving units of a set of members: groups expanded, successors
    /// followed, each receiving unit once.
    pub fn recipients<'a>(&self, members: impl IntoIterator<Item = &'a Member>) -> Recipients {
        let mut r = Recipients::default();
        let mut seen = HashSet::new();
        for m in members {
            for id in self.expand(m) {
                let Some(final_unit) = self.successor(&id) else { continue };
                if !final_unit.active {
                    if !r.closed.contains(&final_unit.id) {
                        r.closed.push(final_unit.id.clone());
                    }
                    continue;
                }
                if seen.insert(final_unit.id.clone()) {
                    let merged_from = (final_unit.id != id).then(|| id.clone());
                    r.units.push(Resolved { unit: final_unit.id.clone(), requested: id, merged_from });
                }
            }
        }
        r
    }

    /// Resolves one entry of a header's `to`: an organ id or a group id.
    pub fn resolve_to(&self, entry: &str) -> Result<Recipients, ResolveError> {
        self.resolve_member(&Member::parse(entry)?)
    }

    /// Resolves a unit or group that must be in the directory.
    pub fn resolve_member(&self, m: &Member) -> Result<Recipients, ResolveError> {
        match m {
            Member::Unit(id) if !self.units.contains_key(id) => Err(ResolveError::UnknownUnit(id.clone())),
            Member::Group(id) if !self.groups.contains_key(id) => Err(ResolveError::UnknownGroup(id.clone())),
            _ => Ok(self.recipients([m])),
        }
    }

    /// Everything a header addresses: its `to` entries and its "Nơi nhận"
    /// lines, as one list of receiving units (each once, the first way it
    /// was reached winning), with what became of each line and which `to`
    /// entries are unknown. The caller decides whether those refuse the
    /// document; nothing is dropped without being listed.
    pub fn route<'a>(&self, to: &[Member], to_places: impl IntoIterator<Item = &'a str>) -> Routing {
        let unknown_to: Vec<Member> = to.iter().filter(|m| !self.contains(m)).cloned().collect();
        let lines: Vec<LineResolution> = to_places.into_iter().map(|l| self.resolve_line(l)).collect();
        let from_lines = lines.iter().flat_map(|l| match l {
            LineResolution::Resolved { matches, .. } => matches.iter().flat_map(|m| m.targets.iter()).collect(),
            _ => Vec::new(),
        });
        let members: Vec<&Member> = to.iter().chain(from_lines).collect();
        Routing { recipients: self.recipients(members), lines, unknown_to }
    }

    /// Resolves one "Nơi nhận" line.
    ///
    /// The line is normalised ([`normalize`]) and cut at its breaks (commas,
    /// semicolons, "và"); from the left, the longest run of parts that is a
    /// known alias, group name or unit name is taken — as written, then
    /// without a purpose at the end ("(để báo cáo)") or a role word in front
    /// ("Hiệu trưởng các …"), see [`normalize::readings`]. A part that
    /// matches nothing is kept in `unresolved_parts`.
    pub fn resolve_line(&self, line: &str) -> LineResolution {
        let text = line.to_string();
        if line.chars().count() > MAX_LINE_CHARS {
            return LineResolution::Unresolved { text };
        }
        if normalize::is_archive_line(line) {
            return LineResolution::Archive { text };
        }
        if normalize::is_as_above_line(line) {
            return LineResolution::AsAbove { text };
        }
        let trimmed = line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '+' | ';' | '.' | ','));
        if let Ok(m) = Member::parse(trimmed)
            && self.contains(&m)
        {
            let recipients = self.recipients([&m]);
            let matches = vec![LineMatch { part: trimmed.to_string(), by: MatchedBy::Id, targets: vec![m] }];
            return LineResolution::Resolved { text, matches, recipients, unresolved_parts: Vec::new() };
        }

        let parts = split_parts(&normalize::normalize(line));
        if parts.len() > MAX_PARTS {
            return LineResolution::Unresolved { text };
        }
        let mut matches: Vec<LineMatch> = Vec::new();
        let mut unresolved_parts = Vec::new();
        let mut i = 0;
        // The head noun of the last match, lent to a following part that
        // names nothing alone: "các trường THCS, Tiểu học và Mầm non".
        let mut head: Option<&'static str> = None;
        while let Some(part) = parts.get(i) {
            let found = self.longest_match(&parts, i, None).or_else(|| self.longest_match(&parts, i, head));
            match found {
                Some((end, m)) => {
                    head = normalize::head_noun(&m.part);
                    if !matches.iter().any(|x| x.targets == m.targets) {
                        matches.push(m);
                    }
                    i = end;
                }
                None => {
                    unresolved_parts.push(part.words.join(" "));
                    i = i.saturating_add(1);
                }
            }
        }
        if matches.is_empty() {
            return LineResolution::Unresolved { text };
        }
        let recipients = self.recipients(matches.iter().flat_map(|m| m.targets.iter()));
        LineResolution::Resolved { text, matches, recipients, unresolved_parts }
    }

    /// The longest run of parts from `start` that names something, read
    /// with `head` in front if given; returns the index after the run and the
    /// match.
    fn longest_match(&self, parts: &[Part], start: usize, head: Option<&str>) -> Option<(usize, LineMatch)> {
        let last = parts.len().min(start.saturating_add(MAX_SPAN));
        for end in (start.saturating_add(1)..=last).rev() {
            let span = parts.get(start..end)?;
            let mut words: Vec<&str> = head.into_iter().collect();
            for (k, p) in span.iter().enumerate() {
                if k > 0
                    && let Some(j) = &p.joiner
                {
                    words.push(j);
                }
                words.extend(p.words.iter().map(String::as_str));
            }
            for cand in normalize::readings(&words) {
                let k = cand.join(" ");
                if let Some(IndexEntry::Found { by, targets }) = self.index.get(&k) {
                    return Some((end, LineMatch { part: k, by: *by, targets: targets.clone() }));
                }
            }
        }
        None
    }
}

/// The problems found while checking a directory, up to a count.
struct Errors {
    list: Vec<DirectoryError>,
    max: usize,
}

impl Errors {
    fn push(&mut self, r: Result<(), DirectoryError>) {
        if let Err(e) = r
            && !self.full()
        {
            self.list.push(e);
        }
    }

    fn full(&self) -> bool {
        self.list.len() >= self.max
    }
}

/// A run of words between two breaks, and the word of the break before it
/// ("và"), if any.
struct Part {
    joiner: Option<String>,
    words: Vec<String>,
}

fn split_parts(items: &[normalize::Norm]) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = Part { joiner: None, words: Vec::new() };
    for item in items {
        match item {
            normalize::Norm::Word(w) => current.words.push(w.clone()),
            normalize::Norm::Break(j) => {
                let next = Part { joiner: j.clone(), words: Vec::new() };
                let done = std::mem::replace(&mut current, next);
                if !done.words.is_empty() {
                    parts.push(done);
                }
            }
        }
    }
    if !current.words.is_empty() {
        parts.push(current);
    }
    parts
}

fn check_text(what: &'static str, text: &str, limits: Limits) -> Result<(), DirectoryError> {
    let n = text.chars().count();
    if n == 0 || n > limits.max_name_chars || normalize::key(text).is_empty() {
        return Err(DirectoryError::BadText {
            what,
            text: text.chars().take(80).collect(),
            limit: limits.max_name_chars,
        });
    }
    Ok(())
}

/// In a graph where each node has at most one successor (parents,
/// successions), a node on a cycle, if any. Linear: each node is walked once,
/// so a hostile 50,000-deep chain costs 50,000 steps, not their square.
fn first_cycle(n: usize, next: impl Fn(usize) -> Option<usize>) -> Option<usize> {
    // 0: not visited; w + 1: visited by walk w (still open or finished).
    let mut walk_of = vec![0usize; n];
    for start in 0..n {
        if walk_of.get(start) != Some(&0) {
            continue;
        }
        let walk = start.saturating_add(1);
        let mut i = start;
        loop {
            match walk_of.get_mut(i) {
                Some(w) if *w == 0 => *w = walk,
                // Reached a node of this walk again: a cycle.
                Some(w) if *w == walk => return Some(i),
                // Reached an earlier, finished walk, or out of range.
                _ => break,
            }
            match next(i) {
                Some(j) => i = j,
                None => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;

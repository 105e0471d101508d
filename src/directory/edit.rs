//! Changes to the directory, as an administrator asks for them.
//!
//! Each [`Edit`] is applied to a copy of the directory's contents and the
//! result is checked whole ([`Directory::check`]): every rule a directory
//! file obeys (organ id syntax, parents and successors that exist, no
//! cycles of groups, alias targets that exist, no two aliases reading the
//! same) holds after every change, or the change is refused and the
//! directory stays as it was. Pure: the store decides where the result
//! lives and which version it becomes.

use super::{Alias, Directory, DirectoryError, DirectoryFile, Group, GroupId, Limits, Member, OrganId, Unit, UnitKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One change to the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// A new unit (its id not yet in the directory).
    AddUnit { unit: Unit },
    /// Changes a unit's name, kind or parent (`"parent": null` removes it).
    UpdateUnit {
        id: OrganId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<UnitKind>,
        #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
        parent: Option<Option<OrganId>>,
    },
    /// The unit receives nothing new and its certificates stop working.
    Deactivate { id: OrganId },
    /// Undoes [`Edit::Deactivate`] (a unit merged into another stays closed).
    Activate { id: OrganId },
    /// A new group.
    AddGroup { group: Group },
    /// Changes a group's name and members: `members` replaces them all,
    /// then `add` and `remove` adjust.
    UpdateGroup {
        id: GroupId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        members: Option<Vec<Member>>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        add: Vec<Member>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<Member>,
    },
    /// Removes a group no other group or alias names.
    RemoveGroup { id: GroupId },
    /// A new alias.
    AddAlias { alias: Alias },
    /// Removes the alias with exactly this text.
    RemoveAlias { text: String },
    /// Replaces the whole directory (an import).
    Replace { file: DirectoryFile },
}

/// `"field": null` read as `Some(None)`, an absent field as `None`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Why a change was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The unit is not in the directory.
    #[error("unit {0} is not in the directory")]
    UnknownUnit(OrganId),
    /// The group is not in the directory.
    #[error("group {0} is not in the directory")]
    UnknownGroup(GroupId),
    /// No alias has this text.
    #[error("no alias reads {0:?}")]
    UnknownAlias(String),
    /// A unit with this id exists already.
    #[error("unit {0} is already in the directory")]
    UnitExists(OrganId),
    /// A group with this id exists already.
    #[error("group {0} is already in the directory")]
    GroupExists(GroupId),
    /// The change would change nothing (deactivating an inactive unit...).
    #[error("{0}")]
    Unchanged(String),
    /// A member to remove is not in the group.
    #[error("{member} is not a member of group {group}")]
    NotAMember { group: GroupId, member: Member },
    /// The directory after the change breaks its rules; the first problems.
    #[error("the directory would be invalid: {}", list(.0))]
    Invalid(Vec<DirectoryError>),
}

impl From<DirectoryError> for EditError {
    fn from(e: DirectoryError) -> Self {
        EditError::Invalid(vec![e])
    }
}

fn list(errors: &[DirectoryError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Most problems listed when a change or an import is refused.
pub const MAX_LISTED_ERRORS: usize = 20;

/// A change applied: the new directory, and what changed (for the audit log).
#[derive(Debug)]
pub struct Applied {
    pub directory: Directory,
    /// `{"op": ..., ...}`: the unit, group or alias before and after, or for
    /// an import the counts of what was added, removed and changed.
    pub detail: Value,
}

impl Directory {
    /// The directory with `edit` applied, checked whole; `self` is unchanged.
    pub fn apply(&self, edit: &Edit, limits: Limits) -> Result<Applied, EditError> {
        let mut file = self.file().clone();
        let detail = change(&mut file, self, edit)?;
        let directory = Directory::check(file, limits, MAX_LISTED_ERRORS).map_err(EditError::Invalid)?;
        Ok(Applied { directory, detail })
    }
}

fn unit_mut<'a>(file: &'a mut DirectoryFile, id: &OrganId) -> Result<&'a mut Unit, EditError> {
    file.units.iter_mut().find(|u| &u.id == id).ok_or_else(|| EditError::UnknownUnit(id.clone()))
}

fn group_mut<'a>(file: &'a mut DirectoryFile, id: &GroupId) -> Result<&'a mut Group, EditError> {
    file.groups.iter_mut().find(|g| &g.id == id).ok_or_else(|| EditError::UnknownGroup(id.clone()))
}

/// Applies `edit` to `file` (a copy of `before`'s contents) and describes it.
fn change(file: &mut DirectoryFile, before: &Directory, edit: &Edit) -> Result<Value, EditError> {
    Ok(match edit {
        Edit::AddUnit { unit } => {
            if before.unit(&unit.id).is_some() {
                return Err(EditError::UnitExists(unit.id.clone()));
            }
            file.units.push(unit.clone());
            json!({"op": "add_unit", "unit": unit})
        }
        Edit::UpdateUnit { id, name, kind, parent } => {
            let u = unit_mut(file, id)?;
            let old = u.clone();
            if let Some(n) = name {
                u.name.clone_from(n);
            }
            if let Some(k) = kind {
                u.kind = *k;
            }
            if let Some(p) = parent {
                u.parent.clone_from(p);
            }
            if *u == old {
                return Err(EditError::Unchanged(format!("unit {id} already reads so")));
            }
            json!({"op": "update_unit", "unit": id, "before": old, "after": u})
        }
        Edit::Deactivate { id } | Edit::Activate { id } => {
            let active = matches!(edit, Edit::Activate { .. });
            let u = unit_mut(file, id)?;
            if u.active == active {
                let state = if active { "active" } else { "deactivated" };
                return Err(EditError::Unchanged(format!("unit {id} is already {state}")));
            }
            u.active = active;
            json!({"op": if active { "activate" } else { "deactivate" }, "unit": id, "name": u.name})
        }
        Edit::AddGroup { group } => {
            if before.group(&group.id).is_some() {
                return Err(EditError::GroupExists(group.id.clone()));
            }
            file.groups.push(group.clone());
            json!({"op": "add_group", "group": group})
        }
        Edit::UpdateGroup { id, name, members, add, remove } => {
            let g = group_mut(file, id)?;
            let old = g.clone();
            if let Some(n) = name {
                g.name.clone_from(n);
            }
            if let Some(m) = members {
                g.members.clone_from(m);
            }
            for m in add {
                if !g.members.contains(m) {
                    g.members.push(m.clone());
                }
            }
            for m in remove {
                let n = g.members.len();
                g.members.retain(|x| x != m);
                if g.members.len() == n {
                    return Err(EditError::NotAMember { group: id.clone(), member: m.clone() });
                }
            }
            if *g == old {
                return Err(EditError::Unchanged(format!("group {id} already reads so")));
            }
            let added: Vec<&Member> = g.members.iter().filter(|m| !old.members.contains(m)).collect();
            let removed: Vec<&Member> = old.members.iter().filter(|m| !g.members.contains(m)).collect();
            json!({"op": "update_group", "group": id, "name": {"before": old.name, "after": g.name},
                   "added": added, "removed": removed})
        }
        Edit::RemoveGroup { id } => {
            let i = file.groups.iter().position(|g| &g.id == id).ok_or_else(|| EditError::UnknownGroup(id.clone()))?;
            let g = file.groups.remove(i);
            json!({"op": "remove_group", "group": g})
        }
        Edit::AddAlias { alias } => {
            file.aliases.push(alias.clone());
            json!({"op": "add_alias", "alias": alias})
        }
        Edit::RemoveAlias { text } => {
            let i = file
                .aliases
                .iter()
                .position(|a| &a.text == text)
                .ok_or_else(|| EditError::UnknownAlias(text.clone()))?;
            let a = file.aliases.remove(i);
            json!({"op": "remove_alias", "alias": a})
        }
        Edit::Replace { file: new } => {
            let old = before.file();
            let units_added = new.units.iter().filter(|u| before.unit(&u.id).is_none()).count();
            let units_changed = new.units.iter().filter(|u| before.unit(&u.id).is_some_and(|o| o != *u)).count();
            let units_removed = old.units.iter().filter(|o| !new.units.iter().any(|u| u.id == o.id)).count();
            let groups_added = new.groups.iter().filter(|g| before.group(&g.id).is_none()).count();
            let groups_changed = new.groups.iter().filter(|g| before.group(&g.id).is_some_and(|o| o != *g)).count();
            let groups_removed = old.groups.iter().filter(|o| !new.groups.iter().any(|g| g.id == o.id)).count();
            *file = new.clone();
            json!({"op": "import",
                   "units": {"total": new.units.len(), "added": units_added, "changed": units_changed, "removed": units_removed},
                   "groups": {"total": new.groups.len(), "added": groups_added, "changed": groups_changed, "removed": groups_removed},
                   "aliases": {"total": new.aliases.len()}})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Directory {
        let file: DirectoryFile = serde_json::from_value(json!({
            "units": [
                {"id": "000.00.12.H29", "name": "Sở Giáo dục", "kind": "department"},
                {"id": "001.20.12.H29", "name": "Trường THPT A", "kind": "high_school", "parent": "000.00.12.H29"},
                {"id": "002.20.12.H29", "name": "Trường THPT B", "kind": "high_school", "parent": "000.00.12.H29"}
            ],
            "groups": [{"id": "thpt", "name": "Các trường THPT", "members": ["001.20.12.H29"]}],
            "aliases": [{"text": "Hiệu trưởng các trường", "targets": ["thpt"]}]
        }))
        .unwrap();
        Directory::from_file(file, Limits::default()).unwrap()
    }

    fn gid(s: &str) -> GroupId {
        GroupId::parse(s).unwrap()
    }

    fn oid(s: &str) -> OrganId {
        OrganId::parse(s).unwrap()
    }

    #[test]
    fn a_change_is_checked_whole_and_leaves_the_original_alone() {
        let d = small();
        let add = Edit::UpdateGroup {
            id: gid("thpt"),
            name: None,
            members: None,
            add: vec![Member::Unit(oid("002.20.12.H29"))],
            remove: vec![],
        };
        let after = d.apply(&add, Limits::default()).unwrap();
        assert_eq!(after.directory.expand(&Member::Group(gid("thpt"))).len(), 2);
        assert_eq!(d.expand(&Member::Group(gid("thpt"))).len(), 1, "the original is unchanged");
        assert_eq!(after.detail["added"], json!(["002.20.12.H29"]));

        // A group containing itself, through another.
        let outer = Group { id: gid("ngoai"), name: "Ngoài".into(), members: vec![Member::Group(gid("thpt"))] };
        let d2 = d.apply(&Edit::AddGroup { group: outer }, Limits::default()).unwrap().directory;
        let cycle = Edit::UpdateGroup {
            id: gid("thpt"),
            name: None,
            members: None,
            add: vec![Member::Group(gid("ngoai"))],
            remove: vec![],
        };
        match d2.apply(&cycle, Limits::default()) {
            Err(EditError::Invalid(e)) => assert!(matches!(e.as_slice(), [DirectoryError::GroupCycle(_)]), "{e:?}"),
            other => panic!("a cycle accepted: {other:?}"),
        }
        // A group still named by an alias cannot go; a unit cannot be added twice.
        assert!(matches!(
            d.apply(&Edit::RemoveGroup { id: gid("thpt") }, Limits::default()),
            Err(EditError::Invalid(_))
        ));
        let again = d.unit(&oid("001.20.12.H29")).unwrap().clone();
        assert!(matches!(d.apply(&Edit::AddUnit { unit: again }, Limits::default()), Err(EditError::UnitExists(_))));
        let off = d.apply(&Edit::Deactivate { id: oid("001.20.12.H29") }, Limits::default()).unwrap().directory;
        assert!(matches!(
            off.apply(&Edit::Deactivate { id: oid("001.20.12.H29") }, Limits::default()),
            Err(EditError::Unchanged(_))
        ));
        assert_eq!(off.recipients([&Member::Group(gid("thpt"))]).closed, [oid("001.20.12.H29")]);
    }

    #[test]
    fn an_invalid_import_lists_its_problems() {
        let d = small();
        let mut file = d.file().clone();
        file.groups.push(Group { id: gid("a"), name: "A".into(), members: vec![Member::Group(gid("b"))] });
        file.groups.push(Group {
            id: gid("b"),
            name: "B".into(),
            members: vec![Member::Group(gid("a")), Member::Unit(oid("999.99.99.H29"))],
        });
        file.aliases
            .push(Alias { text: "HIỆU TRƯỞNG CÁC TRƯỜNG".into(), targets: vec![Member::Group(gid("a"))] });
        match d.apply(&Edit::Replace { file }, Limits::default()) {
            Err(EditError::Invalid(e)) => {
                let text: Vec<String> = e.iter().map(ToString::to_string).collect();
                assert!(text.iter().any(|t| t.contains("999.99.99.H29")), "{text:?}");
                assert!(e.iter().any(|x| matches!(x, DirectoryError::GroupCycle(_))), "{text:?}");
                assert!(e.iter().any(|x| matches!(x, DirectoryError::DuplicateAlias { .. })), "{text:?}");
            }
            other => panic!("accepted: {other:?}"),
        }
    }
}

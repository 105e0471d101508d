//! edXML statuses of a delivery and the one table of legal transitions.
//!
//! A recipient reports what it did with a document: 01 arrived (recorded by
//! vanthu at the first fetch), 02 refused, 03 accepted and registered,
//! 04 assigned, 05 being processed (repeatable), 06 completed. A sender may
//! ask to recall (13); each recipient agrees (15: the document leaves its
//! inbox) or refuses (16). Recall is tracked beside the processing status,
//! so a refused recall leaves the recipient where it was.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Processing status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "01")]
    Arrived,
    #[serde(rename = "02")]
    Refused,
    #[serde(rename = "03")]
    Accepted,
    #[serde(rename = "04")]
    Assigned,
    #[serde(rename = "05")]
    Processing,
    #[serde(rename = "06")]
    Completed,
}

/// Recall codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recall {
    #[serde(rename = "13")]
    Requested,
    #[serde(rename = "15")]
    Agreed,
    #[serde(rename = "16")]
    Refused,
}

/// Any code a status request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Status(Status),
    Recall(Recall),
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Arrived, Status::Refused, Status::Accepted, Status::Assigned, Status::Processing, Status::Completed];

    pub fn code(self) -> &'static str {
        match self {
            Status::Arrived => "01",
            Status::Refused => "02",
            Status::Accepted => "03",
            Status::Assigned => "04",
            Status::Processing => "05",
            Status::Completed => "06",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Arrived => "arrived",
            Status::Refused => "refused",
            Status::Accepted => "accepted",
            Status::Assigned => "assigned",
            Status::Processing => "processing",
            Status::Completed => "completed",
        }
    }

    pub fn from_code(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.code() == s)
    }
}

impl Recall {
    pub fn code(self) -> &'static str {
        match self {
            Recall::Requested => "13",
            Recall::Agreed => "15",
            Recall::Refused => "16",
        }
    }

    pub fn from_code(s: &str) -> Option<Recall> {
        [Recall::Requested, Recall::Agreed, Recall::Refused].into_iter().find(|r| r.code() == s)
    }
}

impl Code {
    pub fn parse(s: &str) -> Option<Code> {
        Status::from_code(s).map(Code::Status).or_else(|| Recall::from_code(s).map(Code::Recall))
    }

    pub fn code(self) -> &'static str {
        match self {
            Code::Status(s) => s.code(),
            Code::Recall(r) => r.code(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.label())
    }
}

/// The legal processing transitions: (from, to). `None` is "sent, not yet
/// fetched". Everything not listed is refused.
const TRANSITIONS: &[(Option<Status>, Status)] = &[
    (None, Status::Arrived),
    (Some(Status::Arrived), Status::Refused),
    (Some(Status::Arrived), Status::Accepted),
    (Some(Status::Accepted), Status::Assigned),
    (Some(Status::Accepted), Status::Processing),
    (Some(Status::Accepted), Status::Completed),
    (Some(Status::Assigned), Status::Processing),
    (Some(Status::Assigned), Status::Completed),
    (Some(Status::Processing), Status::Processing),
    (Some(Status::Processing), Status::Completed),
];

/// The legal recall transitions, and who may make them.
const RECALLS: &[(Option<Recall>, Recall, Party)] = &[
    (None, Recall::Requested, Party::Sender),
    (Some(Recall::Refused), Recall::Requested, Party::Sender),
    (Some(Recall::Requested), Recall::Agreed, Party::Recipient),
    (Some(Recall::Requested), Recall::Refused, Party::Recipient),
];

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Sender,
    Recipient,
}

/// Why a transition is refused, in words for the person who asked.
pub fn check_status(from: Option<Status>, to: Status) -> Result<(), String> {
    if TRANSITIONS.contains(&(from, to)) {
        return Ok(());
    }
    let now = from.map_or_else(|| "sent but not yet fetched".to_string(), |s| s.to_string());
    let allowed: Vec<String> = TRANSITIONS.iter().filter(|(f, _)| *f == from).map(|(_, t)| t.to_string()).collect();
    Err(if allowed.is_empty() {
        format!("the document is {now} for this recipient, a final status; {to} is not possible")
    } else {
        format!("the document is {now} for this recipient; from there only {} may follow, not {to}", allowed.join(", "))
    })
}

/// Checks a recall step by `party` from the current recall state.
pub fn check_recall(from: Option<Recall>, to: Recall, party: Party) -> Result<(), String> {
    match RECALLS.iter().find(|(f, t, _)| *f == from && *t == to) {
        Some((_, _, p)) if *p == party => Ok(()),
        Some(_) => Err(match party {
            Party::Sender => format!("only a recipient answers a recall ({})", to.code()),
            Party::Recipient => "only the sender can recall a document (13)".to_string(),
        }),
        None => Err(match (from, to) {
            (Some(Recall::Agreed), _) => "the recall was already agreed".to_string(),
            (Some(Recall::Requested), Recall::Requested) => "a recall is already pending".to_string(),
            (_, Recall::Agreed | Recall::Refused) => "there is no pending recall to answer".to_string(),
            _ => format!("recall step {} is not possible now", to.code()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_allows_the_normal_path_and_refuses_jumps() {
        assert!(check_status(None, Status::Arrived).is_ok());
        assert!(check_status(Some(Status::Arrived), Status::Accepted).is_ok());
        assert!(check_status(Some(Status::Processing), Status::Processing).is_ok());
        let e = check_status(Some(Status::Completed), Status::Processing).unwrap_err();
        assert!(e.contains("final"), "{e}");
        let e = check_status(None, Status::Completed).unwrap_err();
        assert!(e.contains("not yet fetched"), "{e}");
        assert!(check_recall(None, Recall::Requested, Party::Sender).is_ok());
        assert!(check_recall(None, Recall::Requested, Party::Recipient).is_err());
        assert!(check_recall(Some(Recall::Requested), Recall::Agreed, Party::Recipient).is_ok());
        assert!(check_recall(None, Recall::Agreed, Party::Recipient).is_err());
        assert_eq!(Code::parse("15"), Some(Code::Recall(Recall::Agreed)));
        assert_eq!(Code::parse("07"), None);
    }
}

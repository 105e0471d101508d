//! Certificate path building and validation (RFC 5280 §6, the parts a
//! document-signature validator needs).

use super::algorithms::AlgorithmError;
use super::policy::{self, UsageError};
use super::{Cert, TrustStore};
use thiserror::Error;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Name;

pub use super::policy::{RECEIPT_SIGNING, Usage, check_usage, receipt_signing_eku_value};

/// Longest path accepted, trust anchor included.
const MAX_DEPTH: usize = 8;
/// Most signature verifications spent on building one path.
const MAX_SIGNATURE_CHECKS: usize = 64;
/// Most name checks (names of a certificate times subtrees of a CA) spent on
/// one path: name constraints come from certificates an attacker may choose.
const MAX_NAME_CHECKS: usize = 4096;

/// Why no acceptable path was found.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PathError {
    #[error("no certificate chain to a trusted root")]
    NoChain,
    #[error("chain uses an algorithm refused by policy: {0}")]
    Crypto(AlgorithmError),
    #[error("path building gave up after {MAX_SIGNATURE_CHECKS} signature checks")]
    Budget,
    #[error("the certificate is unreadable (not a DER X.509 certificate)")]
    Unreadable,
    /// The end-entity certificate may not be used as asked ([`policy`]).
    #[error("{0}")]
    Usage(#[from] UsageError),
    #[error("{subject} is not a CA certificate")]
    NotCa { subject: String },
    #[error("path length constraint of {subject} exceeded")]
    PathLength { subject: String },
    #[error("{subject} may not issue certificates: {reason}")]
    CaUsage { subject: String, reason: UsageError },
    #[error("{subject} has a malformed {extension} extension")]
    MalformedExtension { subject: String, extension: &'static str },
    #[error("{subject} has a critical extension vanthu does not understand ({oid})")]
    UnknownCriticalExtension { subject: String, oid: String },
    #[error("{subject} is outside the name constraints of {ca}: {name} is not in a permitted subtree")]
    NameNotPermitted { subject: String, ca: String, name: String },
    #[error("{subject} is outside the name constraints of {ca}: {name} is in an excluded subtree")]
    NameExcluded { subject: String, ca: String, name: String },
    #[error("the name constraints of {ca} restrict {form} names, which vanthu does not check, and {subject} has one")]
    NameFormUnsupported { subject: String, ca: String, form: &'static str },
    #[error("name constraints checking gave up after {MAX_NAME_CHECKS} comparisons")]
    NameBudget,
}

impl PathError {
    /// Preference when several failed candidates exist: the most specific wins.
    fn rank(&self) -> u8 {
        match self {
            PathError::NoChain => 0,
            PathError::Budget | PathError::NameBudget => 1,
            PathError::Crypto(_) => 2,
            PathError::Unreadable
            | PathError::Usage(_)
            | PathError::NotCa { .. }
            | PathError::PathLength { .. }
            | PathError::CaUsage { .. }
            | PathError::MalformedExtension { .. }
            | PathError::UnknownCriticalExtension { .. }
            | PathError::NameNotPermitted { .. }
            | PathError::NameExcluded { .. }
            | PathError::NameFormUnsupported { .. } => 3,
        }
    }
}

/// A path from the end-entity (index 0) to a trust anchor (last).
pub struct CertPath<'a> {
    pub certs: Vec<Cert<'a>>,
}

struct Builder<'a, 'p> {
    pool: &'p [Cert<'a>],
    anchors: &'p [Cert<'a>],
    checks: usize,
    best_error: PathError,
}

/// Builds a path from `leaf` through certificates of `pool` to an anchor of
/// `store`, checking signatures, CA constraints, critical extensions and
/// name constraints; the leaf's usage is checked first against the
/// [`policy`] table. Validity periods and revocation are checked by the
/// caller, who knows the relevant times.
pub fn build<'a>(
    leaf: &'a [u8],
    pool: &[&'a [u8]],
    store: &'a TrustStore,
    usage: Usage,
) -> Result<CertPath<'a>, PathError> {
    let leaf = Cert::parse(leaf).map_err(|_| PathError::Unreadable)?;
    // The policy table refuses the leaf's unknown critical extensions too.
    check_usage(&leaf, usage)?;
    let pool: Vec<Cert<'a>> = pool.iter().filter_map(|raw| Cert::parse(raw).ok()).collect();
    let anchors: Vec<Cert<'a>> = store.anchors().filter_map(|raw| Cert::parse(raw).ok()).collect();
    if anchors.iter().any(|a| a.raw == leaf.raw) {
        return Ok(CertPath { certs: vec![leaf] });
    }
    let mut b = Builder { pool: &pool, anchors: &anchors, checks: 0, best_error: PathError::NoChain };
    let mut chain = vec![&leaf];
    match b.extend(&mut chain) {
        Some(raws) => {
            let certs = raws.into_iter().filter_map(|raw| Cert::parse(raw).ok()).collect();
            Ok(CertPath { certs })
        }
        None => Err(b.best_error),
    }
}

impl<'a, 'p> Builder<'a, 'p> {
    fn note(&mut self, e: PathError) {
        if e.rank() > self.best_error.rank() {
            self.best_error = e;
        }
    }

    /// Depth-first search upward from the last certificate of `chain`
    /// (leaf first); returns the raw certificates of a completed path.
    fn extend(&mut self, chain: &mut Vec<&'p Cert<'a>>) -> Option<Vec<&'a [u8]>> {
        let current = *chain.last()?;
        let candidates = self.anchors.iter().map(|c| (c, true)).chain(self.pool.iter().map(|c| (c, false)));
        for (issuer, is_anchor) in candidates {
            if issuer.subject_raw() != current.issuer_raw() || chain.iter().any(|c| c.raw == issuer.raw) {
                continue;
            }
            if self.checks >= MAX_SIGNATURE_CHECKS {
                self.note(PathError::Budget);
                return None;
            }
            self.checks += 1;
            match current.verify_signed_by(issuer) {
                Ok(()) => {}
                Err(e @ AlgorithmError::Policy(_)) => {
                    self.note(PathError::Crypto(e));
                    continue;
                }
                Err(_) => continue,
            }
            // An anchor is trusted as configured; its own constraints are the
            // administrator's decision. Intermediates must be CAs allowed to sign.
            if !is_anchor {
                let below = chain.len() - 1; // intermediates already under this one
                if let Err(e) = check_ca(issuer, below) {
                    self.note(e);
                    continue;
                }
            }
            chain.push(issuer);
            if is_anchor {
                // Name constraints bind everything below the CA that sets
                // them, the anchor's included (as OpenSSL and webpki apply
                // them), so they are judged on the whole path.
                match check_name_constraints(chain) {
                    Ok(()) => return Some(chain.iter().map(|c| c.raw).collect()),
                    Err(e) => {
                        self.note(e);
                        chain.pop();
                        continue;
                    }
                }
            }
            if chain.len() < MAX_DEPTH
                && let Some(done) = self.extend(chain)
            {
                return Some(done);
            }
            chain.pop();
        }
        None
    }
}

/// RFC 5280 §4.2: a critical extension not in [`policy::UNDERSTOOD_EXTENSIONS`]
/// refuses the certificate; silently ignoring it would accept a certificate
/// under a restriction its issuer made mandatory.
fn check_critical(cert: &Cert<'_>) -> Result<(), PathError> {
    match policy::unknown_critical_extension(cert) {
        Some(oid) => Err(PathError::UnknownCriticalExtension { subject: cert.subject_text(), oid }),
        None => Ok(()),
    }
}

fn check_ca(cert: &Cert<'_>, intermediates_below: usize) -> Result<(), PathError> {
    let subject = || cert.subject_text();
    match cert.x509.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => {
            if let Some(max) = bc.value.path_len_constraint
                && intermediates_below > max as usize
            {
                return Err(PathError::PathLength { subject: subject() });
            }
        }
        Ok(_) => return Err(PathError::NotCa { subject: subject() }),
        Err(_) => return Err(PathError::MalformedExtension { subject: subject(), extension: "basic constraints" }),
    }
    policy::check_ca_usage(cert).map_err(|reason| PathError::CaUsage { subject: subject(), reason })?;
    check_critical(cert)
}

/// A name of a certificate, in the forms name constraints speak of.
enum Name<'n> {
    Directory(&'n X509Name<'n>),
    Dns(&'n str),
    Email(&'n str),
    Uri(&'n str),
    Ip(&'n [u8]),
    /// A form vanthu does not check (otherName, x400Address, ...).
    Other(&'static str),
}

impl Name<'_> {
    fn form(&self) -> &'static str {
        match self {
            Name::Directory(_) => "directoryName",
            Name::Dns(_) => "dNSName",
            Name::Email(_) => "rfc822Name",
            Name::Uri(_) => "uniformResourceIdentifier",
            Name::Ip(_) => "iPAddress",
            Name::Other(form) => form,
        }
    }

    fn text(&self) -> String {
        match self {
            Name::Directory(n) => format!("the name \"{}\"", super::name_text(n)),
            Name::Dns(s) => format!("the DNS name {s}"),
            Name::Email(s) => format!("the e-mail address {s}"),
            Name::Uri(s) => format!("the URI {s}"),
            Name::Ip(b) => format!("the IP address {}", super::hex_upper(b)),
            Name::Other(form) => format!("a {form} name"),
        }
    }
}

fn general<'n>(g: &'n GeneralName<'n>) -> Name<'n> {
    match g {
        GeneralName::DirectoryName(n) => Name::Directory(n),
        GeneralName::DNSName(s) => Name::Dns(s),
        GeneralName::RFC822Name(s) => Name::Email(s),
        GeneralName::URI(s) => Name::Uri(s),
        GeneralName::IPAddress(b) => Name::Ip(b),
        GeneralName::OtherName(..) => Name::Other("otherName"),
        GeneralName::X400Address(_) => Name::Other("x400Address"),
        GeneralName::EDIPartyName(_) => Name::Other("ediPartyName"),
        GeneralName::RegisteredID(_) => Name::Other("registeredID"),
        GeneralName::Invalid(..) => Name::Other("invalid"),
    }
}

/// Whether `name` lies in the subtree `base`; `None` when the two are of
/// different forms (the subtree says nothing about the name).
fn in_subtree(base: &Name<'_>, name: &Name<'_>) -> Option<bool> {
    match (base, name) {
        (Name::Directory(b), Name::Directory(n)) => Some(dn_within(b, n)),
        (Name::Dns(b), Name::Dns(n)) => Some(dns_within(b, n)),
        (Name::Email(b), Name::Email(n)) => Some(email_within(b, n)),
        (Name::Uri(b), Name::Uri(n)) => Some(uri_host(n).is_some_and(|h| host_within(b, h))),
        (Name::Ip(b), Name::Ip(n)) => Some(ip_within(b, n)),
        _ => None,
    }
}

/// RFC 5280 §4.2.1.10 directoryName: the base's RDNs are the first RDNs of
/// the name, attribute by attribute (strings compared ignoring case and
/// runs of white space, as RFC 4518 prepares them in outline).
fn dn_within(base: &X509Name<'_>, name: &X509Name<'_>) -> bool {
    let (b, n): (Vec<_>, Vec<_>) = (base.iter().collect(), name.iter().collect());
    if b.len() > n.len() {
        return false;
    }
    b.iter().zip(&n).all(|(rb, rn)| {
        let (ab, an): (Vec<_>, Vec<_>) = (rb.iter().collect(), rn.iter().collect());
        ab.len() == an.len()
            && ab.iter().zip(&an).all(|(x, y)| {
                x.attr_type() == y.attr_type()
                    && match (x.as_str(), y.as_str()) {
                        (Ok(s), Ok(t)) => fold(s) == fold(t),
                        _ => x.attr_value().data == y.attr_value().data,
                    }
            })
    })
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// dNSName: "example.vn" holds itself and every name below it; a leading
/// dot (".example.vn", common practice) holds only the names below.
fn dns_within(base: &str, name: &str) -> bool {
    let (b, n) = (base.trim_end_matches('.').to_ascii_lowercase(), name.trim_end_matches('.').to_ascii_lowercase());
    if b.is_empty() {
        return true;
    }
    match b.strip_prefix('.') {
        Some(_) => n.ends_with(&b),
        None => n == b || n.ends_with(&format!(".{b}")),
    }
}

/// URI hosts: "host.vn" holds only that host; ".vn" every host below it.
fn host_within(base: &str, host: &str) -> bool {
    let (b, h) = (base.to_ascii_lowercase(), host.to_ascii_lowercase());
    if b.starts_with('.') { h.ends_with(&b) } else { h == b }
}

/// rfc822Name: a whole mailbox ("a@x.vn"), one host ("x.vn"), or every
/// host below a domain (".x.vn").
fn email_within(base: &str, addr: &str) -> bool {
    if base.contains('@') {
        return match (base.rsplit_once('@'), addr.rsplit_once('@')) {
            (Some((bl, bh)), Some((al, ah))) => bl == al && bh.eq_ignore_ascii_case(ah),
            _ => false,
        };
    }
    addr.rsplit_once('@').is_some_and(|(_, host)| host_within(base, host))
}

/// The host of a URI: after "scheme://" and any "userinfo@", before any
/// port, path, query or fragment. A URI without an authority, or with an
/// IP literal, has no host a DNS-style constraint can hold.
fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') {
        return None;
    }
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// iPAddress: the base is an address and a mask of the same family.
fn ip_within(base: &[u8], addr: &[u8]) -> bool {
    let (net, mask) = base.split_at(base.len() / 2);
    matches!(addr.len(), 4 | 16)
        && base.len() == addr.len() * 2
        && addr.iter().zip(net).zip(mask).all(|((a, n), m)| a & m == n & m)
}

/// Every name of `cert` that name constraints apply to: the subject (when
/// not empty), the subject alternative names, and, without those, any
/// emailAddress attribute of the subject (RFC 5280 §4.2.1.10).
fn names_of<'n>(cert: &'n Cert<'_>, out: &mut Vec<Name<'n>>) -> Result<(), PathError> {
    let subject = cert.x509.subject();
    if subject.iter().next().is_some() {
        out.push(Name::Directory(subject));
    }
    let san = cert.x509.subject_alternative_name().map_err(|_| PathError::MalformedExtension {
        subject: cert.subject_text(),
        extension: "subject alternative name",
    })?;
    match san {
        Some(san) => out.extend(san.value.general_names.iter().map(general)),
        None => out.extend(subject.iter_email().filter_map(|e| e.as_str().ok()).map(Name::Email)),
    }
    Ok(())
}

/// RFC 5280 §6.1.3 (b), (c): every certificate below a CA with name
/// constraints must have all its names inside the permitted subtrees (of
/// their form, when the CA names any of that form) and none inside an
/// excluded one. Self-issued intermediates are exempt, as the RFC says.
fn check_name_constraints(chain: &[&Cert<'_>]) -> Result<(), PathError> {
    let mut spent = 0usize;
    for (i, ca) in chain.iter().enumerate().skip(1) {
        let nc = match ca.x509.name_constraints() {
            Ok(None) => continue,
            Ok(Some(nc)) => nc.value,
            Err(_) => {
                return Err(PathError::MalformedExtension {
                    subject: ca.subject_text(),
                    extension: "name constraints",
                });
            }
        };
        let permitted: Vec<Name<'_>> = nc.permitted_subtrees.iter().flatten().map(|s| general(&s.base)).collect();
        let excluded: Vec<Name<'_>> = nc.excluded_subtrees.iter().flatten().map(|s| general(&s.base)).collect();
        for (j, cert) in chain.iter().enumerate().take(i) {
            if j > 0 && cert.subject_raw() == cert.issuer_raw() {
                continue;
            }
            let mut names = Vec::new();
            names_of(cert, &mut names)?;
            for name in &names {
                spent = spent.saturating_add(permitted.len() + excluded.len());
                if spent > MAX_NAME_CHECKS {
                    return Err(PathError::NameBudget);
                }
                let fail =
                    |f: fn(String, String, String) -> PathError| f(cert.subject_text(), ca.subject_text(), name.text());
                for base in permitted.iter().chain(&excluded) {
                    if let (Name::Other(form), true) = (base, base.form() == name.form()) {
                        return Err(PathError::NameFormUnsupported {
                            subject: cert.subject_text(),
                            ca: ca.subject_text(),
                            form,
                        });
                    }
                }
                if excluded.iter().any(|b| in_subtree(b, name) == Some(true)) {
                    return Err(fail(|subject, ca, name| PathError::NameExcluded { subject, ca, name }));
                }
                let of_form: Vec<bool> = permitted.iter().filter_map(|b| in_subtree(b, name)).collect();
                if !of_form.is_empty() && !of_form.contains(&true) {
                    return Err(fail(|subject, ca, name| PathError::NameNotPermitted { subject, ca, name }));
                }
            }
        }
    }
    Ok(())
}

/// Which certificate of a path is outside its validity period at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidityError {
    Expired { subject: String, not_after: time::OffsetDateTime },
    NotYetValid { subject: String, not_before: time::OffsetDateTime },
}

impl std::fmt::Display for ValidityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValidityError::Expired { subject, not_after } => {
                write!(f, "certificate {subject} expired on {}", crate::asn1::time::fmt_time(*not_after))
            }
            ValidityError::NotYetValid { subject, not_before } => {
                write!(f, "certificate {subject} is not valid before {}", crate::asn1::time::fmt_time(*not_before))
            }
        }
    }
}

impl CertPath<'_> {
    /// Checks every certificate but the anchor against `at`.
    pub fn check_validity(&self, at: time::OffsetDateTime) -> Result<(), ValidityError> {
        let n = self.certs.len().saturating_sub(1).max(1);
        for c in self.certs.iter().take(n) {
            if at > c.not_after() {
                return Err(ValidityError::Expired { subject: c.subject_text(), not_after: c.not_after() });
            }
            if at < c.not_before() {
                return Err(ValidityError::NotYetValid { subject: c.subject_text(), not_before: c.not_before() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees_hold_the_domain_and_below_a_leading_dot_only_below() {
        assert!(dns_within("edu.vn", "edu.vn"));
        assert!(dns_within("edu.vn", "LeQuyDon.EDU.vn"));
        assert!(!dns_within("edu.vn", "notedu.vn"), "a suffix is not a subdomain");
        assert!(!dns_within(".edu.vn", "edu.vn"));
        assert!(dns_within(".edu.vn", "a.edu.vn"));
        assert!(dns_within("", "anything.example"), "an empty base holds every name");
    }

    #[test]
    fn mail_subtrees_are_a_mailbox_a_host_or_a_domain() {
        assert!(email_within("lan@lequydon.edu.vn", "lan@LEQUYDON.edu.vn"));
        assert!(!email_within("lan@lequydon.edu.vn", "hoa@lequydon.edu.vn"));
        assert!(email_within("lequydon.edu.vn", "hoa@lequydon.edu.vn"));
        assert!(!email_within("lequydon.edu.vn", "hoa@mail.lequydon.edu.vn"), "a host base holds that host only");
        assert!(email_within(".edu.vn", "hoa@mail.lequydon.edu.vn"));
        assert!(!email_within("lequydon.edu.vn", "not-an-address"));
    }

    #[test]
    fn uri_subtrees_judge_the_host() {
        assert_eq!(uri_host("https://user@portal.edu.vn:8443/a?b#c"), Some("portal.edu.vn"));
        assert_eq!(uri_host("urn:vanthu:unit:000.00.12.H29"), None, "no authority, no host");
        assert_eq!(uri_host("https://[2001:db8::1]/"), None);
        assert!(host_within("portal.edu.vn", "PORTAL.edu.vn"));
        assert!(!host_within("edu.vn", "portal.edu.vn"), "without a dot, that host only");
        assert!(host_within(".edu.vn", "portal.edu.vn"));
    }

    #[test]
    fn ip_subtrees_are_an_address_and_a_mask_of_one_family() {
        let net = [10, 1, 0, 0, 255, 255, 0, 0];
        assert!(ip_within(&net, &[10, 1, 200, 7]));
        assert!(!ip_within(&net, &[10, 2, 0, 1]));
        assert!(!ip_within(&net, &[0; 16]), "an IPv6 address is outside an IPv4 subtree");
        assert!(!ip_within(&[], &[]), "an empty address is no address");
    }
}

//! The validation report: ETSI EN 319 102-1 indications per signature and
//! for the document, rendered as JSON or as readable text.

use serde::Serialize;

/// ETSI main indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Indication {
    #[serde(rename = "TOTAL-PASSED")]
    TotalPassed,
    #[serde(rename = "TOTAL-FAILED")]
    TotalFailed,
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
}

impl Indication {
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::TotalFailed => "TOTAL-FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

/// ETSI sub-indications used by vanthu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    Expired,
    NotYetValid,
    OutOfBoundsNoPoe,
    NoSigningCertificateFound,
    NoCertificateChainFound,
    ChainConstraintsFailure,
    CryptoConstraintsFailure,
    SignedDataNotFound,
    /// No revocation data at all under a policy that requires it.
    TryLater,
    /// Only revocation data past its nextUpdate under a policy that
    /// requires current data.
    RevocationOutOfBoundsNoPoe,
}

impl SubIndication {
    /// The main indication this sub-indication belongs to (ETSI EN 319 102-1 §5.1.3).
    pub fn indication(self) -> Indication {
        use SubIndication::*;
        match self {
            FormatFailure | HashFailure | SigCryptoFailure | Revoked | Expired | NotYetValid => Indication::TotalFailed,
            OutOfBoundsNoPoe
            | NoSigningCertificateFound
            | NoCertificateChainFound
            | ChainConstraintsFailure
            | CryptoConstraintsFailure
            | SignedDataNotFound
            | TryLater
            | RevocationOutOfBoundsNoPoe => Indication::Indeterminate,
        }
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

/// What later revisions changed, from harmless to disallowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Changes {
    None,
    /// New signatures, document timestamps, DSS, metadata.
    Signatures,
    FormFilling,
    Annotations,
    Other,
}

impl Changes {
    pub fn as_str(self) -> &'static str {
        match self {
            Changes::None => "none",
            Changes::Signatures => "signatures",
            Changes::FormFilling => "form-filling",
            Changes::Annotations => "annotations",
            Changes::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Signer {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Timestamp {
    pub time: String,
    pub tsa: String,
}

/// One signature's findings.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    pub field: String,
    pub indication: Indication,
    pub subindication: Option<SubIndication>,
    pub subfilter: String,
    pub digest_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
    pub signer: Option<Signer>,
    pub signing_time: Option<String>,
    pub timestamp: Option<Timestamp>,
    /// DocMDP permission (1, 2 or 3) when this is a certification signature.
    pub certification: Option<u8>,
    pub byte_range: Option<[u64; 4]>,
    pub covers_whole_document: bool,
    pub changes_after: Changes,
    /// What was wrong, one readable sentence each.
    pub errors: Vec<String>,
    /// Things worth knowing that did not change the indication.
    pub warnings: Vec<String>,
}

impl SignatureReport {
    pub fn new(field: String, subfilter: String) -> Self {
        SignatureReport {
            field,
            indication: Indication::TotalPassed,
            subindication: None,
            subfilter,
            digest_algorithm: None,
            signature_algorithm: None,
            signer: None,
            signing_time: None,
            timestamp: None,
            certification: None,
            byte_range: None,
            covers_whole_document: false,
            changes_after: Changes::None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a failure; the first one decides the indication.
    pub fn fail(&mut self, sub: SubIndication, message: impl Into<String>) {
        if self.subindication.is_none() {
            self.subindication = Some(sub);
            self.indication = sub.indication();
        }
        self.errors.push(message.into());
    }

    pub fn passed(&self) -> bool {
        self.indication == Indication::TotalPassed
    }
}

/// The whole document's findings.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    pub indication: Indication,
    pub modified_after_signing: bool,
    /// Findings about the file as a whole: repairs made to read it, damage,
    /// limits reached. One readable sentence each.
    pub warnings: Vec<String>,
    pub signatures: Vec<SignatureReport>,
}

/// Times in the report are written as everywhere else (RFC 3339, UTC).
pub use crate::asn1::time::fmt_time;

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A readable report in the spirit of poppler's pdfsig.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "Digital signatures of: {}", self.file);
        for w in &self.warnings {
            let _ = writeln!(s, "  note: {w}");
        }
        if self.signatures.is_empty() {
            let _ = writeln!(s, "  no signatures found");
        }
        for (i, sig) in self.signatures.iter().enumerate() {
            let _ = writeln!(s, "Signature #{}:", i + 1);
            let _ = writeln!(s, "  - Field: {}", sig.field);
            if let Some(signer) = &sig.signer {
                let _ = writeln!(s, "  - Signer: {}", signer.subject);
                let _ = writeln!(s, "  - Issuer: {}", signer.issuer);
                let _ = writeln!(s, "  - Serial: {}", signer.serial);
            }
            if let Some(t) = &sig.signing_time {
                let _ = writeln!(s, "  - Signing time (claimed): {t}");
            }
            if let Some(ts) = &sig.timestamp {
                let _ = writeln!(s, "  - Timestamp: {} by {}", ts.time, ts.tsa);
            }
            let _ = writeln!(s, "  - Type: {}", sig.subfilter);
            if let Some(d) = &sig.digest_algorithm {
                let _ = writeln!(s, "  - Digest: {d}");
            }
            if let Some(a) = &sig.signature_algorithm {
                let _ = writeln!(s, "  - Algorithm: {a}");
            }
            if let Some(p) = sig.certification {
                let _ = writeln!(s, "  - Certification signature, DocMDP permission {p}");
            }
            if let Some(br) = sig.byte_range {
                let _ =
                    writeln!(s, "  - Signed ranges: [{} - {}], [{} - {}]", br[0], br[0] + br[1], br[2], br[2] + br[3]);
            }
            let _ = writeln!(
                s,
                "  - {}",
                if sig.covers_whole_document { "Total document signed" } else { "Not total document signed" }
            );
            let _ = writeln!(s, "  - Changes after signing: {}", sig.changes_after.as_str());
            match sig.subindication {
                Some(sub) => {
                    let _ = writeln!(s, "  - Validation: {} / {}", sig.indication.as_str(), sub.as_str());
                }
                None => {
                    let _ = writeln!(s, "  - Validation: {}", sig.indication.as_str());
                }
            }
            for e in &sig.errors {
                let _ = writeln!(s, "    error: {e}");
            }
            for w in &sig.warnings {
                let _ = writeln!(s, "    note: {w}");
            }
        }
        let _ = writeln!(
            s,
            "Document: {}{}",
            self.indication.as_str(),
            if self.modified_after_signing { " (modified after signing)" } else { "" }
        );
        s
    }
}

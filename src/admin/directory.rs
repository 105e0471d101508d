//! What deactivating a unit does to its certificates, when asked to.
//!
//! Deactivation alone already shuts a unit out (the gateway answers 403 to
//! its certificate while it is inactive, and reactivation lets it back in).
//! With `--revoke` (or `"revoke": true`) the unit's TLS client
//! certificates are also revoked through the registry and the CRL, which is
//! final: reactivating the unit then needs a new certificate.

use super::{AdminError, Revoked, revoke};
use crate::datadir::DataDir;
use crate::directory::OrganId;
use crate::store::Store;
use time::OffsetDateTime;

/// Revokes every valid, unexpired client certificate of `unit` for
/// `reason` (checked before anything is revoked), as `actor`; each
/// revocation is its own audit entry and CRL.
pub fn revoke_unit(
    store: &dyn Store,
    dd: &DataDir,
    unit: &OrganId,
    reason: &str,
    actor: &str,
) -> Result<Vec<Revoked>, AdminError> {
    super::parse_reason(reason)?;
    let identity = format!("unit:{unit}");
    let now = super::rfc3339(OffsetDateTime::now_utc());
    let serials: Vec<String> = store
        .certificates()?
        .into_iter()
        .filter(|c| {
            c.kind == "client"
                && c.status == "valid"
                && c.identity.as_deref() == Some(identity.as_str())
                && c.not_after > now
        })
        .map(|c| c.serial)
        .collect();
    serials.iter().map(|s| revoke(store, dd, s, reason, actor)).collect()
}

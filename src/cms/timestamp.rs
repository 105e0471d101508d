//! RFC 3161 timestamp tokens: reading TSTInfo and checking that a token
//! timestamps a given signature value.

use super::{CmsError, SignedData, VerifiedSigner};
use crate::asn1::der::{self, Oid, tag};
use crate::asn1::oid;
use crate::pki::algorithms::DigestAlgorithm;

/// The fields of TSTInfo a validator needs.
#[derive(Debug, Clone)]
pub struct TstInfo<'a> {
    pub policy: Oid<'a>,
    pub imprint_algorithm: DigestAlgorithm,
    pub imprint: &'a [u8],
    pub serial: &'a [u8],
    pub gen_time: time::OffsetDateTime,
}

/// Parses TSTInfo (RFC 3161 §2.4.2).
pub fn parse_tst_info(data: &[u8]) -> Result<TstInfo<'_>, CmsError> {
    let top = der::parse_prefix(data)?;
    let mut r = top.reader();
    r.expect(tag::INTEGER)?;
    let policy = Oid(r.expect(tag::OID)?.value);
    let mi = r.expect(tag::SEQUENCE)?;
    let mut mr = mi.reader();
    let (alg, _) = der::algorithm_identifier(mr.expect(tag::SEQUENCE)?)?;
    let imprint_algorithm = DigestAlgorithm::from_oid(alg)?;
    let imprint = mr.expect(tag::OCTET_STRING)?.value;
    let serial = r.expect(tag::INTEGER)?.value;
    let gt = r.expect(tag::GENERALIZED_TIME)?;
    let gen_time = der::parse_time(&gt)?;
    Ok(TstInfo { policy, imprint_algorithm, imprint, serial, gen_time })
}

/// A timestamp token whose TSA signature verified and whose imprint matches.
#[derive(Debug, Clone)]
pub struct VerifiedTimestamp<'a> {
    pub info: TstInfo<'a>,
    pub signer: VerifiedSigner<'a>,
    pub certificates: Vec<&'a [u8]>,
}

/// Verifies a timestamp token over `stamped` (for a signature timestamp, the
/// value of the signer info's signature). The TSA's certificate path is the
/// caller's business: it uses the same trust store as the signature.
pub fn verify_token<'a>(token: &'a [u8], stamped: &[u8]) -> Result<VerifiedTimestamp<'a>, CmsError> {
    verify_token_with(token, &|alg: DigestAlgorithm| alg.digest(stamped))
}

/// [`verify_token`] with the imprint computed by the caller for the token's
/// digest algorithm (a document timestamp hashes non-contiguous ranges).
pub fn verify_token_with<'a>(
    token: &'a [u8],
    imprint_of: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
) -> Result<VerifiedTimestamp<'a>, CmsError> {
    let (sd, _): (SignedData<'a>, usize) = super::parse_signed_data(token)?;
    if sd.econtent_type != oid::TST_INFO {
        return Err(CmsError::BadAttribute("timestamp content type"));
    }
    let content = sd.econtent.ok_or(CmsError::MissingAttribute("TSTInfo"))?;
    let [si] = sd.signer_infos.as_slice() else {
        return Err(CmsError::SignerCount(sd.signer_infos.len()));
    };
    let digest = super::signer_digest(si)?;
    let signer = super::verify_signer(&sd, &digest.digest(content))?;
    let info = parse_tst_info(content)?;
    if info.imprint != imprint_of(info.imprint_algorithm).as_slice() {
        return Err(CmsError::DigestMismatch);
    }
    Ok(VerifiedTimestamp { info, signer, certificates: sd.certificates.clone() })
}

//! CMS SignedData, timestamp tokens and certificate parsing from arbitrary
//! bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vanthu::cms;

fuzz_target!(|data: &[u8]| {
    if let Ok((sd, _)) = cms::parse_signed_data(data) {
        let _ = cms::verify_signer(&sd, &[0u8; 32]);
        if let Some(si) = sd.signer_infos.first()
            && let Ok(Some(tok)) = cms::timestamp_token(si)
        {
            let _ = cms::timestamp::verify_token(tok, si.signature);
        }
        for c in &sd.certificates {
            let _ = vanthu::pki::Cert::parse(c);
        }
    }
    let _ = cms::timestamp::parse_tst_info(data);
});

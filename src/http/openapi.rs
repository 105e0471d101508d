//! The OpenAPI 3.1 description of the API, served at `/api/v1/openapi.json`.
//! Written by hand next to the handlers it describes: it is the contract
//! units' e-office software is built against, so it changes deliberately.

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_json_naming_every_route() {
        let v: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        let paths = v["paths"].as_object().unwrap();
        for p in [
            "/api/v1/documents",
            "/api/v1/inbox",
            "/api/v1/outbox",
            "/api/v1/documents/{id}",
            "/api/v1/documents/{id}/pdf",
            "/api/v1/documents/{id}/status",
            "/api/v1/documents/{id}/receipts",
            "/api/v1/admin/certificates",
            "/api/v1/admin/certificates/expiring",
            "/api/v1/admin/certificates/{serial}",
            "/api/v1/admin/certificates/{serial}/revoke",
            "/api/v1/admin/ca",
            "/api/v1/admin/ca/rotate",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
    }

    /// A `$ref` that points nowhere would make every client generator and
    /// validator reject the whole document.
    #[test]
    fn every_reference_resolves() {
        fn walk<'a>(v: &'a serde_json::Value, refs: &mut Vec<&'a str>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                        refs.push(r);
                    }
                    m.values().for_each(|x| walk(x, refs));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
                _ => {}
            }
        }
        let v: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        let mut refs = Vec::new();
        walk(&v, &mut refs);
        assert!(refs.len() > 20);
        for r in refs {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r}: only local references"));
            assert!(v.pointer(pointer).is_some(), "{r} points nowhere");
        }
    }
}

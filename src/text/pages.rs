//! The page tree: pages in document order with the attributes they inherit
//! (/Resources, /MediaBox), walked with a depth cap and loop detection.

use super::{TextError, TextLimits};
use crate::pdf::object::{ObjRef, Object};
use crate::pdf::{Document, View};
use std::collections::HashSet;

/// Deepest page tree accepted.
const MAX_TREE_DEPTH: usize = 64;

/// One page and what it inherits.
#[derive(Debug, Clone)]
pub struct PageNode {
    /// The page object.
    pub obj: ObjRef,
    /// The page dictionary.
    pub dict: Object,
    /// /Resources (own or inherited), resolved.
    pub resources: Option<Object>,
    /// /MediaBox (own or inherited), normalised as x1, y1, x2, y2; A4 if absent.
    pub media_box: [f64; 4],
}

/// A node still to visit: (node, inherited resources, inherited media box, depth).
type Pending = (ObjRef, Option<Object>, Option<[f64; 4]>, usize);

/// Every page in order.
pub fn pages(doc: &Document<'_>, limits: &TextLimits) -> Result<Vec<PageNode>, TextError> {
    let root = doc.trailer_get(b"Root").and_then(Object::as_ref).ok_or(TextError::NoPageTree)?;
    let catalog = doc.get(root)?.ok_or(TextError::NoPageTree)?;
    let top = catalog.get(b"Pages").and_then(Object::as_ref).ok_or(TextError::NoPageTree)?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Children are pushed in reverse so pages come out in order.
    let mut stack: Vec<Pending> = vec![(top, None, None, 0)];
    while let Some((r, res, mbox, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH {
            return Err(TextError::Limit("page tree depth"));
        }
        if !seen.insert(r) {
            // A node reached twice is a loop or a shared kid: read it once.
            continue;
        }
        let Some(node) = doc.get(r)? else { continue };
        let res = match node.get(b"Resources") {
            Some(o) => doc.resolve(o, View::Latest)?.or(res),
            None => res,
        };
        let mbox = match node.get(b"MediaBox") {
            Some(o) => doc.resolve(o, View::Latest)?.and_then(|b| rect(&b)).or(mbox),
            None => mbox,
        };
        let kids = match node.get(b"Kids") {
            Some(k) => doc.resolve(k, View::Latest)?,
            None => None,
        };
        match kids {
            Some(Object::Array(kids)) if !node.has_name(b"Type", b"Page") => {
                for kid in kids.iter().rev().filter_map(Object::as_ref) {
                    stack.push((kid, res.clone(), mbox, depth + 1));
                }
            }
            _ => {
                if out.len() >= limits.max_pages {
                    return Err(TextError::Limit("number of pages"));
                }
                out.push(PageNode {
                    obj: r,
                    dict: node,
                    resources: res,
                    media_box: mbox.unwrap_or([0.0, 0.0, 595.276, 841.89]),
                });
            }
        }
    }
    Ok(out)
}

fn rect(o: &Object) -> Option<[f64; 4]> {
    let a = o.as_array()?;
    let v: Vec<f64> = a
        .iter()
        .filter_map(|o| match o {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        })
        .collect();
    match v[..] {
        [x1, y1, x2, y2] => Some([x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)]),
        _ => None,
    }
}

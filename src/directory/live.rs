//! The directory a running gateway routes by, swapped whole when a new
//! version is in force.
//!
//! Readers take the current version without waiting (an intake keeps the
//! directory it started with); a writer offers a version and it replaces
//! the current one only if it is newer, so two changes that finish out of
//! order (an admin request and the poller reading the store) never put an
//! older directory back in force.

use super::Directory;
use arc_swap::ArcSwap;
use std::sync::{Arc, Mutex};

/// A directory and the store's version number of it.
#[derive(Debug)]
pub struct Versioned {
    pub version: u64,
    pub directory: Arc<Directory>,
}

/// The directory in force.
#[derive(Debug)]
pub struct Live {
    current: ArcSwap<Versioned>,
    /// Serialises `offer`s: compare and swap as one step.
    writer: Mutex<()>,
}

impl Live {
    pub fn new(version: u64, directory: Directory) -> Self {
        Live {
            current: ArcSwap::from_pointee(Versioned { version, directory: Arc::new(directory) }),
            writer: Mutex::new(()),
        }
    }

    /// The directory in force now.
    pub fn current(&self) -> Arc<Directory> {
        self.current.load().directory.clone()
    }

    /// Its version.
    pub fn version(&self) -> u64 {
        self.current.load().version
    }

    /// Puts `directory` in force if `version` is newer than the current
    /// one; true if it did.
    pub fn offer(&self, version: u64, directory: Directory) -> bool {
        let _w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if version <= self.current.load().version {
            return false;
        }
        self.current.store(Arc::new(Versioned { version, directory: Arc::new(directory) }));
        true
    }
}

//! What the cache is told by the pipeline file (`[cache]`): where it lives, how long
//! each kind of Zendesk response stays fresh, and how much memory sled may use.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub path: PathBuf,
    pub ttl: Ttls,
    pub capacity_bytes: u64,
}

/// Time-to-live per store; zero disables the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttls {
    pub views: Duration,
    pub tickets: Duration,
    pub users: Duration,
    pub view_listings: Duration,
}

impl Default for Ttls {
    fn default() -> Self {
        Ttls {
            views: Duration::from_secs(15 * 60),
            tickets: Duration::from_secs(5 * 60),
            users: Duration::from_secs(30 * 60),
            view_listings: Duration::from_secs(15 * 60),
        }
    }
}

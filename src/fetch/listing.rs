//! [`Listing`]: what a listing source pages through, a view or a search export query.
//!
//! Both are cursor-paginated lists of tickets that a killed backfill continues the
//! same way (`source.rs`): each page's ids and the link after it are kept in the
//! cache, and a complete listing is kept with the listing TTL. A search's listing is
//! cached under an id made from its query ([`Listing::cache_id`]), with the top bit
//! set so it never meets a view id (Zendesk's ids stay far below 2^63).

use super::api::{Api, ViewPage};
use super::FetchError;

/// A view, or a search export query (tickets only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    View(u64),
    Search(String),
}

/// The bit that sets a search's cache id apart from every view id.
const SEARCH_BIT: u64 = 1 << 63;

impl Listing {
    /// The id the listing and its unfinished pages are cached under.
    pub fn cache_id(&self) -> u64 {
        match self {
            Listing::View(id) => *id,
            Listing::Search(query) => fnv1a(query.as_bytes()) | SEARCH_BIT,
        }
    }

    /// The view a listed ticket came from (`view_id` of its row), if any.
    pub fn view_id(&self) -> Option<u64> {
        match self {
            Listing::View(id) => Some(*id),
            Listing::Search(_) => None,
        }
    }

    /// "view 5" or "search \"type:ticket tags:vip\"", for logs and errors.
    pub fn describe(&self) -> String {
        match self {
            Listing::View(id) => format!("view {id}"),
            Listing::Search(query) => format!("search {query:?}"),
        }
    }

    /// One page of the listing; `next` is the previous page's link.
    pub async fn page(&self, api: &Api, next: Option<&str>) -> Result<ViewPage, FetchError> {
        match self {
            Listing::View(id) => api.view_page(*id, next).await,
            Listing::Search(query) => api.search_page(query, next).await,
        }
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike `DefaultHasher`,
/// so a resumed run finds the pages a killed one kept.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_cached_apart_from_every_view_and_from_other_queries() {
        let vip = Listing::Search("type:ticket tags:vip".into());
        let other = Listing::Search("type:ticket tags:outage".into());
        assert_eq!(
            vip.cache_id(),
            Listing::Search("type:ticket tags:vip".into()).cache_id()
        );
        assert_ne!(vip.cache_id(), other.cache_id());
        assert!(vip.cache_id() >= SEARCH_BIT && other.cache_id() >= SEARCH_BIT);
        assert_eq!(Listing::View(7).cache_id(), 7);
        // FNV-1a's published value for "a": the id must not change between versions.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

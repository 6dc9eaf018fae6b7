//! `zdpipe cache invalidate`: what belongs to a view, a ticket or a user, and dropping it.
//!
//! A view is its settings, its count, its complete listing and every stored page of
//! an unfinished listing (so the next run lists it again from the first page). A
//! ticket is the ticket, its comments and its analysis. A user is the user record;
//! organizations go with `--users`. The "all" targets empty whole trees.

use super::{Cache, CacheError, CacheKey, CheckpointId, Tree};

/// What to drop from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A ticket, its comments and its analysis.
    Ticket(u64),
    /// Every ticket and their comments (analyses stay; see [`Target::AllAnalyses`]).
    AllTickets,
    /// A view's settings, count, listing and the pages of an unfinished listing.
    View(u64),
    /// Every view, the account's view list and every listing.
    AllViews,
    User(u64),
    /// Every user and organization.
    AllUsers,
    AllAnalyses,
    /// The resume point of an incremental pipeline.
    Checkpoint(CheckpointId),
}

impl Target {
    /// The single records that belong to the target.
    fn keys(&self) -> Vec<CacheKey> {
        match self {
            Target::Ticket(id) => vec![
                CacheKey::Ticket(*id),
                CacheKey::Comments(*id),
                CacheKey::Analysis(*id),
            ],
            Target::View(id) => vec![
                CacheKey::View(*id),
                CacheKey::ViewCount(*id),
                CacheKey::ViewListing(*id),
            ],
            Target::User(id) => vec![CacheKey::User(*id)],
            Target::Checkpoint(id) => vec![CacheKey::Checkpoint(id.clone())],
            Target::AllTickets | Target::AllViews | Target::AllUsers | Target::AllAnalyses => {
                Vec::new()
            }
        }
    }

    /// The trees the target empties.
    fn trees(&self) -> &'static [Tree] {
        match self {
            Target::AllTickets => &[Tree::Tickets],
            Target::AllViews => &[Tree::Views, Tree::ViewListings],
            Target::AllUsers => &[Tree::Users],
            Target::AllAnalyses => &[Tree::Analyses],
            Target::Ticket(_) | Target::View(_) | Target::User(_) | Target::Checkpoint(_) => &[],
        }
    }
}

impl Cache {
    /// Drops everything that belongs to `target`; returns how many entries went.
    /// Call [`Cache::flush`] once done.
    pub fn invalidate(&self, target: &Target) -> Result<u64, CacheError> {
        let mut removed = 0;
        for key in target.keys() {
            removed += u64::from(self.remove(&key)?);
        }
        if let Target::View(id) = target {
            removed += self.remove_listing_pages(*id)?;
        }
        for &tree in target.trees() {
            removed += self.clear_tree(tree)?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ReadPolicy;

    use crate::cache::open_for_test as cache;

    fn present(cache: &Cache, keys: &[CacheKey]) -> Vec<bool> {
        keys.iter()
            .map(|k| cache.get(k, ReadPolicy::AnyAge).unwrap().is_some())
            .collect()
    }

    #[test]
    fn a_view_goes_with_its_count_listing_and_every_listing_page() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(&dir);
        let pages = |view| (0..3).map(move |page| CacheKey::ListingPage { view, page });
        let mine: Vec<CacheKey> = [
            CacheKey::View(5),
            CacheKey::ViewCount(5),
            CacheKey::ViewListing(5),
        ]
        .into_iter()
        .chain(pages(5))
        .collect();
        let others: Vec<CacheKey> = [CacheKey::ViewList, CacheKey::View(6), CacheKey::Ticket(5)]
            .into_iter()
            .chain(pages(6))
            .collect();
        for k in mine.iter().chain(&others) {
            cache.put(k, b"{}").unwrap();
        }
        assert_eq!(cache.invalidate(&Target::View(5)).unwrap(), 6);
        assert_eq!(present(&cache, &mine), vec![false; mine.len()]);
        assert_eq!(present(&cache, &others), vec![true; others.len()]);
        assert_eq!(cache.invalidate(&Target::AllViews).unwrap(), 5);
        assert_eq!(
            present(&cache, &others),
            [false, false, true, false, false, false]
        );
    }

    #[test]
    fn a_ticket_goes_with_its_comments_and_analysis() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(&dir);
        let mine = [
            CacheKey::Ticket(9),
            CacheKey::Comments(9),
            CacheKey::Analysis(9),
        ];
        let others = [
            CacheKey::Ticket(10),
            CacheKey::User(9),
            CacheKey::Organization(9),
        ];
        for k in mine.iter().chain(&others) {
            cache.put(k, b"{}").unwrap();
        }
        assert_eq!(cache.invalidate(&Target::Ticket(9)).unwrap(), 3);
        assert_eq!(present(&cache, &mine), [false; 3]);
        assert_eq!(present(&cache, &others), [true; 3]);
        assert_eq!(cache.invalidate(&Target::User(9)).unwrap(), 1);
        assert_eq!(present(&cache, &others), [true, false, true]);
    }
}

//! Whose data a cache holds: the account it was filled from, recorded once under
//! [`CacheKey::Account`] in the `meta` tree.
//!
//! A run claims the cache for its pipeline's account before it reads anything
//! ([`Cache::claim_account`]): the same account goes on, another one is refused with
//! [`CacheError::OtherAccount`] (naming both) unless the run starts the cache over.
//! A cache without a record was filled by a zdpipe from before the record existed; the
//! first run adopts it for its own account.

use super::{Cache, CacheError, CacheKey, ReadPolicy, Tree};

/// What claiming the cache for an account found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The cache already belonged to this account.
    Same,
    /// A new, empty cache: the account is now recorded.
    New,
    /// Data without a record (an older zdpipe): adopted for this account.
    Adopted,
    /// Emptied on request and recorded for this account.
    StartedOver,
}

impl Cache {
    /// The account recorded in the cache, if any.
    pub fn account(&self) -> Result<Option<String>, CacheError> {
        Ok(self
            .get(&CacheKey::Account, ReadPolicy::AnyAge)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Makes sure the cache holds `identity`'s data, or nothing: the same account
    /// passes, a cache without a record is adopted, another account's cache is refused,
    /// unless `start_over` empties it first.
    pub fn claim_account(&self, identity: &str, start_over: bool) -> Result<Claim, CacheError> {
        if start_over {
            self.clear()?;
            self.record_account(identity)?;
            return Ok(Claim::StartedOver);
        }
        match self.account()? {
            Some(holds) if holds == identity => Ok(Claim::Same),
            Some(holds) => Err(CacheError::OtherAccount {
                path: self.path.display().to_string(),
                holds,
                reads: identity.to_string(),
            }),
            None => {
                let claim = if self.holds_data() {
                    Claim::Adopted
                } else {
                    Claim::New
                };
                self.record_account(identity)?;
                Ok(claim)
            }
        }
    }

    fn record_account(&self, identity: &str) -> Result<(), CacheError> {
        self.put(&CacheKey::Account, identity.as_bytes())?;
        self.sled_tree(Tree::Meta).flush()?;
        Ok(())
    }

    /// Whether any tree but `stats` and `meta` has an entry.
    fn holds_data(&self) -> bool {
        let trees = [
            Tree::Views,
            Tree::ViewListings,
            Tree::Tickets,
            Tree::Users,
            Tree::Analyses,
            Tree::Checkpoints,
        ];
        trees.iter().any(|t| !self.sled_tree(*t).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cache::open_for_test as cache;

    #[test]
    fn a_cache_is_claimed_once_and_refuses_another_account() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(&dir);
        assert_eq!(
            cache.claim_account("https://a.example", false).unwrap(),
            Claim::New
        );
        assert_eq!(
            cache.claim_account("https://a.example", false).unwrap(),
            Claim::Same
        );
        cache.put(&CacheKey::Ticket(1), b"{}").unwrap();
        let err = cache.claim_account("https://b.example", false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("holds data of https://a.example"), "{text}");
        assert!(
            text.contains("this pipeline reads https://b.example"),
            "{text}"
        );
        assert_eq!(
            cache.claim_account("https://b.example", true).unwrap(),
            Claim::StartedOver
        );
        assert!(cache
            .get(&CacheKey::Ticket(1), ReadPolicy::AnyAge)
            .unwrap()
            .is_none());
        assert_eq!(
            cache.account().unwrap().as_deref(),
            Some("https://b.example")
        );
    }

    #[test]
    fn data_without_a_record_is_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(&dir);
        cache.put(&CacheKey::Ticket(1), b"{}").unwrap();
        assert_eq!(
            cache.claim_account("sandbox", false).unwrap(),
            Claim::Adopted
        );
        assert_eq!(cache.account().unwrap().as_deref(), Some("sandbox"));
        assert!(cache
            .get(&CacheKey::Ticket(1), ReadPolicy::AnyAge)
            .unwrap()
            .is_some());
    }
}

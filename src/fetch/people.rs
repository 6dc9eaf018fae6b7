//! Which sideloaded people a run has stored already, so that a person stored moments
//! ago, unchanged, is not written to the cache again.
//!
//! Every page of an export sideloads the requesters of its tickets, and the same
//! people come back page after page: 20,000 tickets of 2,000 requesters sideload
//! about 16,000 users, one cache write each. [`StoredPeople`] remembers, per person,
//! a hash of the raw record last stored and when; the same record again is skipped
//! until half the users' TTL has passed since, so the cached copy of someone seen
//! all through a long run never expires while the run still sees them. It is ours
//! rather than a crate's: a map from id to (hash, time) is all it is.
//!
//! The memory is a few dozen bytes per distinct person of the run (a 200,000-ticket
//! view with 100,000 requesters: about 5 MB).

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A user or an organization, by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Person {
    User(u64),
    Organization(u64),
}

/// What a run stored of each sideloaded person: a hash of the raw record and when.
#[derive(Default)]
pub struct StoredPeople(Mutex<HashMap<Person, (u64, Instant)>>);

impl StoredPeople {
    /// The people of `records` (person and raw JSON) that need storing: those not
    /// stored by this run, stored with another record, or stored `refresh` ago or
    /// longer. They are taken to be stored now.
    pub fn to_store<'a>(
        &self,
        records: impl IntoIterator<Item = (Person, &'a str)>,
        refresh: Duration,
    ) -> Vec<Person> {
        let now = Instant::now();
        let mut stored = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (person, raw) in records {
            let hash = hash_of(raw);
            match stored.entry(person) {
                Entry::Occupied(mut e) => {
                    let (last, at) = *e.get();
                    if last != hash || now.duration_since(at) >= refresh {
                        e.insert((hash, now));
                        out.push(person);
                    }
                }
                Entry::Vacant(e) => {
                    e.insert((hash, now));
                    out.push(person);
                }
            }
        }
        out
    }
}

fn hash_of(raw: &str) -> u64 {
    let mut h = DefaultHasher::new();
    raw.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_person_is_stored_again_only_when_changed_or_due() {
        let stored = StoredPeople::default();
        let alice = Person::User(1);
        let acme = Person::Organization(1);
        let first = stored.to_store([(alice, r#"{"id":1,"name":"Alice"}"#), (acme, "{}")], HOUR);
        assert_eq!(
            first,
            [alice, acme],
            "a user and an organization of one id are two people"
        );
        assert!(stored
            .to_store([(alice, r#"{"id":1,"name":"Alice"}"#)], HOUR)
            .is_empty());
        assert_eq!(
            stored.to_store([(alice, r#"{"id":1,"name":"Alice B."}"#)], HOUR),
            [alice],
            "a changed record is stored"
        );
        assert_eq!(
            stored.to_store([(alice, r#"{"id":1,"name":"Alice B."}"#)], Duration::ZERO),
            [alice],
            "a record stored `refresh` ago is stored again"
        );
    }
}

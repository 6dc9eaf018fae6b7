//! Typed cache keys: the one place that knows how a stored record's key is laid out.
//!
//! Every record the cache holds is named by a [`CacheKey`]; [`CacheKey::encode`] gives
//! its bytes and [`CacheKey::tree`] the tree it lives in. Ids are big-endian `u64`, so
//! a tree iterates in id order. Within one tree the kinds are told apart by a one-byte
//! tag or by length, so no two keys share bytes and [`CacheKey::decode`] reads any
//! key back. Tickets and analyses are not stored under their own key but as entries of
//! a bucket shared by [`IDS_PER_BUCKET`] consecutive ids ([`CacheKey::slot`]; see
//! [`bucket`](super::bucket) for why); their bytes below name the entry, and the
//! bucket's key is `b` + the first id / [`IDS_PER_BUCKET`]. That is cache format 2
//! ([`FORMAT`], kept under `format` in `meta`); format 1 (zdpipe before buckets) had
//! a key per ticket, and such a cache's tickets and analyses are dropped when it is
//! opened. Every other layout is that of earlier zdpipe versions:
//!
//! | kind | tree | bytes |
//! |---|---|---|
//! | [`ViewList`](CacheKey::ViewList) | `views` | `all` (ASCII) |
//! | [`View`](CacheKey::View) | `views` | `v` + view id |
//! | [`ViewCount`](CacheKey::ViewCount) | `views` | `n` + view id |
//! | [`ViewListing`](CacheKey::ViewListing) | `view_listings` | view id (8 bytes) |
//! | [`ListingPage`](CacheKey::ListingPage) | `view_listings` | `p` + view id + page number (`u32`) |
//! | [`Ticket`](CacheKey::Ticket) | `tickets` | ticket id (8 bytes), in bucket `b` + id / 32 |
//! | [`Comments`](CacheKey::Comments) | `tickets` | `c` + ticket id |
//! | [`User`](CacheKey::User) | `users` | `u` + user id |
//! | [`Organization`](CacheKey::Organization) | `users` | `o` + organization id |
//! | [`Lookup`](CacheKey::Lookup) | `users` | `list:` + the list's name (ASCII), never 9 bytes long |
//! | [`Analysis`](CacheKey::Analysis) | `analyses` | ticket id (8 bytes), in bucket `b` + id / 32 |
//! | [`Checkpoint`](CacheKey::Checkpoint) | `checkpoints` | `incremental:{account}:{pipeline}` (UTF-8) |
//! | [`Stats`](CacheKey::Stats) | `stats` | the store's name (UTF-8) |
//! | [`Account`](CacheKey::Account) | `meta` | `account` (ASCII) |
//! | [`Format`](CacheKey::Format) | `meta` | `format` (ASCII) |
//! | [`Batch`](CacheKey::Batch) | `batches` | the provider's batch id (UTF-8) |
//!
//! A pipeline name may itself contain `:`, which would make a checkpoint key read two
//! ways; such names store `:` as `%3A` (and `%` as `%25`). Every other name's key is
//! the one earlier versions wrote.
//!
//! The results store (a database of its own, not the cache) keys its records with a
//! [`ResultKey`], also defined here.

use std::fmt;

pub(super) use super::bucket::IDS_PER_BUCKET;

/// The layout this zdpipe writes: 2 since tickets and analyses are kept in buckets.
pub const FORMAT: u8 = 2;

/// The sled trees of the cache database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tree {
    Views,
    ViewListings,
    Tickets,
    Users,
    Analyses,
    Checkpoints,
    Stats,
    /// Facts about the cache itself: whose data it holds.
    Meta,
    /// Provider batches submitted and not yet collected.
    Batches,
}

impl Tree {
    /// The tree's name in the sled database (also the store's name in `cache stats`).
    pub fn name(self) -> &'static str {
        match self {
            Tree::Views => "views",
            Tree::ViewListings => "view_listings",
            Tree::Tickets => "tickets",
            Tree::Users => "users",
            Tree::Analyses => "analyses",
            Tree::Checkpoints => "checkpoints",
            Tree::Stats => "stats",
            Tree::Meta => "meta",
            Tree::Batches => "batches",
        }
    }
}

/// Which pipeline's resume point a checkpoint is: the account it reads and the
/// pipeline's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckpointId {
    pub account: String,
    pub pipeline: String,
}

impl CheckpointId {
    pub fn new(account: &str, pipeline: &str) -> CheckpointId {
        CheckpointId {
            account: account.to_string(),
            pipeline: pipeline.to_string(),
        }
    }
}

impl fmt::Display for CheckpointId {
    /// The stored key as text: `incremental:{account}:{pipeline}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CHECKPOINT_PREFIX}{}:{}",
            self.account,
            escape_name(&self.pipeline)
        )
    }
}

/// A record in the cache. See the module doc for each kind's tree and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// The account's list of views.
    ViewList,
    /// One view's settings.
    View(u64),
    /// The number of tickets in a view (Zendesk may answer null).
    ViewCount(u64),
    /// A view's complete listing: its ticket ids in order.
    ViewListing(u64),
    /// Page `page` (from 0) of a listing still being paged, kept so a killed run resumes.
    ListingPage {
        view: u64,
        page: u32,
    },
    Ticket(u64),
    /// A ticket's conversation, stored with the `updated_at` it belongs to.
    Comments(u64),
    User(u64),
    Organization(u64),
    /// A whole list of the account that names what tickets refer to by id.
    Lookup(LookupList),
    /// The finished analysis of a ticket.
    Analysis(u64),
    /// The resume point of an incremental pipeline.
    Checkpoint(CheckpointId),
    /// A store's hit and miss counts over all runs.
    Stats(String),
    /// The account the cache was filled from ([`FetchSettings::account_identity`]).
    ///
    /// [`FetchSettings::account_identity`]: crate::fetch::FetchSettings::account_identity
    Account,
    /// The layout of the cache's keys ([`FORMAT`]).
    Format,
    /// A provider batch submitted by a run and not yet collected, with the ticket of
    /// each of its requests (`cache/batches.rs`).
    Batch(String),
}

/// Where a record is kept in its tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Under a key of its own.
    Own(Vec<u8>),
    /// As entry `id` of the bucket under `key`.
    Bucket { key: Vec<u8>, id: u64 },
}

const VIEW_LIST: &[u8] = b"all";
const ACCOUNT: &[u8] = b"account";
const FORMAT_KEY: &[u8] = b"format";
const BUCKET: u8 = b'b';
const VIEW: u8 = b'v';
const VIEW_COUNT: u8 = b'n';
const LISTING_PAGE: u8 = b'p';
const COMMENTS: u8 = b'c';
const USER: u8 = b'u';
const ORGANIZATION: u8 = b'o';
const CHECKPOINT_PREFIX: &str = "incremental:";
const LOOKUP_PREFIX: &[u8] = b"list:";

/// The account's lists that extra columns name things from, each fetched whole and
/// cached with the users' TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupList {
    TicketFields,
    Groups,
    Brands,
    TicketForms,
}

impl LookupList {
    pub const ALL: [LookupList; 4] = [
        LookupList::TicketFields,
        LookupList::Groups,
        LookupList::Brands,
        LookupList::TicketForms,
    ];

    /// The endpoint under `/api/v2/` and the key of its records in the answer.
    pub fn name(self) -> &'static str {
        match self {
            LookupList::TicketFields => "ticket_fields",
            LookupList::Groups => "groups",
            LookupList::Brands => "brands",
            LookupList::TicketForms => "ticket_forms",
        }
    }
}

const ID: usize = 8;
const TAGGED_ID: usize = 1 + ID;
const PAGE: usize = TAGGED_ID + 4;

fn tagged(tag: u8, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(TAGGED_ID);
    k.push(tag);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn read_id(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// `(tag, id)` of a tagged-id key.
fn read_tagged(bytes: &[u8]) -> Option<(u8, u64)> {
    match bytes {
        [tag, id @ ..] if id.len() == ID => Some((*tag, read_id(id)?)),
        _ => None,
    }
}

/// A pipeline name with `%` and `:` escaped, so the last `:` of a checkpoint key
/// always ends the account. Names without either are unchanged.
fn escape_name(name: &str) -> String {
    name.replace('%', "%25").replace(':', "%3A")
}

fn unescape_name(name: &str) -> String {
    name.replace("%3A", ":").replace("%25", "%")
}

impl CacheKey {
    /// The tree the record lives in.
    pub fn tree(&self) -> Tree {
        match self {
            CacheKey::ViewList | CacheKey::View(_) | CacheKey::ViewCount(_) => Tree::Views,
            CacheKey::ViewListing(_) | CacheKey::ListingPage { .. } => Tree::ViewListings,
            CacheKey::Ticket(_) | CacheKey::Comments(_) => Tree::Tickets,
            CacheKey::User(_) | CacheKey::Organization(_) | CacheKey::Lookup(_) => Tree::Users,
            CacheKey::Analysis(_) => Tree::Analyses,
            CacheKey::Checkpoint(_) => Tree::Checkpoints,
            CacheKey::Stats(_) => Tree::Stats,
            CacheKey::Account | CacheKey::Format => Tree::Meta,
            CacheKey::Batch(_) => Tree::Batches,
        }
    }

    /// The key's bytes in its tree.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            CacheKey::ViewList => VIEW_LIST.to_vec(),
            CacheKey::View(id) => tagged(VIEW, *id),
            CacheKey::ViewCount(id) => tagged(VIEW_COUNT, *id),
            CacheKey::ViewListing(id) | CacheKey::Ticket(id) | CacheKey::Analysis(id) => {
                id.to_be_bytes().to_vec()
            }
            CacheKey::ListingPage { view, page } => {
                let mut k = tagged(LISTING_PAGE, *view);
                k.extend_from_slice(&page.to_be_bytes());
                k
            }
            CacheKey::Comments(id) => tagged(COMMENTS, *id),
            CacheKey::User(id) => tagged(USER, *id),
            CacheKey::Organization(id) => tagged(ORGANIZATION, *id),
            CacheKey::Lookup(list) => [LOOKUP_PREFIX, list.name().as_bytes()].concat(),
            CacheKey::Checkpoint(id) => id.to_string().into_bytes(),
            CacheKey::Stats(store) => store.as_bytes().to_vec(),
            CacheKey::Account => ACCOUNT.to_vec(),
            CacheKey::Format => FORMAT_KEY.to_vec(),
            CacheKey::Batch(id) => id.as_bytes().to_vec(),
        }
    }

    /// Where the record is kept: tickets and analyses in their bucket, the rest under
    /// their own key ([`encode`](Self::encode)).
    pub fn slot(&self) -> Slot {
        match self {
            CacheKey::Ticket(id) | CacheKey::Analysis(id) => Slot::Bucket {
                key: tagged(BUCKET, id / IDS_PER_BUCKET),
                id: *id,
            },
            other => Slot::Own(other.encode()),
        }
    }

    /// Whether `bytes`, a key found in `tree`, is a bucket's.
    pub fn is_bucket(tree: Tree, bytes: &[u8]) -> bool {
        matches!(tree, Tree::Tickets | Tree::Analyses)
            && matches!(read_tagged(bytes), Some((BUCKET, _)))
    }

    /// Reads back a key found in `tree`; `None` for bytes no zdpipe key has.
    pub fn decode(tree: Tree, bytes: &[u8]) -> Option<CacheKey> {
        match tree {
            Tree::Views if bytes == VIEW_LIST => Some(CacheKey::ViewList),
            Tree::Views => match read_tagged(bytes)? {
                (VIEW, id) => Some(CacheKey::View(id)),
                (VIEW_COUNT, id) => Some(CacheKey::ViewCount(id)),
                _ => None,
            },
            Tree::ViewListings if bytes.len() == PAGE && bytes[0] == LISTING_PAGE => {
                Some(CacheKey::ListingPage {
                    view: read_id(&bytes[1..TAGGED_ID])?,
                    page: u32::from_be_bytes(bytes[TAGGED_ID..].try_into().ok()?),
                })
            }
            Tree::ViewListings => read_id(bytes).map(CacheKey::ViewListing),
            Tree::Tickets if bytes.len() == ID => read_id(bytes).map(CacheKey::Ticket),
            Tree::Tickets => match read_tagged(bytes)? {
                (COMMENTS, id) => Some(CacheKey::Comments(id)),
                _ => None,
            },
            Tree::Users if bytes.starts_with(LOOKUP_PREFIX) => LookupList::ALL
                .into_iter()
                .find(|l| &bytes[LOOKUP_PREFIX.len()..] == l.name().as_bytes())
                .map(CacheKey::Lookup),
            Tree::Users => match read_tagged(bytes)? {
                (USER, id) => Some(CacheKey::User(id)),
                (ORGANIZATION, id) => Some(CacheKey::Organization(id)),
                _ => None,
            },
            Tree::Analyses => read_id(bytes).map(CacheKey::Analysis),
            Tree::Checkpoints => {
                let text = std::str::from_utf8(bytes).ok()?;
                let (account, pipeline) = text.strip_prefix(CHECKPOINT_PREFIX)?.rsplit_once(':')?;
                Some(CacheKey::Checkpoint(CheckpointId {
                    account: account.to_string(),
                    pipeline: unescape_name(pipeline),
                }))
            }
            Tree::Stats => Some(CacheKey::Stats(String::from_utf8(bytes.to_vec()).ok()?)),
            Tree::Meta if bytes == ACCOUNT => Some(CacheKey::Account),
            Tree::Meta if bytes == FORMAT_KEY => Some(CacheKey::Format),
            Tree::Meta => None,
            Tree::Batches => Some(CacheKey::Batch(String::from_utf8(bytes.to_vec()).ok()?)),
        }
    }

    /// The bytes every [`CacheKey::ListingPage`] of `view` starts with (and no other
    /// key does), for dropping an unfinished listing whatever its length.
    pub fn listing_pages_prefix(view: u64) -> Vec<u8> {
        tagged(LISTING_PAGE, view)
    }
}

/// A record of the results store's `results` tree: the ticket id, big-endian, so the
/// store iterates in id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultKey(pub u64);

impl ResultKey {
    pub fn encode(self) -> [u8; ID] {
        self.0.to_be_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Option<ResultKey> {
        read_id(bytes).map(ResultKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids that try to look like another kind's bytes: zero, the maximum, and ids
    /// whose first byte is one of the tags.
    fn awkward_ids() -> Vec<u64> {
        let mut ids = vec![0, 1, 42, u64::MAX, u64::from(u32::MAX)];
        for tag in [
            VIEW,
            VIEW_COUNT,
            LISTING_PAGE,
            COMMENTS,
            USER,
            ORGANIZATION,
            BUCKET,
            b'a',
        ] {
            ids.push(u64::from(tag) << 56);
            ids.push((u64::from(tag) << 56) | 0x6c6c);
        }
        ids
    }

    /// One key of every kind for each awkward id.
    fn samples() -> Vec<CacheKey> {
        let mut keys = vec![
            CacheKey::ViewList,
            CacheKey::Account,
            CacheKey::Format,
            CacheKey::Stats("tickets".into()),
            CacheKey::Stats("view_listings".into()),
            CacheKey::Checkpoint(CheckpointId::new("acme.zendesk.com", "nightly")),
            CacheKey::Checkpoint(CheckpointId::new("127.0.0.1:8080", "night:ly")),
            CacheKey::Checkpoint(CheckpointId::new("127.0.0.1", "8080:nightly")),
            CacheKey::Checkpoint(CheckpointId::new("h", "100%3A done")),
            CacheKey::Batch("batch_abc123".into()),
            CacheKey::Batch("msgbatch_01".into()),
        ];
        keys.extend(LookupList::ALL.map(CacheKey::Lookup));
        for id in awkward_ids() {
            keys.extend([
                CacheKey::View(id),
                CacheKey::ViewCount(id),
                CacheKey::ViewListing(id),
                CacheKey::ListingPage { view: id, page: 0 },
                CacheKey::ListingPage {
                    view: id,
                    page: u32::MAX,
                },
                CacheKey::Ticket(id),
                CacheKey::Comments(id),
                CacheKey::User(id),
                CacheKey::Organization(id),
                CacheKey::Analysis(id),
            ]);
        }
        keys
    }

    #[test]
    fn every_kind_round_trips() {
        for key in samples() {
            let bytes = key.encode();
            assert_eq!(
                CacheKey::decode(key.tree(), &bytes),
                Some(key.clone()),
                "{key:?} as {bytes:?}"
            );
        }
        for id in awkward_ids() {
            assert_eq!(
                ResultKey::decode(&ResultKey(id).encode()),
                Some(ResultKey(id))
            );
        }
    }

    #[test]
    fn layouts_are_those_earlier_versions_wrote() {
        assert_eq!(CacheKey::ViewList.encode(), b"all");
        assert_eq!(CacheKey::View(7).encode(), b"v\0\0\0\0\0\0\0\x07");
        assert_eq!(CacheKey::ViewCount(7).encode(), b"n\0\0\0\0\0\0\0\x07");
        assert_eq!(CacheKey::ViewListing(7).encode(), 7u64.to_be_bytes());
        assert_eq!(
            CacheKey::ListingPage { view: 7, page: 2 }.encode(),
            b"p\0\0\0\0\0\0\0\x07\0\0\0\x02"
        );
        assert_eq!(CacheKey::Ticket(7).encode(), 7u64.to_be_bytes());
        assert_eq!(CacheKey::Comments(7).encode(), b"c\0\0\0\0\0\0\0\x07");
        assert_eq!(CacheKey::User(7).encode(), b"u\0\0\0\0\0\0\0\x07");
        assert_eq!(CacheKey::Organization(7).encode(), b"o\0\0\0\0\0\0\0\x07");
        assert_eq!(CacheKey::Analysis(7).encode(), 7u64.to_be_bytes());
        assert_eq!(
            CacheKey::Checkpoint(CheckpointId::new("127.0.0.1:9", "nightly")).encode(),
            b"incremental:127.0.0.1:9:nightly"
        );
        assert_eq!(CacheKey::Stats("users".into()).encode(), b"users");
        assert_eq!(CacheKey::Account.encode(), b"account");
        assert_eq!(CacheKey::Batch("batch_1".into()).encode(), b"batch_1");
        assert_eq!(ResultKey(7).encode(), 7u64.to_be_bytes());
    }

    #[test]
    fn tickets_and_analyses_share_buckets_of_consecutive_ids_and_nothing_else_does() {
        let bucket = |key: CacheKey| match key.slot() {
            Slot::Bucket { key, .. } => key,
            Slot::Own(_) => panic!("{key:?} has a key of its own"),
        };
        assert_eq!(bucket(CacheKey::Ticket(31)), b"b\0\0\0\0\0\0\0\0");
        assert_eq!(bucket(CacheKey::Ticket(32)), b"b\0\0\0\0\0\0\0\x01");
        assert_eq!(bucket(CacheKey::Analysis(63)), bucket(CacheKey::Ticket(32)));
        for key in samples() {
            let tree = key.tree();
            match key.slot() {
                Slot::Bucket { key: bytes, id } => {
                    assert!(CacheKey::is_bucket(tree, &bytes), "{key:?}");
                    assert_eq!(key, CacheKey::decode(tree, &id.to_be_bytes()).unwrap());
                }
                Slot::Own(bytes) => {
                    assert_eq!(bytes, key.encode());
                    assert!(!CacheKey::is_bucket(tree, &bytes), "{key:?}");
                }
            }
        }
    }

    #[test]
    fn keys_of_different_records_never_share_bytes() {
        let keys = samples();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                if a.tree() == b.tree() && a != b {
                    assert_ne!(a.encode(), b.encode(), "{a:?} and {b:?}");
                }
            }
        }
    }

    #[test]
    fn a_listing_pages_prefix_covers_that_views_pages_and_nothing_else() {
        let keys = samples();
        for view in awkward_ids() {
            let prefix = CacheKey::listing_pages_prefix(view);
            for key in keys.iter().filter(|k| k.tree() == Tree::ViewListings) {
                let own_page = matches!(key, CacheKey::ListingPage { view: v, .. } if *v == view);
                assert_eq!(
                    key.encode().starts_with(&prefix),
                    own_page,
                    "{key:?} against the pages of view {view}"
                );
            }
        }
    }
}

//! A tiny seeded pseudo-random generator (splitmix64) for the sandbox.
//!
//! Every generated record draws from its own stream, seeded from `(seed, id, stream)`,
//! so any ticket, user or comment can be rebuilt on its own, in any order, without
//! generating its neighbours: that is what keeps the data set lazy and deterministic.
//! The sequence is part of the sandbox's contract (same seed, same data), so it must
//! never depend on std's hashers, which may change between Rust releases.

/// The splitmix64 finalizer: a good 64-bit mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One well-mixed value for `(seed, id, stream)`, without building a generator.
pub fn hash3(seed: u64, id: u64, stream: u64) -> u64 {
    mix(mix(seed ^ mix(id.wrapping_add(0x9e37_79b9_7f4a_7c15))) ^ stream)
}

/// Identifiers of independent streams, so that e.g. a ticket's text never shifts when
/// the way its status is drawn changes.
pub mod stream {
    pub const TRAITS: u64 = 1;
    pub const TEXT: u64 = 2;
    pub const USER: u64 = 3;
    pub const COMMENTS: u64 = 4;
    pub const DELETED: u64 = 5;
    pub const TOUCH: u64 = 6;
    pub const FAULTS: u64 = 7;
    /// Custom fields added later, so the earlier streams draw as before.
    pub const FIELDS: u64 = 8;
    pub const METRICS: u64 = 9;
}

/// splitmix64: 8 bytes of state, fast, and statistically good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, id: u64, stream: u64) -> Rng {
        Rng(hash3(seed, id, stream))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`); the multiply-shift avoids a slow modulo.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks from `(weight, item)` pairs; weights need not sum to 100.
    pub fn weighted<T: Copy>(&mut self, items: &[(u64, T)]) -> T {
        let total: u64 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.below(total);
        for &(w, item) in items {
            if roll < w {
                return item;
            }
            roll -= w;
        }
        items[items.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(42, 7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(42, 7, 1).next_u64(), Rng::new(42, 7, 2).next_u64());
        assert_ne!(Rng::new(42, 7, 1).next_u64(), Rng::new(42, 8, 1).next_u64());
        assert_ne!(Rng::new(42, 7, 1).next_u64(), Rng::new(43, 7, 1).next_u64());
    }

    #[test]
    fn below_and_weighted_stay_in_range() {
        let mut r = Rng::new(1, 2, 3);
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            assert!(r.below(10) < 10);
            assert!((5..=9).contains(&r.range(5, 9)));
            seen[r.weighted(&[(1, 0usize), (1, 1), (1, 2)])] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }
}

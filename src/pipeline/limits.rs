//! `--max-failures`: how many failed tickets a run accepts before it stops.

/// A `--max-failures` limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFailures {
    Count(u64),
    /// Percent of the tickets written so far (checked from 20 tickets on, and at the end).
    Percent(f64),
}

impl MaxFailures {
    pub fn exceeded(self, failed: u64, written: u64) -> bool {
        match self {
            MaxFailures::Count(n) => failed > n,
            MaxFailures::Percent(p) => written >= 20 && failed as f64 * 100.0 > p * written as f64,
        }
    }

    /// The same test once the run is over, whatever the number of tickets.
    pub fn exceeded_at_end(self, failed: u64, written: u64) -> bool {
        match self {
            MaxFailures::Count(n) => failed > n,
            MaxFailures::Percent(p) => failed as f64 * 100.0 > p * written as f64,
        }
    }
}

impl std::str::FromStr for MaxFailures {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("{s:?} is not a failure limit (use a count like 5 or a percent like 2%)");
        match s.trim().strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(MaxFailures::Percent)
                .ok_or_else(bad),
            None => s
                .trim()
                .parse::<u64>()
                .map(MaxFailures::Count)
                .map_err(|_| bad()),
        }
    }
}

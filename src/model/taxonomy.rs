//! The labels analyzers choose from: categories and components.
//!
//! The defaults are the design's taxonomy. A pipeline may replace either list
//! (`[[analyze.category]]` / `[[analyze.component]]`), giving each label keywords; a
//! default label name given without keywords keeps the built-in rules for it.

use serde::{Deserialize, Serialize};

/// The default categories, in tie-break order.
pub const DEFAULT_CATEGORIES: [&str; 8] = [
    "billing",
    "account_access",
    "technical_issue",
    "hardware_issue",
    "shipping_delivery",
    "refund_return",
    "feature_request",
    "general_inquiry",
];

/// The default components; `none` means no component was recognised.
pub const DEFAULT_COMPONENTS: [&str; 13] = [
    "gpu",
    "cpu",
    "drive",
    "memory",
    "power_supply",
    "motherboard",
    "cooling",
    "display",
    "network",
    "ipmi",
    "bios",
    "boot",
    "none",
];

/// The category used when nothing matches.
pub const FALLBACK_CATEGORY: &str = "general_inquiry";
/// The component used when nothing matches.
pub const FALLBACK_COMPONENT: &str = "none";

/// One label and the user's keywords for it (lowercase words or phrases).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// The categories and components of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Taxonomy {
    pub categories: Vec<Label>,
    pub components: Vec<Label>,
}

impl Default for Taxonomy {
    fn default() -> Self {
        let labels = |names: &[&str]| {
            names
                .iter()
                .map(|n| Label {
                    name: n.to_string(),
                    keywords: Vec::new(),
                })
                .collect()
        };
        Taxonomy {
            categories: labels(&DEFAULT_CATEGORIES),
            components: labels(&DEFAULT_COMPONENTS),
        }
    }
}

impl Taxonomy {
    /// A short stable text that changes whenever the taxonomy does (for fingerprints).
    pub fn fingerprint(&self) -> String {
        let mut s = String::new();
        for (kind, labels) in [("c", &self.categories), ("k", &self.components)] {
            s.push_str(kind);
            for l in labels {
                s.push(':');
                s.push_str(&l.name);
                for k in &l.keywords {
                    s.push('/');
                    s.push_str(k);
                }
            }
        }
        format!("{:016x}", fnv1a(s.as_bytes()))
    }

    pub fn category_names(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|l| l.name.as_str())
    }

    pub fn component_names(&self) -> impl Iterator<Item = &str> {
        self.components.iter().map(|l| l.name.as_str())
    }
}

/// FNV-1a, 64 bit: a stable hash (std's hashers are not stable across releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

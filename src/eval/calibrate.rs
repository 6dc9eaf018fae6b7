//! Calibration of `confidence`: how often the sentiment label is right at each
//! confidence, in ten bands of 0.1, and the expected calibration error (ECE).
//!
//! ECE is the mean over tickets of |band accuracy − band mean confidence|, i.e. the
//! sum over bands of `n_band / n × |accuracy − mean confidence|`. A confidence of
//! exactly 1.0 falls in the last band. Tickets missing from the output or failed in
//! it have no confidence and are left out (they already count as wrong in the
//! accuracy).

use serde::Serialize;

/// The confidence above which a label is trusted (and the high band reported).
pub const TRUSTED: f64 = 0.8;

const BANDS: usize = 10;

/// Calibration of the sentiment label's `confidence`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Scored tickets that have a confidence.
    pub n: u64,
    /// Expected calibration error over the ten bands.
    pub ece: f64,
    pub bands: Vec<Band>,
    /// Tickets with `confidence >= 0.8`.
    pub trusted_n: u64,
    /// Their share of `n`.
    pub trusted_share: f64,
    /// How often their label is right (0 when there are none).
    pub trusted_accuracy: f64,
}

/// One confidence band `[low, high)` (the last one includes 1.0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    pub low: f64,
    pub high: f64,
    pub n: u64,
    /// 0 in an empty band.
    pub accuracy: f64,
    /// 0 in an empty band.
    pub mean_confidence: f64,
}

/// Calibration of `(confidence, label was right)` pairs; `None` without pairs.
pub(super) fn calibrate(pairs: &[(f64, bool)]) -> Option<Calibration> {
    if pairs.is_empty() {
        return None;
    }
    let mut count = [0u64; BANDS];
    let mut right = [0u64; BANDS];
    let mut sum = [0f64; BANDS];
    for &(confidence, correct) in pairs {
        let band = ((confidence.clamp(0.0, 1.0) * BANDS as f64) as usize).min(BANDS - 1);
        count[band] += 1;
        right[band] += u64::from(correct);
        sum[band] += confidence;
    }
    let n = pairs.len() as u64;
    let bands: Vec<Band> = (0..BANDS)
        .map(|b| Band {
            low: b as f64 / BANDS as f64,
            high: (b + 1) as f64 / BANDS as f64,
            n: count[b],
            accuracy: ratio(right[b] as f64, count[b]),
            mean_confidence: ratio(sum[b], count[b]),
        })
        .collect();
    let ece = bands
        .iter()
        .map(|b| b.n as f64 / n as f64 * (b.accuracy - b.mean_confidence).abs())
        .sum();
    let trusted: Vec<bool> = pairs
        .iter()
        .filter(|(confidence, _)| *confidence >= TRUSTED)
        .map(|&(_, correct)| correct)
        .collect();
    let trusted_n = trusted.len() as u64;
    Some(Calibration {
        n,
        ece,
        bands,
        trusted_n,
        trusted_share: ratio(trusted_n as f64, n),
        trusted_accuracy: ratio(trusted.iter().filter(|&&c| c).count() as f64, trusted_n),
    })
}

fn ratio(a: f64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a / b as f64
    }
}

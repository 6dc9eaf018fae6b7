//! The metrics: per-class precision, recall and F1, their weighted and macro
//! averages, the confusion matrix (see the module doc for the pseudo-labels), and
//! Pearson's r.

use std::collections::{BTreeMap, BTreeSet};

use super::{ClassScores, Confusion, FieldEval, ERROR, MISSING};

/// (gold, predicted) cell counts of the confusion matrix.
type Cells<'a> = BTreeMap<(&'a str, &'a str), u64>;

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores (gold, predicted) label pairs.
pub(super) fn score(field: &str, pairs: &[(String, String)]) -> FieldEval {
    let pseudo = |l: &str| l == MISSING || l == ERROR;
    let mut classes: BTreeSet<&str> = BTreeSet::new();
    let mut extra: BTreeSet<&str> = BTreeSet::new();
    let mut cells: Cells = BTreeMap::new();
    for (g, p) in pairs {
        classes.insert(g);
        if pseudo(p) {
            extra.insert(p);
        } else {
            classes.insert(p);
        }
        *cells.entry((g.as_str(), p.as_str())).or_default() += 1;
    }
    let n = pairs.len() as u64;
    let correct: u64 = pairs.iter().filter(|(g, p)| g == p).count() as u64;
    let scores: Vec<ClassScores> = classes.iter().map(|&c| class_scores(c, &cells)).collect();
    let weighted = |f: fn(&ClassScores) -> f64| {
        let total: u64 = scores.iter().map(|c| c.support).sum();
        if total == 0 {
            0.0
        } else {
            scores.iter().map(|c| f(c) * c.support as f64).sum::<f64>() / total as f64
        }
    };
    let mean = |f: fn(&ClassScores) -> f64| {
        if scores.is_empty() {
            0.0
        } else {
            scores.iter().map(f).sum::<f64>() / scores.len() as f64
        }
    };
    FieldEval {
        field: field.to_string(),
        n,
        correct,
        accuracy: ratio(correct, n),
        weighted_precision: weighted(|c| c.precision),
        weighted_recall: weighted(|c| c.recall),
        weighted_f1: weighted(|c| c.f1),
        macro_f1: mean(|c| c.f1),
        macro_recall: gold_mean_recall(&scores),
        confusion: confusion(&classes, &extra, &cells),
        classes: scores,
        pearson: None,
        calibration: None,
    }
}

/// The mean recall over the classes the gold labels hold (TweetEval's metric): a
/// class only ever predicted (`unknown`, say) has no recall to average.
fn gold_mean_recall(scores: &[ClassScores]) -> f64 {
    let gold: Vec<f64> = scores
        .iter()
        .filter(|c| c.support > 0)
        .map(|c| c.recall)
        .collect();
    if gold.is_empty() {
        0.0
    } else {
        gold.iter().sum::<f64>() / gold.len() as f64
    }
}

/// Precision, recall and F1 of `class` (0 where undefined, as `zero_division = 0`).
fn class_scores(class: &str, cells: &Cells) -> ClassScores {
    let tp = cells.get(&(class, class)).copied().unwrap_or(0);
    let support: u64 = cells
        .iter()
        .filter(|((g, _), _)| *g == class)
        .map(|(_, v)| v)
        .sum();
    let predicted: u64 = cells
        .iter()
        .filter(|((_, p), _)| *p == class)
        .map(|(_, v)| v)
        .sum();
    let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    ClassScores {
        label: class.to_string(),
        precision,
        recall,
        f1,
        support,
        predicted,
    }
}

/// The matrix: a row per gold class, a column per class and then per pseudo-label.
fn confusion(classes: &BTreeSet<&str>, extra: &BTreeSet<&str>, cells: &Cells) -> Confusion {
    let gold: Vec<String> = classes.iter().map(|s| s.to_string()).collect();
    let predicted: Vec<String> = classes.iter().chain(extra).map(|s| s.to_string()).collect();
    let counts = gold
        .iter()
        .map(|g| {
            predicted
                .iter()
                .map(|p| cells.get(&(g.as_str(), p.as_str())).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    Confusion {
        gold,
        predicted,
        counts,
    }
}

/// Pearson's r of the pairs; `None` with fewer than two pairs or no variance.
pub(super) fn pearson(xy: &[(f64, f64)]) -> Option<f64> {
    if xy.len() < 2 {
        return None;
    }
    let n = xy.len() as f64;
    let (mx, my) = xy
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xy {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

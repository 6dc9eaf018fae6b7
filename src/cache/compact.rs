//! The compact form of a stored analysis: the values of the `analyses` tree.
//!
//! A stored analysis was JSON, about 540 bytes, of which 117 were the analyzer's
//! fingerprint and some 170 the field names. Every run writes one for every ticket it
//! analyzes, 32 to a bucket, and sled 0.34 writes a node over 128 KB (a quarter of
//! its 512 KB segment) to a file of its own, so leaves of JSON buckets went to a new
//! file each time sled rewrote them: 153 files of about 296 KB for 20,000 tickets,
//! written by the writer thread. In this form an analysis takes about 160 bytes (3.1
//! MB for those 20,000 against 10.8 MB) and a leaf of them stays in sled's log.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 1 | [`TAG`] (a JSON value starts with `{`, so both forms tell themselves apart) |
//! | 8 | FNV-1a of the analyzer fingerprint (the value is only ever compared) |
//! | 1 | flags: bit 0 `updated_at` present, bit 1 `business_impact` |
//! | 1 | sentiment: 0 positive, 1 neutral, 2 negative, 3 unknown |
//! | 4 | urgency, frustration, technical expertise, priority score |
//! | 16 | sentiment score and confidence, each an `f64`'s bits |
//! | texts | analyzer, `analyzed_at`, `updated_at` (when flagged), category, component, language |
//! | lists | key phrases, emotions: a count, then each text |
//!
//! A text is its length in bytes then its UTF-8; lengths and counts are LEB128 (one
//! byte below 128). Numbers keep their bits, so a rerun writes the very row the
//! first run wrote. JSON values written by earlier versions are still read; an
//! earlier zdpipe reads a compact value as no analysis and analyzes that ticket again.
//!
//! Hand-rolled because it is one fixed record of a dozen fields, about a hundred
//! lines with its reader; a serde binary format would be a new dependency for it.

use super::analyses::{StoredAnalysis, StoredAnalysisRef};
use crate::model::taxonomy::fnv1a;
use crate::model::{Analysis, Sentiment};

/// The first byte of a compact value.
pub(super) const TAG: u8 = 1;

const HAS_UPDATED_AT: u8 = 1;
const BUSINESS_IMPACT: u8 = 2;

/// The compact form of `stored`.
pub(super) fn encode(stored: &StoredAnalysisRef<'_>) -> Vec<u8> {
    let a = stored.analysis;
    // Sized for most analyses, so the buffer is not grown as it fills.
    let mut out = Vec::with_capacity(256);
    out.push(TAG);
    out.extend_from_slice(&fnv1a(stored.fingerprint.as_bytes()).to_le_bytes());
    let flags = (u8::from(stored.updated_at.is_some()) * HAS_UPDATED_AT)
        | (u8::from(a.business_impact) * BUSINESS_IMPACT);
    out.extend_from_slice(&[flags, sentiment_code(a.sentiment)]);
    out.extend_from_slice(&[
        a.urgency,
        a.frustration,
        a.technical_expertise,
        a.priority_score,
    ]);
    out.extend_from_slice(&a.sentiment_score.to_bits().to_le_bytes());
    out.extend_from_slice(&a.confidence.to_bits().to_le_bytes());
    let stamps = [stored.analyzer, stored.analyzed_at].into_iter();
    let labels = [a.category.as_str(), &a.component, &a.language];
    for t in stamps.chain(stored.updated_at).chain(labels) {
        put_text(&mut out, t);
    }
    for list in [&a.key_phrases, &a.emotions] {
        put_len(&mut out, list.len());
        for t in list {
            put_text(&mut out, t);
        }
    }
    out
}

/// The analysis in compact `bytes` if it was made with `fingerprint`; `None` for
/// another fingerprint or bytes that are not a whole compact value.
pub(super) fn decode(bytes: &[u8], fingerprint: &str) -> Option<StoredAnalysis> {
    let mut r = Reader(bytes);
    if r.bytes(1)? != [TAG] || r.u64()? != fnv1a(fingerprint.as_bytes()) {
        return None;
    }
    let [flags, sentiment, urgency, frustration, technical_expertise, priority_score] =
        r.bytes(6)?.try_into().ok()?;
    // A flag this version does not know is a layout it cannot read.
    if flags & !(HAS_UPDATED_AT | BUSINESS_IMPACT) != 0 {
        return None;
    }
    let (sentiment_score, confidence) = (f64::from_bits(r.u64()?), f64::from_bits(r.u64()?));
    let (analyzer, analyzed_at) = (r.text()?, r.text()?);
    let updated_at = match flags & HAS_UPDATED_AT {
        0 => None,
        _ => Some(r.text()?),
    };
    let (category, component, language) = (r.text()?, r.text()?, r.text()?);
    let (key_phrases, emotions) = (r.texts()?, r.texts()?);
    let analysis = Analysis {
        sentiment: [
            Sentiment::Positive,
            Sentiment::Neutral,
            Sentiment::Negative,
            Sentiment::Unknown,
        ]
        .get(usize::from(sentiment))
        .copied()?,
        sentiment_score,
        urgency,
        frustration,
        technical_expertise,
        business_impact: flags & BUSINESS_IMPACT != 0,
        category,
        component,
        priority_score,
        confidence,
        key_phrases,
        emotions,
        language,
    };
    r.0.is_empty().then(|| StoredAnalysis {
        updated_at,
        fingerprint: fingerprint.to_string(),
        analyzer,
        analyzed_at,
        analysis,
    })
}

fn sentiment_code(s: Sentiment) -> u8 {
    match s {
        Sentiment::Positive => 0,
        Sentiment::Neutral => 1,
        Sentiment::Negative => 2,
        Sentiment::Unknown => 3,
    }
}

/// Appends `n` as LEB128: seven bits a byte, the high bit set on all but the last.
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_text(out: &mut Vec<u8>, t: &str) {
    put_len(out, t.len());
    out.extend_from_slice(t.as_bytes());
}

/// What is left of a compact value to read.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }

    /// A LEB128 length; `None` past the end, or for one that does not fit in 64 bits.
    fn len(&mut self) -> Option<usize> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.bytes(1)?[0];
            let part = u64::from(b & 0x7f);
            if part >> (64 - shift).min(7) != 0 {
                return None;
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return usize::try_from(n).ok();
            }
        }
        None
    }

    fn text(&mut self) -> Option<String> {
        let n = self.len()?;
        String::from_utf8(self.bytes(n)?.to_vec()).ok()
    }

    fn texts(&mut self) -> Option<Vec<String>> {
        let n = self.len()?;
        // A count is not trusted for the allocation: each text takes a byte at least.
        let mut list = Vec::with_capacity(n.min(self.0.len()));
        for _ in 0..n {
            list.push(self.text()?);
        }
        Some(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stored(updated_at: Option<&str>) -> StoredAnalysis {
        StoredAnalysis {
            updated_at: updated_at.map(String::from),
            fingerprint: "builtin:2024.7:support=true".into(),
            analyzer: "builtin".into(),
            analyzed_at: "2026-12-03T14:20:57Z".into(),
            analysis: Analysis {
                sentiment: Sentiment::Negative,
                sentiment_score: -0.9079,
                urgency: 5,
                frustration: 4,
                technical_expertise: 3,
                business_impact: true,
                category: "hardware_issue".into(),
                component: "ipmi".into(),
                priority_score: 7,
                confidence: 0.95,
                key_phrases: vec!["cabling".into(), "since day one".into()],
                emotions: vec!["anger".into()],
                language: "en".into(),
            },
        }
    }

    #[test]
    fn reads_back_what_it_wrote_for_the_same_fingerprint_only() {
        for s in [stored(Some("2026-11-28T19:44:34Z")), stored(None)] {
            let bytes = encode(&s.borrowed());
            assert_eq!(bytes[0], TAG);
            assert_eq!(decode(&bytes, &s.fingerprint), Some(s.clone()));
            assert_eq!(decode(&bytes, "builtin:2024.7:support=false"), None);
        }
    }

    #[test]
    fn is_under_half_the_json() {
        let s = stored(Some("2026-11-28T19:44:34Z"));
        let compact = encode(&s.borrowed()).len();
        let json = serde_json::to_vec(&s).unwrap().len();
        assert!(compact * 2 < json, "{compact} bytes against {json} as JSON");
    }

    #[test]
    fn a_cut_or_lengthened_value_is_no_analysis() {
        let s = stored(Some("2026-11-28T19:44:34Z"));
        let bytes = encode(&s.borrowed());
        for end in 0..bytes.len() {
            assert_eq!(decode(&bytes[..end], &s.fingerprint), None, "cut at {end}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, &s.fingerprint), None);
    }

    #[test]
    fn long_texts_take_several_length_bytes() {
        let mut s = stored(None);
        s.analysis.key_phrases = vec!["x".repeat(300), "é".repeat(20_000)];
        let bytes = encode(&s.borrowed());
        assert_eq!(decode(&bytes, &s.fingerprint), Some(s));
    }

    #[test]
    fn a_length_past_64_bits_is_no_length() {
        let at_limit = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader(&at_limit).len(), usize::try_from(u64::MAX).ok());
        let past = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
        assert_eq!(Reader(&past).len(), None);
        assert_eq!(Reader(&[0x80; 11]).len(), None);
        assert_eq!(Reader(&[0xac, 0x02]).len(), Some(300));
    }

    proptest! {
        /// Whatever follows a tag and the right fingerprint, reading returns.
        #[test]
        fn any_bytes_read_without_a_panic(rest in proptest::collection::vec(any::<u8>(), 0..200)) {
            let fingerprint = "builtin:x";
            let mut bytes = vec![TAG];
            bytes.extend_from_slice(&fnv1a(fingerprint.as_bytes()).to_le_bytes());
            bytes.extend_from_slice(&rest);
            let _ = decode(&bytes, fingerprint);
        }

        #[test]
        fn any_analysis_reads_back_exactly(
            score in any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
            confidence in 0.0f64..=1.0,
            scales in any::<[u8; 4]>(),
            flags in any::<(bool, bool)>(),
            sentiment in 0usize..4,
            texts in proptest::collection::vec(".{0,40}", 6),
            phrases in proptest::collection::vec(".{0,30}", 0..7),
        ) {
            let mut s = stored(flags.0.then_some(texts[0].as_str()));
            (s.analyzed_at, s.analyzer) = (texts[1].clone(), texts[5].clone());
            let a = &mut s.analysis;
            a.sentiment = [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative,
                Sentiment::Unknown][sentiment];
            (a.sentiment_score, a.confidence, a.business_impact) = (score, confidence, flags.1);
            [a.urgency, a.frustration, a.technical_expertise, a.priority_score] = scales;
            (a.category, a.component, a.language) =
                (texts[2].clone(), texts[3].clone(), texts[4].clone());
            a.key_phrases = phrases.clone();
            a.emotions = phrases.into_iter().rev().collect();
            let bytes = encode(&s.borrowed());
            prop_assert_eq!(decode(&bytes, &s.fingerprint), Some(s));
        }
    }
}

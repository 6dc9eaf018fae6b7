//! Urgency, frustration, technical expertise, business impact and emotions: point
//! rules over phrases and the shape of the text.
//!
//! **Urgency** (1-5) starts at 1 and adds:
//! * +2 for a critical word or phrase ("urgent", "ASAP", "immediately", "emergency",
//!   "critical", "production", "as soon as possible", "right away", "data loss",
//!   "stolen", "fraud", "suspicious activity", "unknown location") or an outage
//!   ("outage", "is down", "went offline", "unreachable", or the support layer's
//!   outage phrases such as "not responding");
//! * +1 for a time pressure word: "deadline", "today", "tonight", "tomorrow",
//!   "before friday", "time sensitive";
//! * +1 when the ticket reports a problem (a complaint or failure phrase, or negative
//!   sentiment);
//! * +1 for shouting (two or more ALL CAPS words, or a "!!" run), repeated contact, or
//!   business impact;
//! * an outage with a critical word or business impact is 5 ("URGENT: production is
//!   down", "the site is down and customers cannot place orders").
//!
//! **Frustration** (1-5) starts at 1 and adds the strength of negative sentiment (+1
//! at compound <= -0.05, +2 at <= -0.5, +3 at <= -0.8), +1 for complaint phrases, +1
//! for repeated contact ("third time", "contacted you 3 times"), +1 for polite-but-
//! angry phrasing ("per my last email"), +1 for shouting in a negative message. Praise
//! of a fix takes 1 off.
//! "Still waiting for my refund, this is the third time I ask!!!" -> 5.
//!
//! **Technical expertise** (1-5) starts at 2 (a plain description) and adds 0.5 per
//! distinct technical term (kernel, dmesg, RAID, PCIe, firmware version, nvme, CLI
//! commands such as `lspci` or `smartctl`...; at most +2), +1 for error codes
//! (`0x7B`, `E1234`, `ERR_TIMEOUT`), +1 for log lines or stack traces (timestamps,
//! `kernel:`, `Traceback`, `at foo(Bar.java:12)`, or the `[log]` line the message
//! cleaner leaves in place of a pasted block), +0.5 for version numbers, paths or
//! IP addresses. Novice cues ("not very technical", "what does that mean", "I'm not
//! sure how") take 1 off. The total is rounded and clamped.
//!
//! **Business impact** is true when a phrase says the business suffers: "revenue",
//! "our customers", "customers are affected", "production down", "SLA", "losing
//! money", "business impact", "business critical", "all users", "can't process
//! orders", "customers cannot", "cannot place orders", "losing sales"...
//!
//! **Emotions**, in this order: anger (anger words, or frustration 5), frustration
//! (frustration >= 3 with a complaint, or "frustrated"/"annoyed"), anxiety ("worried",
//! "concerned", "scared", or a stolen/fraud report), disappointment ("disappointed",
//! "let down", "expected better"), confusion ("confused", "don't understand", "what
//! does * mean"), gratitude (thanks outside a complaint), satisfaction (praise of a
//! fix, or compound >= 0.5 without complaint), joy ("love", "delighted", "happy").

use super::support::Findings;
use super::text::{ascii_split, ascii_trim, Doc, PhraseSet};
use super::KEY_PHRASES_PER_SOURCE;

/// Which scale a phrase feeds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cue {
    Critical,
    Outage,
    Deadline,
    Technical,
    Novice,
    Impact,
    Anger,
    Frustrated,
    Anxiety,
    Disappointment,
    Confusion,
    Gratitude,
    Joy,
}

use Cue::*;

#[rustfmt::skip]
const CUES: &[(Cue, &[&str])] = &[
    (Critical, &[
            "urgent", "urgently", "asap", "immediately", "emergency", "critical", "production",
            "as soon as possible", "right away", "right now", "data loss", "lost data", "stolen",
            "fraud", "compromised", "security breach", "hacked", "p1", "sev1", "severity 1",
            "suspicious activity", "unknown location", "unknown device", "unauthorized access",
            "unauthorised access",
    ]),
    (Outage, &[
            "outage", "is down", "are down", "went down", "still down", "completely down",
            "went offline", "is offline", "are offline", "unreachable",
    ]),
    (Deadline, &[
            "deadline", "today", "tonight", "tomorrow", "by friday", "before friday", "end of day",
            "eod", "time sensitive", "this morning", "within the hour", "waiting for hours",
    ]),
    (Technical, &[
            "kernel", "dmesg", "raid", "pcie", "firmware version", "bios version", "driver version",
            "nvme", "sata", "lspci", "lsblk", "smartctl", "nvidia smi", "ipmitool", "journalctl",
            "systemctl", "sudo", "ssh", "stack trace", "core dump", "segfault", "api", "endpoint",
            "config", "yaml", "json", "docker", "kubernetes", "hypervisor", "vm", "iops",
            "throughput", "latency", "mtu", "vlan", "subnet", "dns", "tcp", "http", "tls", "ecc",
            "dimm", "uefi", "ipmi", "bmc", "idrac", "cuda", "xid", "bootloader", "grub", "mdadm",
            "zfs", "logs", "log", "syslog", "debug", "reproduce", "traceback", "exception", "sel",
            "firmware",
    ]),
    (Novice, &[
            "not very technical", "not technical", "not tech savvy", "not good with computers",
            "what does * mean", "what does this mean", "i'm not sure how", "no idea how",
            "i don't understand",
    ]),
    (Impact, &[
            "revenue", "our customers", "customers are", "customers affected", "clients are",
            "production down", "production is down", "sla", "losing money", "losing revenue",
            "lost revenue", "business impact", "business critical", "mission critical", "all users",
            "all our users", "entire team", "whole team", "whole company", "can't process orders",
            "cannot process orders", "orders are", "sales", "payroll", "penalty", "downtime",
            "business customer", "customers cannot", "customers can't", "customers are unable",
            "NEG place orders", "unable to place orders", "NEG complete checkout",
            "losing orders", "losing sales", "lose sales",
    ]),
    (Anger, &[
            "angry", "furious", "outraged", "livid", "unacceptable", "ridiculous", "disgusting",
            "disgrace", "appalling", "joke", "rude", "pathetic", "incompetent", "worst", "scam",
            "fed up", "sick of", "hate",
    ]),
    (Frustrated, &[
            "frustrated", "frustrating", "annoyed", "annoying", "losing patience", "tired of",
            "had enough", "again", "still waiting", "waste of time",
    ]),
    (Anxiety, &[
            "worried", "worry", "concerned", "anxious", "nervous", "scared", "afraid", "panic",
            "stolen", "fraud", "compromised", "someone * used my", "unauthorized", "unauthorised",
    ]),
    (Disappointment, &[
            "disappointed", "disappointing", "let down", "expected better", "not happy", "unhappy",
            "not impressed", "poor", "shame",
    ]),
    (Confusion, &[
            "confused", "confusing", "don't understand", "do not understand", "unclear",
            "what does * mean", "makes no sense", "not sure why", "not sure how", "why is",
    ]),
    (Gratitude, &[
            "thanks", "thank you", "thx", "appreciate", "grateful", "cheers", "much appreciated",
            "kudos",
    ]),
    (Joy, &[
            "love", "delighted", "happy", "glad", "awesome", "amazing", "fantastic", "wonderful",
            "brilliant", "excited", "great news", "pleased",
    ]),
];

/// The scales of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scales {
    pub urgency: u8,
    pub frustration: u8,
    pub technical_expertise: u8,
    pub business_impact: bool,
    pub emotions: Vec<String>,
    /// The first [`KEY_PHRASES_PER_SOURCE`] phrases that raised urgency or impact,
    /// in text order (the key phrases take no more).
    pub phrases: Vec<String>,
}

/// Shape signals read from the raw text.
#[derive(Default)]
struct Shape {
    shouted_words: usize,
    bang_run: usize,
    codes: bool,
    logs: bool,
    tech_tokens: bool,
}

/// The cue phrases, built once.
pub(crate) struct ScaleRules {
    cues: PhraseSet<Cue>,
}

impl ScaleRules {
    pub fn new() -> Self {
        let mut cues = PhraseSet::default();
        for &(cue, list) in CUES {
            for p in list {
                cues.add(p, cue);
            }
        }
        ScaleRules { cues }
    }

    /// Computes the scales. `text` is the raw ticket text, `compound` its final
    /// sentiment score.
    pub fn score(&self, text: &str, doc: &Doc, compound: f64, found: &Findings) -> Scales {
        let mut seen = [0u32; 13];
        let mut technical_terms: Vec<&str> = Vec::new();
        let mut phrases = Vec::new();
        self.cues.for_each_match(doc, |m| {
            let cue = *m.value;
            seen[cue as usize] += 1;
            if cue == Technical && !technical_terms.contains(&m.phrase) {
                technical_terms.push(m.phrase);
            }
            if matches!(cue, Critical | Outage | Deadline | Impact)
                && phrases.len() < KEY_PHRASES_PER_SOURCE
            {
                phrases.push(doc.words_text(m.start, m.len));
            }
        });
        let has = |c: Cue| seen[c as usize] > 0;
        let shape = shape(text);
        let shouting = shape.shouted_words >= 2 || shape.bang_run >= 2;
        let complaint = found.complaint || found.polite_angry || found.repeat_contact;
        let impact = has(Impact);
        let outage = has(Outage) || found.outage;
        // An urgency marker or business impact on top of an outage.
        let urgent_outage = outage && (has(Critical) || impact);

        let mut urgency = 1;
        urgency += 2 * u8::from(has(Critical) || outage);
        urgency += u8::from(has(Deadline));
        urgency += u8::from(complaint || found.failure || compound <= -0.05);
        urgency += u8::from(shouting || found.repeat_contact || impact);
        if urgent_outage {
            urgency = 5;
        }

        let mut frustration: i32 = 1;
        frustration += match compound {
            c if c <= -0.8 => 3,
            c if c <= -0.5 => 2,
            c if c <= -0.05 => 1,
            _ => 0,
        };
        frustration += i32::from(found.complaint) + i32::from(found.repeat_contact);
        frustration += i32::from(found.polite_angry) + i32::from(shouting && compound < 0.0);
        frustration -= i32::from(found.praise && compound > 0.0);
        let frustration = frustration.clamp(1, 5) as u8;

        let mut expertise = 2.0 + (0.5 * technical_terms.len() as f64).min(2.0);
        expertise += f64::from(u8::from(shape.codes)) + f64::from(u8::from(shape.logs));
        expertise += 0.5 * f64::from(u8::from(shape.tech_tokens));
        expertise -= f64::from(u8::from(has(Novice)));
        let technical_expertise = expertise.round().clamp(1.0, 5.0) as u8;

        let mut emotions = Vec::new();
        let mut feel = |on: bool, name: &str| {
            if on {
                emotions.push(name.to_string());
            }
        };
        feel(has(Anger) && compound < 0.0 || frustration >= 5, "anger");
        feel(
            (frustration >= 3 && complaint) || (has(Frustrated) && compound < 0.0),
            "frustration",
        );
        feel(has(Anxiety), "anxiety");
        feel(has(Disappointment) && compound < 0.0, "disappointment");
        feel(has(Confusion), "confusion");
        feel(has(Gratitude) && !complaint, "gratitude");
        feel(
            (found.praise && compound > 0.0) || (compound >= 0.5 && !complaint),
            "satisfaction",
        );
        feel(has(Joy) && compound >= 0.05, "joy");

        Scales {
            urgency: urgency.clamp(1, 5),
            frustration,
            technical_expertise,
            business_impact: impact,
            emotions,
            phrases,
        }
    }
}

/// Reads shouting, error codes, log lines and technical tokens off the raw text.
fn shape(text: &str) -> Shape {
    let mut s = Shape::default();
    // Most texts have no `!` at all, which a byte search tells quickly.
    if text.contains('!') {
        let mut run = 0;
        for b in text.bytes() {
            run = if b == b'!' { run + 1 } else { 0 };
            s.bang_run = s.bang_run.max(run);
        }
    }
    for line in text.lines() {
        let l = line.trim_start();
        let stamp = l.starts_with('[')
            && l[1..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit());
        let dated =
            l.len() > 10 && l.as_bytes()[4] == b'-' && l[..4].bytes().all(|b| b.is_ascii_digit());
        if stamp
            || dated
            || l.starts_with("Traceback")
            || l.starts_with("at ") && l.contains(".java:")
            || l.contains("kernel:")
            || l.contains("ERROR ")
            || l.contains("WARN ")
            || l.starts_with("$ ")
            || l.trim_end() == "[log]"
        {
            // One log line settles it; the lines after it need no look.
            s.logs = true;
            break;
        }
    }
    // ASCII text (the common case) is read a byte at a time: the same tokens and
    // counts (in ASCII, only letters are alphabetic and only `a`-`z` lowercase)
    // without decoding UTF-8.
    if text.is_ascii() {
        token_shapes(
            ascii_split(text, |b| SEP_BYTES[usize::from(b)]),
            true,
            &mut s,
        );
    } else {
        token_shapes(text.split(is_separator), false, &mut s);
    }
    s
}

/// What separates [`shape`]'s tokens: whitespace and `,;()"'`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\'')
}

/// [`is_separator`] of each ASCII byte (in ASCII, `char::is_whitespace` is
/// `\t`..=`\r` and the space), looked up instead of tested.
const SEP_BYTES: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(
            b as u8,
            b'\t'..=b'\r' | b' ' | b',' | b';' | b'(' | b')' | b'"' | b'\''
        );
        b += 1;
    }
    table
};

/// Adds the shouted words, codes and technical tokens among `tokens` to `s`;
/// `ascii` says the tokens are ASCII.
fn token_shapes<'t>(tokens: impl Iterator<Item = &'t str>, ascii: bool, s: &mut Shape) {
    let trimmed = |c: char| c.is_ascii_punctuation() && c != '/';
    for tok in tokens {
        let t = if ascii {
            ascii_trim(tok, |b| trimmed(char::from(b)))
        } else {
            tok.trim_matches(trimmed)
        };
        // A word starting with a lowercase ASCII letter (most words) has none of the
        // shapes below: each needs a capital, a digit, `/` or `C:\` first, or no
        // lowercase letter at all.
        if t.len() < 2 || t.as_bytes()[0].is_ascii_lowercase() {
            continue;
        }
        let (mut letters, mut digits, mut dots, mut upper) = (0usize, 0usize, 0usize, true);
        if ascii {
            for b in t.bytes() {
                letters += usize::from(b.is_ascii_alphabetic());
                digits += usize::from(b.is_ascii_digit());
                dots += usize::from(b == b'.');
                upper &= !b.is_ascii_lowercase();
            }
        } else {
            for c in t.chars() {
                letters += usize::from(c.is_alphabetic());
                digits += usize::from(c.is_ascii_digit());
                dots += usize::from(c == '.');
                upper &= !c.is_lowercase();
            }
        }
        if letters >= 2 && upper && digits == 0 && !t.contains('_') && is_shout(t) {
            s.shouted_words += 1;
        }
        let hex = t.len() > 2 && (t.starts_with("0x") || t.starts_with("0X"));
        let code = letters >= 1 && digits >= 2 && t.starts_with(|c: char| c.is_ascii_uppercase());
        let const_name = upper && letters >= 3 && t.contains('_');
        if hex || code || const_name {
            s.codes = true;
        }
        // At least three dot-separated parts, all digits.
        let dotted = dots >= 2
            && t.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let path = t.starts_with('/') && t[1..].contains('/') || t.starts_with("C:\\");
        if dotted || path {
            s.tech_tokens = true;
        }
    }
}

/// Whether an all-caps token is shouting rather than an acronym: it is an ordinary
/// word (four letters or more and not a known hardware acronym), or a short word
/// people shout.
fn is_shout(t: &str) -> bool {
    const SHORT: [&str; 14] = [
        "NOT", "NOW", "NO", "WHY", "HOW", "YOU", "ASAP", "STILL", "AGAIN", "HELP", "STOP", "NEVER",
        "ALL", "WTF",
    ];
    const ACRONYMS: [&str; 14] = [
        "BIOS", "UEFI", "NVME", "RAID", "IPMI", "IDRAC", "DIMM", "SATA", "PCIE", "CUDA", "HDMI",
        "GRUB", "POST", "VLAN",
    ];
    SHORT.contains(&t) || (t.chars().count() >= 4 && !ACRONYMS.contains(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scales(text: &str, compound: f64, found: Findings) -> Scales {
        ScaleRules::new().score(text, &Doc::new(text), compound, &found)
    }

    #[test]
    fn separator_table_agrees_with_is_separator() {
        for b in 0..128u8 {
            let sep = is_separator(char::from(b));
            assert_eq!(SEP_BYTES[usize::from(b)], sep, "byte {b}");
        }
    }

    #[test]
    fn urgency_rules() {
        assert_eq!(
            scales("How do I change my address?", 0.0, Findings::default()).urgency,
            1
        );
        let s = scales(
            "URGENT: production is DOWN, fix it today!!",
            -0.6,
            Findings::default(),
        );
        assert_eq!(s.urgency, 5);
        assert!(s.business_impact);
        assert!(s.phrases.contains(&"urgent".to_string()));
    }

    #[test]
    fn an_outage_with_an_urgency_marker_is_most_urgent() {
        let outage = Findings {
            failure: true,
            outage: true,
            ..Findings::default()
        };
        let text = "Emergency: the storage node is not responding";
        assert_eq!(scales(text, -0.3, outage.clone()).urgency, 5);
        let text = "The storage node is not responding";
        assert_eq!(scales(text, -0.3, outage).urgency, 4);
    }

    #[test]
    fn frustration_rules() {
        assert_eq!(
            scales("Thanks, all good.", 0.6, Findings::default()).frustration,
            1
        );
        let angry = Findings {
            complaint: true,
            repeat_contact: true,
            ..Findings::default()
        };
        let s = scales("Still waiting, third time I ask!!!", -0.85, angry);
        assert_eq!(s.frustration, 5);
        assert!(s.emotions.contains(&"anger".to_string()));
        assert!(s.emotions.contains(&"frustration".to_string()));
    }

    #[test]
    fn expertise_rules() {
        assert_eq!(
            scales(
                "My computer is broken, I'm not very technical.",
                -0.4,
                Findings::default()
            )
            .technical_expertise,
            1
        );
        assert_eq!(
            scales("My order is late.", 0.0, Findings::default()).technical_expertise,
            2
        );
        let log = "dmesg shows nvme0: I/O error, firmware version 1.2.3\n[  12.345] kernel: pcieport 0000:00:01.0 AER 0x1f";
        assert!(scales(log, -0.2, Findings::default()).technical_expertise >= 4);
    }

    #[test]
    fn emotions_rules() {
        let s = scales(
            "Thank you so much, I love it",
            0.9,
            Findings {
                praise: true,
                ..Findings::default()
            },
        );
        assert_eq!(s.emotions, ["gratitude", "satisfaction", "joy"]);
        let s = scales(
            "I'm worried, my card was stolen and I'm confused about what to do",
            -0.7,
            Findings::default(),
        );
        assert!(s.emotions.contains(&"anxiety".to_string()));
        assert!(s.emotions.contains(&"confusion".to_string()));
    }

    #[test]
    fn shouting_needs_words_not_acronyms() {
        assert_eq!(shape("The BIOS and UEFI RAID setup").shouted_words, 0);
        assert_eq!(shape("I am SICK of THIS").shouted_words, 2);
    }

    #[test]
    fn a_collapsed_log_block_still_counts_as_a_log() {
        let text = "The node crashed again, output below.\n[log]";
        let plain = "The node crashed again, output below.";
        assert!(shape(text).logs && !shape(plain).logs);
        let with_log = scales(text, -0.2, Findings::default()).technical_expertise;
        let without = scales(plain, -0.2, Findings::default()).technical_expertise;
        assert!(with_log > without, "{with_log} vs {without}");
    }
}

//! The built-in offline ticket analyzer: deterministic rules, no network.
//!
//! For each ticket it reads `subject + "\n" + body` (just the body when the subject
//! is empty) and produces every field of an [`Analysis`]:
//!
//! * **sentiment** — VADER ([`vader`]), a faithful Rust implementation of
//!   vaderSentiment 3.3.2, optionally corrected by the support-domain layer
//!   ([`support`]) for ticket language; the label comes from
//!   [`Sentiment::from_score`] on the compound score;
//! * **category** and **component** — weighted phrase rules over the pipeline's
//!   taxonomy ([`classify`]);
//! * **urgency, frustration, technical expertise, business impact, emotions** —
//!   point rules ([`scales`]); the priority score is [`priority_score`];
//! * **key phrases** — up to five phrases that drove the decision: the strongest
//!   category and component matches, then complaint, urgency and impact phrases;
//! * **confidence** — how likely the sentiment label is right, from the label and
//!   the strength of its score ([`confidence`]); at most 0.3 on tickets not in English;
//! * **language** — ISO 639-1 code from [`language::detect`], empty when unsure.
//!
//! # Tickets not in English
//!
//! The word lists are English. On a ticket detected in another language
//! ([`language::is_foreign`]) the English sentiment scores are not used (with the
//! support layer on, the default; without it the scores stay VADER's exactly, the
//! reference mode): they misread
//! ("Vielen Dank, das Problem ist gelöst!" is -0.46 by the English lexicon). The
//! sentiment comes from language-neutral signals only (emoji, emoticons such as
//! `:(`, `!!!`, a message in capitals), or is `unknown` when there are none, and
//! `confidence` is at most 0.3 (0 for `unknown`); see [`foreign`]. Urgency and
//! frustration then see that score; category and component still come from the
//! phrase rules, which match only the English and technical words in the text.
//!
//! # The rules, with examples
//!
//! Each example below is checked by the `documented_examples` unit test.
//!
//! **Sentiment.** VADER 3.3.2 word valences, negation, boosters, "but", ALL CAPS,
//! `!`/`?` and emoji; with the support layer, complaint phrases add negative valence
//! ("Still waiting for my refund, this is the third time I ask!!!" -> negative),
//! domain words and politeness in a request lose theirs ("How do I get a refund?" ->
//! neutral), and so do request forms ("I wish to cancel my subscription" ->
//! neutral). Outage and failure reports ("is down", "won't boot", "stuck", "can't
//! log in", "never arrives", "not responding", "error code") add -0.8 to -1.2 each,
//! at most -2 in all, and make the text a ticket, so its domain words ("urgent",
//! "error") lose their VADER valence and the `!` emphasis follows the now negative
//! sum: "URGENT: production is down and our customers cannot place orders!!" ->
//! negative (VADER alone: positive, from "urgent" +0.8 in caps); "Our server won't
//! boot after the BIOS update, stuck at POST with error code 0xE1." and "Can't log
//! in, password reset email never arrives." -> mildly negative. In a ticket that
//! reports a problem or complains and praises no fix, positive words are sarcasm or
//! politeness and lose their valence ("Great, another week without my order" ->
//! negative). Label from the compound score: positive >= 0.05, negative <= -0.05.
//!
//! **Urgency** (1-5) = 1, +2 for a critical word ("urgent", "ASAP", "immediately",
//! "production", "stolen", "fraud", "suspicious activity"...) or an outage
//! ("outage", "is down", "went offline", "not responding"), +1 for time pressure
//! ("today", "tomorrow", "deadline", "by friday", "this morning"), +1 when the ticket
//! reports a problem (a complaint or failure phrase, or negative sentiment), +1 for
//! shouting (two ALL CAPS words or a `!!` run), repeated contact or business impact;
//! clamped. An outage together with a critical word or business impact is 5.
//! * "URGENT: production is down and our customers cannot place orders!!" -> 5.
//! * "How do I change the email address on my account?" -> 1.
//! * "Please send the invoice by Friday, the deadline for our accounts is tomorrow."
//!   -> 2 (time pressure only).
//! * "I think someone has stolen my card, I need it blocked immediately." -> 4.
//! * "Our production server is down since this morning and customers are affected."
//!   -> 5.
//! * "Our server won't boot after the BIOS update, stuck at POST with error code
//!   0xE1." -> 2 (a problem report, no urgency word).
//!
//! **Frustration** (1-5) = 1, +1/+2/+3 for negative sentiment (compound <= -0.05 /
//! -0.5 / -0.8), +1 for a complaint phrase ("still waiting", "NEG work", "thanks for
//! nothing"), +1 for repeated contact ("third time", "contacted you 3 times"), +1 for
//! polite-but-angry phrasing ("per my last email"), +1 for shouting in a negative
//! message, -1 for praise of a fix; clamped.
//! * "How do I change the email address on my account?" -> 1.
//! * "I was charged twice for my subscription" -> 3 (negative, complaint).
//! * "Still waiting for my refund, this is the third time I ask!!!" -> 5.
//! * "URGENT: production is down and our customers cannot place orders!!" -> 4
//!   (negative, shouting).
//!
//! **Technical expertise** (1-5) = 2, +0.5 per distinct technical term (kernel, dmesg,
//! RAID, nvme, firmware, API... at most +2), +1 for an error code (`0x7B`, `E1234`),
//! +1 for a log line or stack trace (`kernel:`, `Traceback`, timestamps), +0.5 for
//! versions, paths or IP addresses, -1 for novice cues ("I'm not very technical",
//! "what does this mean"); rounded and clamped.
//! * "How do I change the email address on my account?" -> 2.
//! * "I'm not very technical, what does this error mean?" -> 1.
//! * "After the firmware update the server logs kernel: nvme0: I/O error 0x7B and
//!   dmesg shows RAID degraded." -> 5.
//!
//! **Business impact** is true when a phrase says the business suffers: "revenue",
//! "our customers", "customers are affected", "production is down", "SLA", "losing
//! money", "all users", "can't process orders", "customers cannot", "cannot place
//! orders", "downtime"...
//! * "Our production server is down since this morning and customers are affected."
//!   -> true; "I was charged twice for my subscription" -> false.
//!
//! **Category and component** ([`classify`]): each label sums the weights of its
//! matched phrases (word stems; `*` = one word, `..` = up to three words, `NEG` = a
//! negation; a few negative weights pull a generic word away from a label), +2 for a
//! ticket tag equal to the label; the highest score wins, ties go to the label listed
//! first, no match gives `general_inquiry` / `none`. The vocabulary is general support
//! language: disowned or wrong-amount transactions are billing, failed, reversed or
//! missing payments and transfers are technical issues, an object that stopped
//! working or was lost is a hardware issue, a parcel that has not arrived is a
//! delivery, and question forms ("how long", "is there", "can I") lean to
//! `general_inquiry`.
//! * "I was charged twice for my subscription" -> billing.
//! * "There is a charge on my statement that I didn't make." -> billing.
//! * "The exchange rate applied was wrong." -> billing ("rate .. wrong").
//! * "My transfer still hasn't arrived." -> technical_issue (money is not a parcel).
//! * "My package still hasn't arrived." -> shipping_delivery.
//! * "My card is not working at the shop." -> hardware_issue.
//! * "Is there an auto top-up feature?" -> general_inquiry (asking about an existing
//!   feature is not a feature request).
//! * "How do I change the email address on my account?" -> account_access, component
//!   none.
//! * "nvidia-smi shows the GPU fell off the bus" -> hardware_issue, component gpu.
//!
//! **Confidence** (0-1, two decimals) is the probability that the sentiment label is
//! right: a logistic model per label over the score's strength, VADER's shares,
//! the support layer's findings and a few text cues, fitted on the shared sentiment
//! sets and the team's support set ([`confidence`] says which and how). "Hello
//! there" -> neutral, 0.43 (nothing to go on); "How do I get a refund?" -> neutral,
//! 0.91 (a question and a request are rarely emotional); "I was charged twice for
//! my subscription" -> negative, 0.96 (a complaint); "Thanks so much, the
//! replacement drive works perfectly. Great support!" -> positive, 0.99.
//!
//! **Priority score** is [`priority_score`] of the four scales (1-10).
//!
//! Everything is built once in [`BuiltinAnalyzer::new`] (lexicons parsed into hash
//! maps, phrase rules indexed by first word) and then only read, so one analyzer is
//! shared by all worker threads.
//!
//! # Attribution
//!
//! The sentiment lexicons `data/vader_lexicon.txt` and `data/emoji_utf8_lexicon.txt`
//! come from vaderSentiment 3.3.2 by C.J. Hutto, MIT licence (`data/VADER-LICENSE.txt`).
//! Hutto, C.J. & Gilbert, E.E. (2014). *VADER: A Parsimonious Rule-based Model for
//! Sentiment Analysis of Social Media Text.* ICWSM-14. The scoring code here is an
//! independent implementation of the rules described by that package.

mod classify;
mod confidence;
mod foreign;
mod lexicon;
#[cfg(test)]
mod refit;
mod scales;
mod support;
mod text;
mod vader;

use std::borrow::Cow;
use std::path::PathBuf;

use crate::analyze::{language, AnalysisInput, AnalyzeError, Analyzer};
use crate::model::taxonomy::{Taxonomy, FALLBACK_CATEGORY};
use crate::model::{priority_score, Analysis, Sentiment};

use classify::LabelSet;
use confidence::Signals;
use scales::ScaleRules;
use support::{Findings, Support, Topic};
use text::{Doc, PhraseSet};
pub use vader::PolarityScores;

/// Bumped whenever a rule or list changes what the analyzer answers, so stored
/// analyses made by older rules are not reused.
pub const RULES_VERSION: &str = "2024.7";

/// The category or component score from which a ticket counts as being about a
/// support topic (so the support layer treats domain words as vocabulary), reached
/// with at least two matched phrases ("charged" + "fee", "error" + "app").
const DOMAIN_EVIDENCE: f64 = 2.0;

/// How to build a [`BuiltinAnalyzer`].
#[derive(Debug, Clone)]
pub struct BuiltinOptions {
    /// Apply the support-domain corrections on top of VADER (default true).
    pub support_layer: bool,
    /// An extra user lexicon (TSV `term<TAB>valence`), see the `lexicon` module.
    pub lexicon: Option<PathBuf>,
    pub taxonomy: Taxonomy,
}

impl Default for BuiltinOptions {
    fn default() -> Self {
        BuiltinOptions {
            support_layer: true,
            lexicon: None,
            taxonomy: Taxonomy::default(),
        }
    }
}

/// Why the analyzer could not be built: a problem with the user lexicon file.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinError {
    #[error("cannot read lexicon file {}: {reason}", path.display())]
    LexiconRead { path: PathBuf, reason: String },
    #[error("lexicon file {}, line {line}: {problem}", path.display())]
    LexiconLine {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// The built-in analyzer. Build it once and share it (it is `Send + Sync`).
pub struct BuiltinAnalyzer {
    vader: vader::Vader,
    support: Option<Support>,
    user_phrases: PhraseSet<f64>,
    categories: LabelSet,
    components: LabelSet,
    scales: ScaleRules,
    fingerprint: String,
}

impl BuiltinAnalyzer {
    pub fn new(opts: BuiltinOptions) -> Result<Self, BuiltinError> {
        let mut lex = lexicon::Lexicons::vader();
        let mut user_phrases = PhraseSet::default();
        let mut lex_hash = 0;
        if let Some(path) = &opts.lexicon {
            let user = lexicon::read_user_lexicon(path)?;
            for (word, valence) in user.words {
                lex.words.insert(word.into(), valence);
            }
            for (phrase, valence) in &user.phrases {
                user_phrases.add(phrase, *valence);
            }
            lex_hash = user.hash;
        }
        let fingerprint = format!(
            "builtin:{RULES_VERSION}:support={}:taxonomy={}:lexicon={lex_hash:016x}",
            opts.support_layer,
            opts.taxonomy.fingerprint()
        );
        Ok(BuiltinAnalyzer {
            vader: vader::Vader::new(lex),
            support: opts.support_layer.then(Support::new),
            user_phrases,
            categories: LabelSet::categories(&opts.taxonomy.categories),
            components: LabelSet::components(&opts.taxonomy.components),
            scales: ScaleRules::new(),
            fingerprint,
        })
    }

    /// The sentiment scores the analyzer gives `text`: plain VADER 3.3.2 when the
    /// support layer is off, VADER plus the support corrections when it is on.
    pub fn polarity_scores(&self, text: &str) -> PolarityScores {
        let doc = Doc::new(text);
        let topic = topic(
            &self.categories.choose(&doc, &[]),
            &self.components.choose(&doc, &[]),
        );
        self.sentiment(text, &doc, topic).0
    }

    /// The scores, the support layer's findings and the signals of the confidence
    /// model (all but the text cues).
    fn sentiment(
        &self,
        text: &str,
        doc: &Doc,
        topic: Topic,
    ) -> (PolarityScores, Findings, Signals) {
        let mut pass = self.vader.pass(text);
        let mut found = match &self.support {
            Some(support) => support.apply(doc, &mut pass, topic),
            None => Findings::default(),
        };
        if !self.user_phrases.is_empty() {
            self.user_phrases
                .for_each_match(doc, |m| found.extra.push(*m.value));
        }
        let mut valences = std::mem::take(&mut pass.valences);
        let valenced = valences.iter().filter(|v| **v != 0.0).count();
        let tokens = valences.len();
        valences.extend_from_slice(&found.extra);
        let scores = vader::score(&valences, pass.punct);
        let signals = Signals {
            compound: scores.compound,
            pos: scores.pos,
            neg: scores.neg,
            valenced,
            tokens,
            support_valence: !found.extra.is_empty(),
            complaint: found.complaint,
            failure: found.failure,
            request: found.request,
            praise: found.praise,
            repeat_contact: found.repeat_contact,
            outage: found.outage,
            ..Signals::default()
        };
        (scores, found, signals)
    }
}

/// The most key phrases taken from the category, the support layer's findings or
/// the scales each (the component gives one); the classifier and the scales keep no
/// more than this.
pub(crate) const KEY_PHRASES_PER_SOURCE: usize = 2;

/// How much the ticket is about a support topic: `evidence` is a non-fallback
/// category or a component with real evidence; `hint` is any category or component
/// phrase at all (weight >= 1), which with a complaint, a failure report or a
/// request is enough.
fn topic(category: &classify::Choice<'_>, component: &classify::Choice<'_>) -> Topic {
    Topic {
        evidence: (category.label != FALLBACK_CATEGORY && category.is_evidence(DOMAIN_EVIDENCE))
            || component.is_evidence(DOMAIN_EVIDENCE),
        hint: category.score >= 1.0 || component.score >= 1.0,
    }
}

impl Analyzer for BuiltinAnalyzer {
    fn name(&self) -> String {
        "builtin".to_string()
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        let text = text_of(input);
        Ok(self.analyze_text(&text, input.tags, language::detect(&text)))
    }
}

/// What the analyzer reads: `subject + "\n" + body`, or the body alone.
fn text_of<'a>(input: &AnalysisInput<'a>) -> Cow<'a, str> {
    if input.subject.is_empty() {
        Cow::Borrowed(input.body)
    } else {
        Cow::Owned(format!("{}\n{}", input.subject, input.body))
    }
}

impl BuiltinAnalyzer {
    /// The analysis of `input` taken to be written in `language` (ISO 639-1, empty
    /// for unsure), without detecting it; [`Analyzer::analyze`] detects it first.
    pub fn analyze_in(&self, input: &AnalysisInput<'_>, language: &str) -> Analysis {
        self.analyze_text(&text_of(input), input.tags, language)
    }

    fn analyze_text(&self, text: &str, tags: &[String], language: &str) -> Analysis {
        let doc = Doc::new(text);
        let category = self.categories.choose(&doc, tags);
        let component = self.components.choose(&doc, tags);
        let reading = self.read_sentiment(text, &doc, language, topic(&category, &component));
        let (scores, found) = (reading.scores, &reading.found);
        let scales = self.scales.score(text, &doc, scores.compound, found);

        let mut key_phrases: Vec<String> = Vec::new();
        let candidates = (category.phrases.into_iter().take(KEY_PHRASES_PER_SOURCE))
            .chain(component.phrases.into_iter().take(1))
            .chain(found.phrases.iter().take(KEY_PHRASES_PER_SOURCE).cloned())
            .chain(scales.phrases.into_iter().take(KEY_PHRASES_PER_SOURCE));
        for p in candidates {
            if key_phrases.len() < 5 && !key_phrases.contains(&p) {
                key_phrases.push(p);
            }
        }
        let (sentiment, confidence) = (reading.sentiment, reading.confidence);
        Analysis {
            sentiment,
            sentiment_score: scores.compound,
            urgency: scales.urgency,
            frustration: scales.frustration,
            technical_expertise: scales.technical_expertise,
            business_impact: scales.business_impact,
            category: category.label.to_string(),
            component: component.label.to_string(),
            priority_score: priority_score(
                scales.urgency,
                scales.frustration,
                scales.business_impact,
                scales.technical_expertise,
            ),
            confidence: (confidence * 100.0).round() / 100.0,
            key_phrases,
            emotions: scales.emotions,
            language: language.to_string(),
        }
    }
}

/// The sentiment of one text: its scores, the support layer's findings, the label
/// and its confidence, and the signals the confidence was read from.
struct SentimentReading {
    scores: PolarityScores,
    found: Findings,
    sentiment: Sentiment,
    confidence: f64,
    #[cfg_attr(not(test), allow(dead_code))]
    signals: Signals,
}

impl BuiltinAnalyzer {
    fn read_sentiment(
        &self,
        text: &str,
        doc: &Doc,
        language: &str,
        topic: Topic,
    ) -> SentimentReading {
        // Without the support layer the scores are VADER's exactly, whatever the language.
        let foreign = (self.support.is_some() && language::is_foreign(language))
            .then(|| foreign::read(&self.vader, text));
        let (scores, found, mut signals) = match &foreign {
            Some(reading) => (
                reading.scores,
                Findings::default(),
                Signals {
                    compound: reading.scores.compound,
                    pos: reading.scores.pos,
                    neg: reading.scores.neg,
                    ..Signals::default()
                },
            ),
            None => self.sentiment(text, doc, topic),
        };
        signals.read_text(text);
        let (sentiment, confidence) = match &foreign {
            Some(reading) => (
                reading.sentiment,
                confidence::sentiment_confidence(reading.sentiment, &signals)
                    .min(reading.max_confidence),
            ),
            None => {
                let sentiment = Sentiment::from_score(scores.compound);
                let mut confidence = confidence::sentiment_confidence(sentiment, &signals);
                // Without the support layer the scores stay VADER's on any language,
                // but an English lexicon's reading of another language is not to be
                // trusted either way.
                if language::is_foreign(language) {
                    confidence = confidence.min(foreign::MAX_CONFIDENCE);
                }
                (sentiment, confidence)
            }
        };
        SentimentReading {
            scores,
            found,
            sentiment,
            confidence,
            signals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(support_layer: bool) -> BuiltinAnalyzer {
        BuiltinAnalyzer::new(BuiltinOptions {
            support_layer,
            ..BuiltinOptions::default()
        })
        .unwrap()
    }

    fn label(a: &BuiltinAnalyzer, text: &str) -> Sentiment {
        Sentiment::from_score(a.polarity_scores(text).compound)
    }

    fn analyze(text: &str) -> Analysis {
        let input = AnalysisInput {
            ticket_id: 1,
            subject: "",
            body: text,
            tags: &[],
        };
        analyzer(true).analyze(&input).unwrap()
    }

    #[test]
    fn another_language_is_never_confident_even_without_the_support_layer() {
        let input = AnalysisInput {
            ticket_id: 1,
            subject: "",
            body: "Vielen Dank, das Problem ist endlich gelöst und alles funktioniert wieder wunderbar!",
            tags: &[],
        };
        for support in [true, false] {
            let a = analyzer(support).analyze(&input).unwrap();
            assert_eq!(a.language, "de");
            assert!(
                a.confidence <= 0.3,
                "support layer {support}: {}",
                a.confidence
            );
        }
    }

    #[test]
    fn support_rules_turn_complaints_negative() {
        let (plain, support) = (analyzer(false), analyzer(true));
        for text in [
            "Still waiting for a reply to my ticket from last week.",
            "Thanks for nothing.",
            "I'd appreciate it if someone actually read my emails.",
            "With all due respect, this is the fourth time I ask.",
            "Per my last email, the serial number is in the attachment.",
            "I've contacted you 3 times about the refund.",
            "The app doesn't work on my phone.",
        ] {
            assert_ne!(
                label(&plain, text),
                Sentiment::Negative,
                "plain VADER already negative: {text}"
            );
            assert_eq!(label(&support, text), Sentiment::Negative, "{text}");
        }
    }

    #[test]
    fn support_rules_neutralize_politeness_but_keep_praise() {
        let support = analyzer(true);
        for text in [
            "Hi, I would like to update my billing address. Thanks!",
            "Please help, my card payment was declined.",
            "Thanks in advance, could you send me the invoice for March?",
            "Hello, could you please tell me when my package will ship? Thanks!",
            "I wish to cancel my subscription",
        ] {
            assert_eq!(label(&support, text), Sentiment::Neutral, "{text}");
        }
        for text in [
            "Thanks, it works now, great service!",
            "The refund arrived, thank you so much!",
            "Thanks so much, the replacement drive works perfectly. Great support!",
        ] {
            assert_eq!(label(&support, text), Sentiment::Positive, "{text}");
        }
    }

    /// Each complaint rule of the support layer on a message as customers write it,
    /// none of which has a negative word VADER knows.
    #[test]
    fn complaint_rules_read_problems_without_negative_words() {
        let support = analyzer(true);
        let wrong: Vec<String> = [
            (
                "double charge",
                "Hello, we were billed twice for the March invoice.",
            ),
            (
                "double charge",
                "We've paid twice because of your last reminder.",
            ),
            (
                "non-arrival",
                "Tracking hasn't moved since Monday, order 77-20481.",
            ),
            (
                "non-arrival",
                "The tracking says delivered, but nothing came.",
            ),
            ("defect back", "The replacement board has the same problem."),
            (
                "waiting",
                "I asked to downgrade in January. I'm still paying for Pro in May.",
            ),
            (
                "broken promise",
                "I was told the refund would be processed within 48 hours.",
            ),
            (
                "escalation",
                "The API still returns 503s for us. Please reopen the incident.",
            ),
            (
                "repeat contact",
                "This is the third time I'm writing about the invoice.",
            ),
            ("repeat contact", "This is the second month in a row."),
            ("repeat contact", "This is the third link you've sent."),
            (
                "blame",
                "We've paid twice, in fact, because of your last reminder.",
            ),
            (
                "non-arrival",
                "It's been sitting in Louisville since the 5th.",
            ),
            (
                "disputed charge",
                "Our dashboard shows we stayed within the plan. We'd like it removed.",
            ),
            (
                "lost data",
                "After the import 300 records lost their phone numbers.",
            ),
            (
                "sarcasm",
                "Oh great, another delivery exception. Love that for me.",
            ),
            (
                "sarcasm",
                "Thanks for the surprise fee on this month's invoice.",
            ),
        ]
        .iter()
        .filter(|(_, text)| label(&support, text) != Sentiment::Negative)
        .map(|(rule, text)| format!("{rule}: {text}"))
        .collect();
        assert!(wrong.is_empty(), "not negative: {wrong:#?}");
    }

    #[test]
    fn complaint_rules_respect_negation_questions_and_resolutions() {
        let support = analyzer(true);
        let cases = [
            // A denied complaint is none.
            (
                "I haven't been waiting long for the invoice.",
                Sentiment::Neutral,
            ),
            // Plain questions and polite requests stay neutral.
            (
                "Which RDIMMs are validated for the 2U GPU server? We'd like to go to 1 TB.",
                Sentiment::Neutral,
            ),
            (
                "Which driver version do you recommend for the GPU nodes?",
                Sentiment::Neutral,
            ),
            (
                "Could you send me a copy of invoice INV-2291? Thank you.",
                Sentiment::Neutral,
            ),
            // Thanks after a resolution is praise.
            (
                "The order arrived a day early and was packed really well. Thanks!",
                Sentiment::Positive,
            ),
            (
                "The migration went flawlessly, zero downtime as promised. Hats off to your team.",
                Sentiment::Positive,
            ),
            (
                "Arrived at 8:30 this morning, exactly as you said. You're lifesavers!",
                Sentiment::Positive,
            ),
            // Thanks for speed does not resolve a problem that is back.
            (
                "Thanks for getting the replacement out so quickly. Unfortunately it has the \
                 same problem.",
                Sentiment::Negative,
            ),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(text, want)| label(&support, text) != *want)
            .map(|(text, want)| format!("{want:?}: {text}"))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn analysis_fields() {
        let a = analyze(
            "URGENT: our production server is down after the BIOS update and our customers \
             cannot place orders. This is the third time I write, nobody replied!!!",
        );
        assert_eq!(a.sentiment, Sentiment::Negative);
        assert_eq!(a.component, "bios");
        assert_eq!(a.urgency, 5);
        assert!(a.frustration >= 4);
        assert!(a.business_impact);
        assert!(a.priority_score >= 8);
        assert!(!a.key_phrases.is_empty() && a.key_phrases.len() <= 5);
        assert!(a.emotions.contains(&"frustration".to_string()));
        let calm = analyze("How do I change the email address on my account?");
        assert_eq!(
            (calm.sentiment, calm.urgency, calm.business_impact),
            (Sentiment::Neutral, 1, false)
        );
        assert_eq!(calm.category, "account_access");
        assert!((0.0..=1.0).contains(&calm.confidence));
    }

    #[test]
    fn subject_is_analysed_with_the_body() {
        let input = AnalysisInput {
            ticket_id: 1,
            subject: "Refund request",
            body: "Order 42.",
            tags: &[],
        };
        assert_eq!(
            analyzer(true).analyze(&input).unwrap().category,
            "refund_return"
        );
    }

    #[test]
    fn user_lexicon_extends_both_layers_and_the_fingerprint() {
        let dir = std::env::temp_dir().join(format!("zdpipe-lex-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lex.tsv");
        std::fs::write(&path, "# test\nzorgle\t-3\nspun up fine\t3\n").unwrap();
        let opts = BuiltinOptions {
            lexicon: Some(path.clone()),
            ..BuiltinOptions::default()
        };
        let a = BuiltinAnalyzer::new(opts).unwrap();
        assert_eq!(label(&a, "the box is zorgle"), Sentiment::Negative);
        assert_eq!(label(&a, "the node spun up fine"), Sentiment::Positive);
        assert_ne!(a.fingerprint(), analyzer(true).fingerprint());
        assert_ne!(analyzer(false).fingerprint(), analyzer(true).fingerprint());
        assert!(a.fingerprint().contains(RULES_VERSION));
        assert_eq!(a.name(), "builtin");

        std::fs::write(&path, "ok\t1\nbad line\n").unwrap();
        let opts = BuiltinOptions {
            lexicon: Some(path.clone()),
            ..BuiltinOptions::default()
        };
        let err = BuiltinAnalyzer::new(opts).err().unwrap().to_string();
        assert!(err.contains("lex.tsv") && err.contains("line 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The examples of the module docs.
    #[test]
    fn documented_examples() {
        let calm = analyze("How do I change the email address on my account?");
        assert_eq!(
            (calm.urgency, calm.frustration, calm.technical_expertise),
            (1, 1, 2)
        );
        assert_eq!(
            (calm.category.as_str(), calm.component.as_str()),
            ("account_access", "none")
        );
        let a = analyze(
            "Please send the invoice by Friday, the deadline for our accounts is tomorrow.",
        );
        assert_eq!(a.urgency, 2);
        let a = analyze("I think someone has stolen my card, I need it blocked immediately.");
        assert_eq!(a.urgency, 4);
        let a =
            analyze("Our production server is down since this morning and customers are affected.");
        assert_eq!((a.urgency, a.business_impact), (5, true));
        let a = analyze("I was charged twice for my subscription");
        assert_eq!(
            (a.frustration, a.business_impact, a.category.as_str()),
            (3, false, "billing")
        );
        assert_eq!((a.sentiment, a.confidence), (Sentiment::Negative, 0.96));
        let a = analyze("URGENT: production is down and our customers cannot place orders!!");
        assert_eq!(
            (a.sentiment, a.urgency, a.frustration, a.business_impact),
            (Sentiment::Negative, 5, 4, true)
        );
        assert!(a.priority_score >= 8, "{}", a.priority_score);
        assert_eq!(
            analyze("I wish to cancel my subscription").sentiment,
            Sentiment::Neutral
        );
        let a = analyze(
            "Our server won't boot after the BIOS update, stuck at POST with error code 0xE1.",
        );
        assert_eq!(a.sentiment, Sentiment::Negative);
        assert!(a.sentiment_score > -0.5, "mild: {}", a.sentiment_score);
        assert_eq!(a.urgency, 2);
        assert!(a.technical_expertise >= 3);
        let a = analyze("Can't log in, password reset email never arrives.");
        assert_eq!(a.sentiment, Sentiment::Negative);
        assert!(a.sentiment_score > -0.5, "mild: {}", a.sentiment_score);
        assert_eq!(
            analyze("Great, another week without my order.").sentiment,
            Sentiment::Negative
        );
        let a = analyze("Still waiting for my refund, this is the third time I ask!!!");
        assert_eq!((a.frustration, a.sentiment), (5, Sentiment::Negative));
        assert_eq!(
            analyze("How do I get a refund?").sentiment,
            Sentiment::Neutral
        );
        assert_eq!(
            analyze("I'm not very technical, what does this error mean?").technical_expertise,
            1
        );
        let a = analyze(
            "After the firmware update the server logs kernel: nvme0: I/O error 0x7B and dmesg \
             shows RAID degraded.",
        );
        assert_eq!(a.technical_expertise, 5);
        for (text, want) in [
            (
                "There is a charge on my statement that I didn't make.",
                "billing",
            ),
            ("The exchange rate applied was wrong.", "billing"),
            ("My transfer still hasn't arrived.", "technical_issue"),
            ("My package still hasn't arrived.", "shipping_delivery"),
            ("My card is not working at the shop.", "hardware_issue"),
            ("Is there an auto top-up feature?", "general_inquiry"),
        ] {
            assert_eq!(analyze(text).category, want, "{text}");
        }
        let a = analyze("nvidia-smi shows the GPU fell off the bus");
        assert_eq!(
            (a.category.as_str(), a.component.as_str()),
            ("hardware_issue", "gpu")
        );
        let a = analyze("Hello there");
        assert_eq!(
            (a.category.as_str(), a.component.as_str()),
            ("general_inquiry", "none")
        );
        assert_eq!((a.sentiment, a.confidence), (Sentiment::Neutral, 0.43));
        let a = analyze("Thanks so much, the replacement drive works perfectly. Great support!");
        assert_eq!((a.sentiment, a.confidence), (Sentiment::Positive, 0.99));
        let a = analyze("How do I get a refund?");
        assert_eq!((a.sentiment, a.confidence), (Sentiment::Neutral, 0.91));
    }

    #[test]
    fn analyzer_is_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<BuiltinAnalyzer>();
    }
}

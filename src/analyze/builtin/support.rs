//! The support-domain layer: corrections on top of VADER for the language of
//! customer-support tickets.
//!
//! A general-purpose lexicon misreads tickets in two directions. Complaints are
//! often written in words it finds neutral ("still waiting", "no reply", "third
//! time", "charged twice") or even positive ("I'd appreciate it if someone actually
//! read my emails", "thanks for nothing"). And the politeness of a plain request
//! ("Hi, I would like to... please help, thanks in advance!") or the domain words of a
//! problem report ("credit card", "payment failed", "error 0x7b") push a neutral
//! ticket positive or negative. The layer works in three steps:
//!
//! 1. **Phrase rules** (one pass, see [`super::text`]) add a valence per match, as if
//!    the phrase were one more lexicon word:
//!    * complaints: "still waiting" -2, "no response" -1.8, "NEG work" ("doesn't work",
//!      "not working") -1.5, "charged twice" -2, "thanks for nothing" -3,
//!      "waste of time" -1, "keeps crashing" -2, "where is my refund" -1.8...;
//!    * polite-but-angry: "with all due respect" -1.5, "as I said before" -1.5, "per my
//!      last email" -1.8, "appreciate it if someone actually" -2...;
//!    * repeated contact: "third time" -1.5, "contacted you * times" -1.8, "for the
//!      second week" -1.5, "yet again" -1.5, "in a row" -1.2 ("This is the second month
//!      in a row." -> negative), "third * you('ve)" -1.5 ("This is the third link you've
//!      sent." -> negative)...;
//!    * contextual cues that only complain in a ticket about a support topic: "again" -1,
//!      "for days/weeks" -1, "nobody" -1, "because of your" -1 ("We've paid twice,
//!      in fact, because of your last reminder." -> negative) (skipped when the message praises a fix:
//!      "working again" is good news, or after a negation: "make sure I won't be
//!      charged again");
//!    * outages and failures: "is down", "went offline", "outage", "not responding"
//!      -1.2; "won't boot", "not loading", "never arrives" (a negation before boot,
//!      load, connect, arrive, turn on, sync...) -1; "can't log in", "unable to
//!      access", "won't even open" (an inability before log in, access, open, see,
//!      place, complete, install...) -1; "error code", "blue screen", "data loss"
//!      -0.8 to -1.2; and, only in a ticket about a support topic, "failed", "stuck",
//!      "crashed", "froze" -1 (where their larger VADER valence is zeroed, see 2).
//!      Together they add at most -2, so a calm report of three symptoms is mildly
//!      negative. A denied one ("no outage", "not stuck") or one in a message that
//!      praises a fix ("the crash is gone, thanks") does not count;
//!    * threats and broken promises: "file a chargeback", "to a competitor", "not
//!      what I agreed", "I was promised", "I was told", "since you said", "been
//!      trying to"...;
//!    * complaints without a negative word, by what went wrong:
//!      - double charge: "billed twice", "charged * twice", "paid twice", "two
//!        invoices for the same" -1.5 to -2 ("Hello, we were billed twice for the
//!        March invoice." -> negative);
//!      - delay and non-arrival: "nothing came", "never came", "delivery exception",
//!        "weeks later", "been sitting" ("It's been sitting in Louisville since the
//!        5th." -> negative), and "move" among the failure verbs ("Tracking hasn't moved
//!        since Monday, order 77-20481." -> negative);
//!      - a defect that is back or never went: "same problem", "same * error",
//!        "still shows", "still returns", "since day one", "is missing" ("The
//!        replacement board has the same problem." -> negative);
//!      - waiting and paying for nothing: "still paying", "still being billed"
//!        ("I asked to downgrade in January. I'm still paying for Pro in May." ->
//!        negative);
//!      - disputed charges: "never asked for", "like it removed" ("Our dashboard
//!        shows we stayed within the plan. We'd like it removed." -> negative);
//!      - lost data: "lost their", "lost all", "deleted all" ("After the import 300
//!        records lost their phone numbers." -> negative);
//!      - escalation: "escalate", "reopen", "looking at alternatives", "formal
//!        complaint", "legal action" ("The API still returns 503s for us. Please
//!        reopen the incident." -> negative);
//!    * sarcasm markers, which also zero the praise word they hold: "oh great", "oh
//!      wonderful", "love that for me", "exactly what I wanted", "thanks for the
//!      surprise" ("Oh great, another delivery exception. Love that for me." ->
//!      negative);
//!    * negation: a complaint phrase right after a negation is denied and does not
//!      count ("I haven't been waiting long for the invoice." -> neutral), like a
//!      denied failure below;
//!    * praise of a resolution: "works now" +1.5, "back to normal" +1.5, "above and
//!      beyond" +2, "quick response" +1.5... ("worked fine until the update" is a
//!      complaint, and a past "everything worked fine" next to a failure resolves
//!      nothing), "as promised" +1, "hats off" +2, "a day early" +1.5, "exactly as
//!      you said" +1.5 ("The migration went flawlessly, zero downtime as promised.
//!      Hats off to your team." -> positive); thanks such as "thank you so much"
//!      +0.8 is praise only outside a request and a complaint, and never says a
//!      failure is fixed;
//!    * the reference's sentiment-laden idioms, which it lists but never applies
//!      ("under the weather" -2, "in the red" -2, "on the ball" +2...).
//! 2. **Domain words** that are vocabulary, not feeling, lose their VADER valence in a
//!    ticket about a support topic: one with category or component evidence, one
//!    that reports an outage or failure, or one with any topic word and a complaint
//!    or a request. They are "credit" card, "interest" rate, "top" up, "charged",
//!    "cancel", "error", "failed", "problem", "pending", "urgent", "support", order
//!    "number", "effective" date... "My credit card payment failed, error 51" loses
//!    VADER's -2.3 and -1.7 and keeps the failure rule's -1: mildly negative.
//!    "broken", "lost", "stolen", "wrong" and real emotion words keep their valence.
//!    In such a ticket that reports a problem or complains and praises no fix, every
//!    positive word is zeroed too: it is sarcasm ("Great, another week without my
//!    order", "Oh great, the 'fixed' firmware bricked two more") or politeness.
//! 3. **Politeness** ("please", "thanks", "hi", "hope", "help", "appreciate", "would
//!    like") is zeroed in a request ("can you", "please", "I need", "I want to", "I
//!    wish to") or a ticket about a support topic, unless it praises something, and
//!    always in a complaint or failure report. Request forms zero their own word
//!    everywhere ("I wish to cancel my subscription" is neutral); sign-off formulas
//!    ("kind regards", "thank you for your reply") are always neutral; neutral
//!    wording ("happy to send", "hard drive", "dead pixel", "no rush", "make sure")
//!    is zeroed in a request or a ticket about a support topic. Plain questions ("is
//!    there", "which", "do you", "how long", "any chance") count as requests, and in
//!    a ticket about a support topic that neither complains nor praises they also
//!    zero every positive word below 1.8: "Which driver version do you recommend for
//!    the GPU nodes?" is neutral, "recommend" is vocabulary there. A bare question is not enough: without a request or a
//!    topic the text may be chit-chat, where "I wish" and "yes!" do carry feeling. So "Hi, I would like to
//!    change my address. Thanks!" is neutral, "thanks for nothing" is negative, and
//!    "Thanks, it works now, great service" stays positive.
//!
//! No phrase spans a sentence end (`.`, `!`, `?`, `;`, a line break): in "it worked
//! fine. Now I can't log in" there is no "fine now".
//!
//! Phrases that neutralize a word ("would like", "would be great if", "kind regards")
//! zero that word wherever it occurs in the ticket: tokens are matched by word, not by
//! position, which is exact for the short messages tickets are.

use super::lexicon::FastMap;
use super::text::{Doc, Match, PhraseSet};
use super::vader::Pass;

/// What a phrase rule says about the ticket.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Complaint,
    PoliteAngry,
    RepeatContact,
    /// A complaint only when the ticket is about a problem.
    Contextual,
    /// Something the customer needs does not work ("won't boot", "can't log in",
    /// "never arrived"): a problem report.
    Failure,
    /// A service or machine is out ("is down", "outage", "not responding").
    Outage,
    /// A failure word that names a problem only in a ticket about a support topic
    /// ("failed", "stuck", "crashed"): elsewhere VADER's own valence stands.
    DomainFailure,
    Praise,
    /// Thanks that is praise outside a request ("thank you so much").
    Gratitude,
    Request,
    /// A plain question ("is there", "which", "how long"): a request whose weak
    /// positive words are zeroed in a ticket about a support topic.
    Question,
    /// Neutral wording: only zeroes words, in a ticket about a support topic or a
    /// request.
    Neutral,
    /// Set formulas that never carry sentiment (sign-offs): always zero their words.
    Formula,
    Idiom,
}

/// One phrase rule.
struct Rule {
    valence: f64,
    kind: Kind,
    /// Words whose VADER valence the phrase cancels.
    zero: &'static [&'static str],
}

use Kind::*;

/// The built-in phrase rules: `(phrase, valence, kind, words to zero)`.
#[rustfmt::skip]
const RULES: &[(&str, f64, Kind, &[&str])] = &[
    // Complaints.
    ("still waiting", -2.0, Complaint, &[]), ("still NEG", -1.2, Complaint, &[]),
    ("still * NEG", -1.0, Complaint, &[]), ("still no", -1.2, Complaint, &[]),
    ("been waiting", -1.2, Complaint, &[]), ("waiting for * weeks", -1.0, Complaint, &[]),
    ("no response", -1.8, Complaint, &[]), ("no reply", -1.8, Complaint, &[]),
    ("no answer", -1.5, Complaint, &[]), ("no one * respond", -1.5, Complaint, &[]),
    ("nobody * respond", -1.5, Complaint, &[]), ("nobody * repli", -1.5, Complaint, &[]),
    ("nobody answer", -1.5, Complaint, &[]), ("never heard back", -1.8, Complaint, &[]),
    ("never got", -1.0, Complaint, &[]), ("never received", -1.2, Complaint, &[]),
    ("NEG heard back", -1.5, Complaint, &[]), ("no call back", -1.5, Complaint, &[]),
    ("NEG work", -1.5, Complaint, &["help"]), ("NEG * work", -1.2, Complaint, &[]),
    ("stopped working", -1.8, Complaint, &[]), ("no longer work", -1.5, Complaint, &[]),
    ("NEG solve", -1.5, Complaint, &[]), ("NEG fix", -1.2, Complaint, &[]),
    ("NEG resolve", -1.2, Complaint, &[]), ("keeps crashing", -2.0, Complaint, &[]),
    ("keeps failing", -2.0, Complaint, &[]), ("keeps freezing", -2.0, Complaint, &[]),
    ("keeps disconnecting", -2.0, Complaint, &[]), ("keeps happening", -1.5, Complaint, &[]),
    ("keeps coming back", -1.5, Complaint, &[]), ("cancelled my order", -1.5, Complaint, &[]),
    ("canceled my order", -1.5, Complaint, &[]), ("charged twice", -2.0, Complaint, &[]),
    ("charged me twice", -2.0, Complaint, &[]), ("double charged", -2.0, Complaint, &[]),
    ("overcharged", -2.0, Complaint, &[]), ("thanks for nothing", -3.0, Complaint, &["thanks"]),
    ("unacceptable", -1.0, Complaint, &[]), ("not acceptable", -1.8, Complaint, &[]),
    ("where is my refund", -1.8, Complaint, &[]), ("where is my money", -1.8, Complaint, &[]),
    ("where is my order", -1.2, Complaint, &[]), ("waste of time", -1.0, Complaint, &[]),
    ("waste of money", -1.0, Complaint, &[]), ("worst", -0.5, Complaint, &[]),
    ("ridiculous", -0.5, Complaint, &[]), ("is a joke", -2.7, Complaint, &[]),
    ("what a joke", -2.7, Complaint, &[]), ("fed up", -2.0, Complaint, &[]),
    ("sick of", -2.0, Complaint, &[]), ("tired of", -1.5, Complaint, &[]),
    ("had enough", -1.8, Complaint, &[]), ("losing patience", -1.8, Complaint, &[]),
    ("rip off", -2.0, Complaint, &[]), ("ripoff", -2.0, Complaint, &[]),
    ("never again", -2.0, Complaint, &[]), ("nightmare", -0.5, Complaint, &[]),
    ("disaster", -0.5, Complaint, &[]), ("on hold for", -1.5, Complaint, &[]),
    ("hung up", -1.5, Complaint, &[]), ("speak to a manager", -1.5, Complaint, &[]),
    ("talk to a manager", -1.5, Complaint, &[]), ("speak to * supervisor", -1.5, Complaint, &[]),
    ("closed my ticket", -1.2, Complaint, &[]), ("without any explanation", -1.2, Complaint, &[]),
    ("without warning", -1.2, Complaint, &[]), ("NEG take responsibility", -1.5, Complaint, &[]),
    ("nobody * care", -2.0, Complaint, &[]), ("no one * care", -2.0, Complaint, &[]),
    ("so called", -1.2, Complaint, &[]), ("expected better", -1.8, Complaint, &["better"]),
    ("poor quality", -1.0, Complaint, &[]), ("so hard", -1.0, Complaint, &[]),
    ("so difficult", -1.0, Complaint, &[]), ("losing money", -1.5, Complaint, &[]),
    ("lost * money", -1.0, Complaint, &[]), ("still down", -1.5, Complaint, &[]),
    ("still broken", -1.5, Complaint, &[]), ("dead on arrival", -1.5, Complaint, &[]),
    ("arrived broken", -1.5, Complaint, &[]), ("arrived damaged", -1.5, Complaint, &[]),
    ("broke everything", -1.5, Complaint, &[]), ("nothing works", -1.5, Complaint, &[]),
    ("bricked", -2.0, Complaint, &[]), ("never agreed", -1.2, Complaint, &[]),
    ("ignored", -1.0, Complaint, &[]), ("replacement * failed", -1.5, Complaint, &[]),
    ("failed again", -1.5, Complaint, &[]), ("any of my", -0.5, Complaint, &[]),
    ("why is it so", -1.0, Complaint, &[]), ("simple answer", -0.8, Complaint, &[]),
    ("takes * days", -0.8, Complaint, &[]), ("is anyone", -1.0, Complaint, &[]),
    ("is anybody", -1.0, Complaint, &[]), ("anyone actually", -1.5, Complaint, &[]),
    ("nobody * answer", -1.5, Complaint, &[]), ("no one * answer", -1.5, Complaint, &[]),
    ("where is my", -1.0, Complaint, &[]), ("was promised", -1.5, Complaint, &["promised"]),
    ("were promised", -1.5, Complaint, &["promised"]), ("you promised", -1.5, Complaint, &["promised"]),
    ("still being charged", -1.5, Complaint, &[]), ("still getting charged", -1.5, Complaint, &[]),
    ("been trying to", -1.2, Complaint, &[]),
    ("automated reply", -1.0, Complaint, &[]), ("automated response", -1.0, Complaint, &[]),
    ("canned response", -1.0, Complaint, &[]), ("file a chargeback", -1.5, Complaint, &[]),
    ("dispute the", -1.0, Complaint, &[]), ("to a competitor", -1.5, Complaint, &[]),
    ("business elsewhere", -1.5, Complaint, &[]), ("for * months", -0.8, Complaint, &[]),
    // Double charges, defects that come back, waiting, broken promises, escalation.
    ("billed twice", -2.0, Complaint, &[]), ("billed * twice", -2.0, Complaint, &[]),
    ("charged * twice", -2.0, Complaint, &[]), ("debited twice", -2.0, Complaint, &[]),
    ("paid twice", -1.5, Complaint, &[]), ("paying twice", -1.5, Complaint, &[]),
    ("two invoices for the same", -1.5, Complaint, &[]), ("both * debited", -1.5, Complaint, &[]),
    ("same problem", -1.5, Complaint, &[]), ("same issue", -1.5, Complaint, &[]),
    ("same error", -1.5, Complaint, &[]), ("same * error", -1.5, Complaint, &[]),
    ("still the same", -1.2, Complaint, &[]), ("still shows", -1.2, Complaint, &[]),
    ("still returns", -1.2, Complaint, &[]), ("still there", -1.0, Complaint, &[]),
    ("still paying", -1.5, Complaint, &[]), ("still being billed", -1.5, Complaint, &[]),
    ("does nothing", -1.5, Complaint, &[]), ("since day one", -1.2, Complaint, &[]),
    ("logs me out", -1.2, Complaint, &[]), ("logged out every", -1.2, Complaint, &[]),
    ("is missing", -1.2, Complaint, &[]), ("are missing", -1.2, Complaint, &[]),
    ("missing from", -1.2, Complaint, &[]), ("arrived without", -1.5, Complaint, &[]),
    ("nothing came", -1.5, Complaint, &[]), ("never came", -1.5, Complaint, &[]),
    ("delivery exception", -1.2, Complaint, &[]), ("been empty", -1.2, Complaint, &[]),
    ("deleted all", -1.2, Complaint, &[]), ("packet loss", -1.2, Complaint, &[]),
    ("days later", -1.0, Complaint, &[]), ("weeks later", -1.2, Complaint, &[]),
    ("releases later", -1.2, Complaint, &[]), ("supposed to be", -1.0, Complaint, &[]),
    ("how did that pass", -1.5, Complaint, &[]), ("since you said", -1.2, Complaint, &[]),
    ("was told", -1.0, Complaint, &[]), ("were told", -1.0, Complaint, &[]),
    ("rep promised", -1.5, Complaint, &["promised"]), ("that's not what", -1.2, Complaint, &[]),
    ("escalate", -1.2, Complaint, &[]), ("reopen", -1.2, Complaint, &[]),
    ("looking at alternatives", -1.5, Complaint, &[]), ("looking elsewhere", -1.5, Complaint, &[]),
    ("formal complaint", -1.5, Complaint, &[]), ("legal action", -1.5, Complaint, &[]),
    ("nobody mentioned", -1.2, Complaint, &[]), ("nobody asked", -1.2, Complaint, &[]),
    ("lost their", -1.2, Complaint, &[]), ("lost all", -1.2, Complaint, &[]),
    ("been sitting", -1.2, Complaint, &[]), ("never asked for", -1.5, Complaint, &[]),
    ("like it removed", -1.0, Complaint, &[]), ("want it removed", -1.0, Complaint, &[]),
    // Sarcasm markers: praise that means the opposite.
    ("oh great", -2.0, Complaint, &["great"]), ("oh wonderful", -2.0, Complaint, &["wonderful"]),
    ("oh fantastic", -2.0, Complaint, &["fantastic"]), ("oh perfect", -2.0, Complaint, &["perfect"]),
    ("love that for me", -2.0, Complaint, &["love"]),
    ("exactly what i wanted", -1.5, Complaint, &[]), ("just what i needed", -1.5, Complaint, &[]),
    ("thanks for the surprise", -2.0, Complaint, &["thanks", "surprise"]),
    // Polite but angry.
    (
        "appreciate it if someone actually",
        -2.0,
        PoliteAngry,
        &["appreciate"],
    ),
    ("if someone * actually", -1.5, PoliteAngry, &[]), ("actually read", -1.5, PoliteAngry, &[]),
    ("with all due respect", -1.5, PoliteAngry, &["respect"]),
    ("as i said before", -1.5, PoliteAngry, &[]), ("as i said", -1.2, PoliteAngry, &[]),
    ("as i mentioned", -1.2, PoliteAngry, &[]), ("as i already", -1.2, PoliteAngry, &[]),
    ("as previously stated", -1.2, PoliteAngry, &[]),
    ("as already mentioned", -1.2, PoliteAngry, &[]),
    ("i already explained", -1.2, PoliteAngry, &[]),
    ("i have already explained", -1.2, PoliteAngry, &[]), ("already sent", -0.8, PoliteAngry, &[]),
    ("already told", -1.2, PoliteAngry, &[]), ("per my last", -1.8, PoliteAngry, &[]),
    ("per my previous", -1.8, PoliteAngry, &[]), ("as per my last", -0.5, PoliteAngry, &[]),
    ("for the last time", -1.5, PoliteAngry, &[]), ("as promised", 1.0, Praise, &["promised"]),
    ("NEG what i agreed", -1.5, PoliteAngry, &["agreed"]),
    ("NEG what we agreed", -1.5, PoliteAngry, &["agreed"]), ("frankly", -0.8, PoliteAngry, &[]),
    ("honestly", -0.5, PoliteAngry, &[]), ("just process it", -1.0, PoliteAngry, &[]),
    ("i don't appreciate", -0.8, PoliteAngry, &[]), ("explain * again", -1.0, PoliteAngry, &[]),
    ("same question", -0.8, PoliteAngry, &[]),
    // Repeated contact.
    ("second time", -1.0, RepeatContact, &[]), ("third time", -1.5, RepeatContact, &[]),
    ("fourth time", -1.8, RepeatContact, &[]), ("fifth time", -2.0, RepeatContact, &[]),
    ("three times", -1.2, RepeatContact, &[]), ("3 times", -1.2, RepeatContact, &[]),
    ("four times", -1.5, RepeatContact, &[]), ("multiple times", -1.2, RepeatContact, &[]),
    ("several times", -1.0, RepeatContact, &[]), ("many times", -1.2, RepeatContact, &[]),
    ("numerous times", -1.5, RepeatContact, &[]), ("countless times", -1.8, RepeatContact, &[]),
    ("again and again", -1.5, RepeatContact, &[]), ("over and over", -1.5, RepeatContact, &[]),
    ("contacted you", -0.5, RepeatContact, &[]), ("contacted * times", -1.8, RepeatContact, &[]),
    ("contacted you * times", -0.5, RepeatContact, &[]),
    ("called * times", -1.8, RepeatContact, &[]), ("emailed * times", -1.8, RepeatContact, &[]),
    ("asked * times", -1.5, RepeatContact, &[]), ("this is my * email", -1.5, RepeatContact, &[]),
    ("this is my * ticket", -1.5, RepeatContact, &[]), ("second week", -1.5, RepeatContact, &[]),
    ("third week", -1.8, RepeatContact, &[]), ("another week", -1.2, RepeatContact, &[]),
    ("NEG the first time", -1.5, RepeatContact, &[]), ("yet again", -1.5, RepeatContact, &[]), ("once again", -1.2, RepeatContact, &[]),
    ("a new agent", -0.5, RepeatContact, &[]), ("same logs", -0.5, RepeatContact, &[]),
    ("in a row", -1.2, RepeatContact, &[]), ("second * you", -1.0, RepeatContact, &[]),
    ("second * you've", -1.0, RepeatContact, &[]), ("third * you", -1.5, RepeatContact, &[]),
    ("third * you've", -1.5, RepeatContact, &[]),
    // Cues that complain only about a problem.
    ("again", -1.0, Contextual, &[]), ("for days", -1.0, Contextual, &[]),
    ("for weeks", -1.0, Contextual, &[]), ("for hours", -1.0, Contextual, &[]),
    ("nobody", -1.0, Contextual, &[]), ("no one", -1.0, Contextual, &[]),
    ("two weeks", -0.8, Contextual, &[]), ("a month", -0.6, Contextual, &[]),
    ("because of your", -1.0, Contextual, &[]),
    // Outages and failures (more are generated from FAILURE_VERBS and ABILITY_VERBS).
    ("is down", -1.2, Outage, &[]), ("are down", -1.2, Outage, &[]),
    ("was down", -1.2, Outage, &[]), ("went down", -1.2, Outage, &[]),
    ("been down", -1.2, Outage, &[]), ("completely down", -1.2, Outage, &[]),
    ("outage", -1.2, Outage, &[]), ("went offline", -1.2, Outage, &[]),
    ("is offline", -1.2, Outage, &[]), ("are offline", -1.2, Outage, &[]),
    ("gone offline", -1.2, Outage, &[]), ("unreachable", -1.2, Outage, &[]),
    ("unresponsive", -1.2, Outage, &[]), ("NEG respond", -1.2, Outage, &[]),
    ("stopped responding", -1.2, Outage, &[]), ("NEG reachable", -1.2, Outage, &[]),
    ("error code", -0.8, Failure, &[]), ("blue screen", -1.0, Failure, &[]),
    ("bsod", -1.0, Failure, &[]), ("kernel panic", -1.0, Failure, &[]),
    ("boot loop", -1.0, Failure, &[]), ("bootloop", -1.0, Failure, &[]),
    ("black screen", -1.0, Failure, &[]), ("goes black", -1.0, Failure, &[]),
    ("go black", -1.0, Failure, &[]), ("shuts down", -1.0, Failure, &[]),
    ("shutting down", -1.0, Failure, &[]),
    ("data loss", -1.2, Failure, &[]),
    ("keep getting", -0.8, Failure, &[]), ("keeps getting", -0.8, Failure, &[]),
    ("500 error", -1.0, Failure, &[]), ("error 500", -1.0, Failure, &[]),
    ("throwing * error", -1.0, Failure, &[]), ("throwing error", -1.0, Failure, &[]),
    ("fell off the bus", -1.0, Failure, &[]), ("fallen off the bus", -1.0, Failure, &[]),
    ("fail", -1.0, DomainFailure, &[]), ("failur", -1.0, DomainFailure, &[]),
    ("stuck", -1.0, DomainFailure, &[]), ("crash", -1.0, DomainFailure, &[]),
    ("freez", -0.8, DomainFailure, &[]), ("froze", -0.8, DomainFailure, &[]),
    ("overheat", -1.0, DomainFailure, &[]),
    // Praise of a resolution or of the service.
    ("works now", 1.5, Praise, &[]), ("working now", 1.5, Praise, &[]),
    ("working again", 1.5, Praise, &[]), ("works perfectly", 1.0, Praise, &[]),
    ("works fine", 1.5, Praise, &[]), ("fine now", 1.5, Praise, &[]),
    ("fixed it", 1.5, Praise, &[]), ("that fixed", 1.5, Praise, &[]),
    ("fixed the", 1.0, Praise, &[]), ("sorted it", 1.5, Praise, &[]),
    ("sorting it", 1.5, Praise, &[]), ("problem solved", 1.0, Praise, &[]),
    ("issue * resolved", 1.5, Praise, &[]), ("is resolved", 1.5, Praise, &[]),
    ("resolving", 1.0, Praise, &[]), ("back to normal", 1.5, Praise, &[]),
    ("is gone", 1.2, Praise, &[]), ("above and beyond", 2.0, Praise, &[]),
    ("extra mile", 2.0, Praise, &[]), ("quick response", 1.5, Praise, &[]),
    ("fast response", 1.5, Praise, &[]), ("quick reply", 1.0, Praise, &[]),
    ("quick help", 1.0, Praise, &[]), ("quick fix", 1.0, Praise, &[]),
    ("quick turnaround", 1.5, Praise, &[]), ("so quickly", 1.2, Praise, &[]),
    ("very quickly", 1.2, Praise, &[]), ("fast delivery", 1.5, Praise, &[]),
    ("arrived early", 1.5, Praise, &[]), ("on time", 0.8, Praise, &[]),
    ("well packed", 1.5, Praise, &[]), ("went smoothly", 1.5, Praise, &[]),
    ("saved my", 1.5, Praise, &[]), ("in no time", 1.5, Praise, &[]),
    ("out of the box", 0.8, Praise, &[]), ("thank you so much", 0.8, Gratitude, &[]),
    ("thanks a lot", 0.8, Gratitude, &[]), ("thanks again", 0.8, Gratitude, &[]),
    ("thank you all", 0.8, Gratitude, &[]), ("i managed to", 1.0, Praise, &[]),
    ("correct now", 1.2, Praise, &[]), ("recommend you", 1.0, Praise, &[]),
    ("kudos", 2.0, Praise, &[]), ("hats off", 2.0, Praise, &[]), ("flawlessly", 2.0, Praise, &[]),
    ("lifesaver", 2.0, Praise, &[]), ("lifesavers", 2.0, Praise, &[]),
    ("exactly as you said", 1.5, Praise, &[]), ("a day early", 1.5, Praise, &[]),
    ("packed really well", 1.5, Praise, &[]), ("pass on our thanks", 1.5, Praise, &[]),
    ("pass on my thanks", 1.5, Praise, &[]),
    // Requests: polite forms that are not sentiment.
    ("would like", 0.0, Request, &["like"]), ("i'd like", 0.0, Request, &["like"]),
    ("we'd like", 0.0, Request, &["like"]), ("would be great", 0.0, Request, &["great"]),
    ("would be nice", 0.0, Request, &["nice"]), ("would appreciate", 0.0, Request, &["appreciate"]),
    ("be grateful", 0.0, Request, &["grateful"]),
    ("in advance", 0.0, Request, &["thanks", "thank"]), ("please", 0.0, Request, &[]),
    ("can you", 0.0, Request, &[]), ("could you", 0.0, Request, &[]), ("can i", 0.0, Request, &[]),
    ("how do i", 0.0, Request, &[]), ("how can i", 0.0, Request, &[]),
    ("i need", 0.0, Request, &[]), ("i want to", 0.0, Request, &[]),
    ("is it possible", 0.0, Request, &[]), ("need help", 0.0, Request, &["help"]),
    ("please help", 0.0, Request, &["help"]), ("let me know", 0.0, Request, &[]),
    ("please advise", 0.0, Request, &[]), ("wish to", 0.0, Request, &["wish"]),
    ("i want to", 0.0, Request, &["want"]), ("we want to", 0.0, Request, &["want"]),
    ("i would like to", 0.0, Request, &["like"]), ("wanted to ask", 0.0, Request, &[]),
    ("want to ask", 0.0, Request, &[]),
    // Plain questions: in a ticket about a support topic, their weak positive words
    // ("does it support", "a fix", "free") are vocabulary, not feeling.
    ("is there", 0.0, Question, &[]), ("are there", 0.0, Question, &[]),
    ("does the", 0.0, Question, &[]), ("does it", 0.0, Question, &[]),
    ("do you", 0.0, Question, &[]), ("which", 0.0, Question, &[]),
    ("what is", 0.0, Question, &[]), ("what are", 0.0, Question, &[]),
    ("what's the", 0.0, Question, &[]), ("where do i", 0.0, Question, &[]),
    ("where can i", 0.0, Question, &[]), ("how long", 0.0, Question, &[]),
    ("how much", 0.0, Question, &[]), ("how many", 0.0, Question, &[]),
    ("any chance", 0.0, Question, &[]), ("could we", 0.0, Question, &[]),
    // Sign-offs and set formulas: never sentiment.
    ("kind regards", 0.0, Formula, &["kind"]), ("best regards", 0.0, Formula, &["best"]),
    ("warm regards", 0.0, Formula, &["warm"]), ("thank you for your reply", 0.0, Formula, &["thank"]),
    ("thanks for your reply", 0.0, Formula, &["thanks"]),
    ("thanks for getting back", 0.0, Formula, &["thanks"]),
    ("thank you for getting back", 0.0, Formula, &["thank"]),
    // Neutral wording that VADER scores.
    ("best wishes", 0.0, Neutral, &["best"]), ("happy to", 0.0, Neutral, &["happy"]),
    ("make sure", 0.0, Neutral, &["sure"]), ("no rush", 0.0, Neutral, &["no"]),
    ("no hurry", 0.0, Neutral, &["no"]), ("feel free", 0.0, Neutral, &["free"]),
    ("no longer", 0.0, Neutral, &["no"]), ("dead pixel", 0.0, Neutral, &["dead"]),
    ("hard drive", 0.0, Neutral, &["hard"]), ("hard disk", 0.0, Neutral, &["hard"]),
    ("sorry if", 0.0, Neutral, &["sorry"]), ("sorry to bother", 0.0, Neutral, &["sorry"]),
    ("looks like", 0.0, Neutral, &["like"]), ("seems like", 0.0, Neutral, &["like"]),
    ("something like", 0.0, Neutral, &["like"]), ("feel like", 0.0, Neutral, &["like"]),
    ("hope you are well", 0.0, Neutral, &["hope", "well"]),
    ("hope you're well", 0.0, Neutral, &["hope", "well"]), ("hope this", 0.0, Neutral, &["hope"]),
    ("good morning", 0.0, Neutral, &["good"]), ("good afternoon", 0.0, Neutral, &["good"]),
    ("good evening", 0.0, Neutral, &["good"]), ("best way", 0.0, Neutral, &["best"]),
    // The reference's sentiment-laden idioms (listed there, never applied).
    ("cut the mustard", 2.0, Idiom, &[]), ("hand to mouth", -2.0, Idiom, &[]),
    ("back handed", -2.0, Idiom, &[]), ("blow smoke", -2.0, Idiom, &[]),
    ("blowing smoke", -2.0, Idiom, &[]), ("upper hand", 1.0, Idiom, &[]),
    ("break a leg", 2.0, Idiom, &[]), ("cooking with gas", 2.0, Idiom, &[]),
    ("in the black", 2.0, Idiom, &[]), ("in the red", -2.0, Idiom, &[]),
    ("on the ball", 2.0, Idiom, &[]), ("under the weather", -2.0, Idiom, &[]),
];

/// Verbs that report a failure after any negation: "won't boot", "not loading",
/// "never arrived", "doesn't connect" (each a [`Kind::Failure`] of -1).
#[rustfmt::skip]
const FAILURE_VERBS: &[&str] = &[
    "boot", "load", "connect", "arrive", "turn on", "power on", "start up", "sync",
    "come through", "show up", "move",
];

/// Verbs that report a failure after an inability ("can't log in", "unable to
/// access", "couldn't even open"), where a plain negation may just be a statement
/// ("I don't see a dark mode setting").
#[rustfmt::skip]
const ABILITY_VERBS: &[&str] = &[
    "log in", "login", "log into", "sign in", "access", "open", "see", "use", "install",
    "download", "upload", "complete", "place", "process", "pay", "check out", "checkout", "send",
    "print", "save", "submit", "reset", "verify", "reach", "get in", "update", "withdraw",
    "start", "boot", "load", "connect",
];

/// How an inability is said (of a person, or of a machine: "won't open").
const INABILITY: &[&str] = &[
    "can't",
    "cannot",
    "cant",
    "can not",
    "couldn't",
    "couldnt",
    "could not",
    "unable to",
    "not able to",
    "won't let me",
    "can no longer",
    "won't",
    "wont",
    "will not",
];

/// The most failure and outage phrases add together: a calm report of three
/// symptoms is mildly negative, not furious.
const FAILURE_CAP: f64 = -2.0;

/// Word `i` of `doc`, or "" past the end.
fn doc_word(doc: &Doc, i: usize) -> &str {
    if i < doc.len() {
        doc.word(i)
    } else {
        ""
    }
}

/// Politeness that carries no sentiment in a request or problem report.
#[rustfmt::skip]
const POLITE: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank", "thx", "ty", "appreciate", "appreciated", "hope",
    "hoping", "help", "helping", "kindly", "dear", "welcome", "sure", "ok", "okay", "yes", "yeah",
    "hi", "hello", "hey", "cheers", "glad", "grateful", "respect", "well", "hopefully",
];

/// Domain vocabulary VADER scores but that names a topic, not a feeling.
#[rustfmt::skip]
const DOMAIN: &[&str] = &[
    "credit", "interest", "top", "charged", "charge", "charges", "cancel", "cancelled", "canceled",
    "cancellation", "pay", "error", "errors", "fail", "fails", "failed", "failing", "failure",
    "problem", "problems", "crash", "pending", "stuck", "warning", "critical", "fatal", "kill",
    "killed", "urgent", "support", "block", "blocked", "limited", "restricted", "risk", "dispute",
    "missing", "reward", "rewards", "bonus", "benefit", "benefits", "secure", "security",
    "protection", "accept", "accepted", "approved", "fine", "save", "important", "matter", "trust",
    "share", "shares", "freeze", "lock", "locked", "reject", "rejected", "denied", "standard",
    "premium", "clear", "reset", "challenge", "safe", "supported", "supports", "faulty", "loss",
    "mistake", "full", "rejects", "confirm", "want", "wants", "spec", "smart", "number", "effective", "attachment",
];

/// How much a ticket is about a support topic (see `super::topic`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Topic {
    /// A category or component with real evidence.
    pub evidence: bool,
    /// Some category or component phrase.
    pub hint: bool,
}

/// What the layer found in one ticket, for the scales.
#[derive(Debug, Default, Clone)]
pub(crate) struct Findings {
    pub complaint: bool,
    pub polite_angry: bool,
    pub repeat_contact: bool,
    pub praise: bool,
    pub request: bool,
    /// A failure or outage is reported (and not said to be fixed).
    pub failure: bool,
    /// An outage is reported: "is down", "outage", "not responding".
    pub outage: bool,
    /// The matched complaint/repeat/polite-angry phrases, in text order.
    pub phrases: Vec<String>,
    /// Valences to add to the token valences.
    pub extra: Vec<f64>,
}

/// The support layer's phrase rules, built once.
pub(crate) struct Support {
    rules: PhraseSet<Rule>,
    /// `POLITE` and `DOMAIN` words: one lookup per token.
    classes: FastMap<&'static str, WordClass>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Polite,
    Domain,
}

impl Support {
    pub fn new() -> Self {
        let mut rules = PhraseSet::default();
        let failure = |valence| Rule {
            valence,
            kind: Failure,
            zero: &[],
        };
        for verb in FAILURE_VERBS {
            rules.add(&format!("NEG {verb}"), failure(-1.0));
            rules.add(&format!("NEG * {verb}"), failure(-1.0));
        }
        for verb in ABILITY_VERBS {
            for cant in INABILITY {
                rules.add(&format!("{cant} {verb}"), failure(-1.0));
                rules.add(&format!("{cant} even {verb}"), failure(-1.0));
            }
        }
        for &(phrase, valence, kind, zero) in RULES {
            rules.add(
                phrase,
                Rule {
                    valence,
                    kind,
                    zero,
                },
            );
        }
        let mut classes = FastMap::default();
        classes.extend(POLITE.iter().map(|&w| (w, WordClass::Polite)));
        classes.extend(DOMAIN.iter().map(|&w| (w, WordClass::Domain)));
        Support { rules, classes }
    }

    /// Applies the layer to `pass` (zeroing valences) and returns the findings,
    /// whose `extra` valences the caller adds. `topic` says how much the ticket is
    /// about a support topic.
    pub fn apply(&self, doc: &Doc, pass: &mut Pass, topic: Topic) -> Findings {
        let matched = self.match_rules(doc);
        let mut f = matched.findings;
        // A reported failure makes the text a ticket about a problem even without
        // topic words ("URGENT: production is down!!"); so does a complaint or a
        // request that names some topic.
        let domain = topic.evidence
            || matched.failures.iter().any(|failure| !failure.needs_topic)
            || (topic.hint && (f.complaint || f.repeat_contact || f.request));
        // A failure that the message says is fixed ("the crash is gone") is no
        // longer a problem; bare thanks ("Thanks a lot.") fixes nothing.
        let resolved = f.praise;
        // Thanks at the end of a request is politeness, after a complaint sarcasm;
        // elsewhere it is praise.
        let angry = f.complaint || f.polite_angry || f.repeat_contact;
        if !f.request && !angry && !matched.gratitude.is_empty() {
            f.praise = true;
            f.extra.extend(matched.gratitude);
        }
        if !resolved {
            count_failures(&mut f, matched.failures, domain);
        }
        if !f.failure && !matched.past_praise.is_empty() {
            f.praise = true;
            f.extra.extend(matched.past_praise);
        }
        let mut zero = matched.zero;
        if domain || f.request {
            zero.extend_from_slice(&matched.neutral);
        }
        if domain && !f.praise {
            f.extra.extend(matched.contextual);
        }
        // In a ticket that reports a problem and praises no fix, positive words are
        // sarcasm ("Great, another week without my order") or politeness.
        let sarcasm = domain && (angry || f.failure) && !resolved;
        // A plain question about a support topic keeps only strong praise.
        let question = domain && matched.question && !angry && !f.failure && !f.praise;
        let mode = Zeroing {
            domain,
            sarcasm,
            question,
        };
        let (strong_positive, polite) = self.zero_words(pass, &zero, mode);
        f.praise |= strong_positive;
        if angry || f.failure || ((domain || f.request) && !f.praise) {
            for i in polite {
                pass.valences[i] = 0.0;
            }
        }
        f
    }

    /// Runs the phrase rules over `doc` and sorts what they match; phrases that
    /// cross a sentence end do not count.
    fn match_rules(&self, doc: &Doc) -> RuleMatches {
        let mut matched = RuleMatches::default();
        self.rules.for_each_match(doc, |m| {
            if !doc.crosses_sentence(m.start, m.start + m.len) {
                matched.record(doc, &m);
            }
        });
        matched
    }

    /// Zeroes the valence of the words in `zero`, of domain words in a ticket about a
    /// support topic and of positive words in a sarcastic one. Returns whether a
    /// strongly positive word is left, and the positions of the politeness words,
    /// which the caller zeroes once it knows whether the ticket praises something.
    fn zero_words(&self, pass: &mut Pass, zero: &[&str], mode: Zeroing) -> (bool, Vec<usize>) {
        let mut strong_positive = false;
        let mut polite = Vec::new();
        for i in 0..pass.len() {
            if pass.valences[i] == 0.0 {
                continue;
            }
            let w = pass.word(i);
            let class = self.classes.get(w).copied();
            let v = pass.valences[i];
            if zero.contains(&w)
                || (mode.domain && class == Some(WordClass::Domain))
                || (mode.sarcasm && v > 0.0)
                || (mode.question && v > 0.0 && v < STRONG_PRAISE)
            {
                pass.valences[i] = 0.0;
            } else if class == Some(WordClass::Polite) {
                polite.push(i);
            } else if v >= STRONG_PRAISE {
                strong_positive = true;
            }
        }
        (strong_positive, polite)
    }
}

/// Which words [`Support::zero_words`] zeroes besides the listed ones.
#[derive(Clone, Copy)]
struct Zeroing {
    /// Domain words: the ticket is about a support topic.
    domain: bool,
    /// Every positive word: the ticket complains and praises no fix.
    sarcasm: bool,
    /// Positive words below [`STRONG_PRAISE`]: a plain question.
    question: bool,
}

/// The VADER valence from which a positive word is praise, not politeness.
const STRONG_PRAISE: f64 = 1.8;

/// A failure or outage phrase, held back until the layer knows whether the ticket
/// is about a support topic and whether it says the problem is fixed.
struct ReportedFailure {
    valence: f64,
    /// Counts only in a ticket about a support topic ("failed", "stuck").
    needs_topic: bool,
    /// An outage ("is down", "not responding") rather than a failure.
    outage: bool,
    /// The matched words, for `Findings::phrases`.
    phrase: String,
}

/// What the phrase rules matched in one ticket, before the layer decides what the
/// ticket is about.
#[derive(Default)]
struct RuleMatches {
    /// Complaints, requests, praise and idioms, which count whatever the topic.
    findings: Findings,
    /// Words to zero always: those of complaint phrases, requests and formulas.
    zero: Vec<&'static str>,
    /// Words of neutral wording, zeroed only in a ticket about a support topic or a
    /// request.
    neutral: Vec<&'static str>,
    /// Valences of contextual cues, which complain only in a ticket about a topic.
    contextual: Vec<f64>,
    /// Valences of past praise ("everything worked fine"), praise only without a
    /// failure.
    past_praise: Vec<f64>,
    /// Valences of thanks, praise only outside a request.
    gratitude: Vec<f64>,
    failures: Vec<ReportedFailure>,
    /// A plain question form matched.
    question: bool,
}

impl RuleMatches {
    /// Sorts one match by the kind of its rule.
    fn record(&mut self, doc: &Doc, m: &Match<'_, Rule>) {
        let r = m.value;
        let f = &mut self.findings;
        match r.kind {
            // "I haven't been waiting long": a denied complaint is none.
            Complaint | PoliteAngry | RepeatContact if denied(doc, m.start) => {}
            Complaint | PoliteAngry | RepeatContact => {
                f.complaint |= r.kind == Complaint;
                f.polite_angry |= r.kind == PoliteAngry;
                f.repeat_contact |= r.kind == RepeatContact;
                f.phrases.push(matched_words(doc, m));
                f.extra.push(r.valence);
                self.zero.extend_from_slice(r.zero);
            }
            // "make sure I won't be charged again" is no complaint.
            Contextual if !(m.start.saturating_sub(3)..m.start).any(|i| doc.negates(i)) => {
                self.contextual.push(r.valence)
            }
            Contextual => {}
            Failure | Outage | DomainFailure => {
                // "no outage", "never stuck", "not down": denied, not reported.
                if !denied(doc, m.start) {
                    self.failures.push(ReportedFailure {
                        valence: r.valence,
                        needs_topic: r.kind == DomainFailure,
                        outage: r.kind == Outage,
                        phrase: matched_words(doc, m),
                    });
                }
            }
            Praise => self.record_praise(doc, m),
            Gratitude => self.gratitude.push(r.valence),
            Question => {
                f.request = true;
                self.question = true;
            }
            Request => {
                f.request = true;
                self.zero.extend_from_slice(r.zero);
            }
            Neutral => self.neutral.extend_from_slice(r.zero),
            Formula => self.zero.extend_from_slice(r.zero),
            Idiom => f.extra.push(r.valence),
        }
    }

    /// Praise of a resolution, unless it is past ("worked fine until the update").
    fn record_praise(&mut self, doc: &Doc, m: &Match<'_, Rule>) {
        let f = &mut self.findings;
        let next = doc_word(doc, m.start + m.len);
        if matches!(next, "until" | "till" | "before") {
            // "It worked fine until the update": a complaint.
            f.complaint = true;
            f.phrases.push(matched_words(doc, m));
            f.extra.push(-1.0);
        } else if doc.word(m.start) == "worked" {
            // Past praise ("everything worked fine") resolves nothing.
            self.past_praise.push(m.value.valence);
        } else {
            f.praise = true;
            f.extra.push(m.value.valence);
        }
    }
}

/// Whether the phrase starting at word `start` is denied by the word before it
/// ("not stuck", "haven't been waiting"); a phrase that opens with its own
/// negation ("not working") is not.
fn denied(doc: &Doc, start: usize) -> bool {
    !doc.negates(start) && start > 0 && doc.negates(start - 1)
}

/// The words of a match, as they are written in the ticket.
fn matched_words(doc: &Doc, m: &Match<'_, Rule>) -> String {
    doc.words_text(m.start, m.len)
}

/// Adds the failures that count (those that need a support topic only in a ticket
/// about one) to `f`, together at most `FAILURE_CAP`.
fn count_failures(f: &mut Findings, failures: Vec<ReportedFailure>, domain: bool) {
    let mut sum = 0.0;
    for failure in failures {
        if failure.needs_topic && !domain {
            continue;
        }
        f.failure = true;
        f.outage |= failure.outage;
        sum += failure.valence;
        if !f.phrases.contains(&failure.phrase) {
            f.phrases.push(failure.phrase);
        }
    }
    if f.failure {
        f.extra.push(sum.max(FAILURE_CAP));
    }
}

//! Composes a ticket's subject, description and follow-up comments from the corpus.
//!
//! The ticket's traits (topic, mood, outage...) are drawn elsewhere; this module only
//! turns them into prose, with its own random stream, so the text of a ticket can be
//! rebuilt from `(seed, id)` alone. Descriptions are kept between 200 and 1200 chars.

use std::fmt::Write;

use super::corpus::{Group, Topic, AGENTS, HARDWARE_LOGS, SOFTWARE_LOGS};
use super::prng::Rng;

/// How the customer feels; steers openings, asks and sign-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    Angry,
    Neutral,
    Happy,
}

/// What the text of one ticket is about, as decided by its traits.
pub struct Plan<'a> {
    pub topic: &'a Topic,
    pub mood: Mood,
    /// ALL CAPS and "!!!" (only for angry customers).
    pub shouting: bool,
    /// A production outage with business impact.
    pub outage: bool,
    /// Pastes a log excerpt or stack trace.
    pub log: bool,
    /// Has written about this before.
    pub repeat: bool,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub company: Option<&'a str>,
}

const MIN_LEN: usize = 200;
const MAX_LEN: usize = 1200;

const OPEN_ANGRY: &[&str] = &[
    "This is completely unacceptable.",
    "I am extremely frustrated with your service.",
    "How is this still not fixed?",
    "Your product has been nothing but trouble since day one.",
    "I am very disappointed and frankly angry.",
];
const OPEN_NEUTRAL: &[&str] = &[
    "Hello,",
    "Hi support team,",
    "Good morning,",
    "Hi,",
    "Dear support,",
];
const OPEN_HAPPY: &[&str] = &[
    "Hi there, hope you are doing well!",
    "First of all, thanks for the great support last time.",
    "Hello team, we love the product so far.",
    "Hi! Thanks in advance for your help, you have always been great.",
];
const REPEAT: &[&str] = &[
    "This is the third time I'm writing about this.",
    "I already opened a ticket about this last week and nobody answered.",
    "I have called twice and was told someone would get back to me. Nobody did.",
    "Still no reply to my previous emails.",
];
const OUTAGE: &[&str] = &[
    "Our production cluster is down, customers affected.",
    "This is a production outage: our customers cannot use our service and we are losing revenue every hour.",
    "Production is down and we are breaching the SLA with our own customers.",
    "Our whole team is blocked and the business impact is severe.",
];
const ASK_ANGRY: &[&str] = &[
    "Fix this now or we will cancel our contract.",
    "I expect a call from a manager today.",
    "I want this escalated immediately and a full explanation.",
    "If this is not resolved by tomorrow we will move to another vendor.",
];
const ASK_NEUTRAL: &[&str] = &[
    "Could you please advise on next steps?",
    "Please let me know what information you need from us.",
    "Can you look into this?",
    "What do you recommend?",
];
const ASK_HAPPY: &[&str] = &[
    "No rush, whenever you have a moment. Thanks a lot!",
    "Thanks so much, really appreciate your help!",
    "Looking forward to hearing from you, you guys are great.",
];
const LOG_INTRO: &[&str] = &[
    "Here is what we see in the logs:",
    "Log excerpt:",
    "Output:",
];
const CONTEXT_HARDWARE: &[&str] = &[
    "We run {n}0 of these servers in our Frankfurt datacenter and this is the first time we see this.",
    "The machine was delivered {days} days ago and is covered by the next-business-day support plan.",
    "The OS is Ubuntu 22.04 with kernel 6.5, and all firmware is at version {version}.",
    "We already updated every firmware to the latest release from your download page.",
    "The affected system is part of a {n}-node cluster we use for machine learning training.",
    "We checked the cabling, reseated everything and ran your diagnostics tool, which reported {code}.",
];
const CONTEXT_SOFTWARE: &[&str] = &[
    "We run version {version} on {n} hosts, all configured the same way.",
    "The issue started right after your maintenance window on the weekend.",
    "We attached a HAR file and the full debug log to this ticket.",
    "Our automation depends on this, so we are doing everything by hand at the moment.",
];
const CONTEXT_BILLING: &[&str] = &[
    "Our company is registered in the EU and we normally pay by bank transfer.",
    "We have been customers for {n} years and never had this problem before.",
    "Our procurement department needs a written confirmation for their records.",
    "The payment was made with the corporate card ending in {n}{n}{n}{n}.",
];
const CONTEXT_ACCOUNT: &[&str] = &[
    "I am the account owner and the only admin on our side.",
    "We use single sign-on for other tools, but not for your portal.",
    "I tried different browsers, a private window, and cleared the cache.",
];
const CONTEXT_SHIPPING: &[&str] = &[
    "The order was confirmed the same day it was placed, {days} days ago.",
    "We have technicians booked to install the hardware next week.",
    "Your website still shows the order as processing.",
];
const CONTEXT_GENERAL: &[&str] = &[
    "We are a team of {n}0 engineers using your products daily.",
    "We looked at alternatives but would prefer to stay with you.",
    "I could not find the answer in the documentation or the community forum.",
];
const AGENT_REPLIES: &[&str] = &[
    "Thanks for reaching out. Could you send us the full logs and the serial number so we can investigate?",
    "I have escalated this to our engineering team and will update you as soon as I hear back.",
    "Sorry for the trouble. We have shipped a replacement part, the tracking number will follow by email.",
    "Could you try the steps in our knowledge base article and let us know whether the issue persists?",
    "I have applied the fix on our side. Please confirm whether everything works for you now.",
];
const FOLLOW_ANGRY: &[&str] = &[
    "Any update on this? It has been days.",
    "This still does not work and nobody is helping us!",
    "I sent the logs yesterday. Why is this taking so long?",
];
const FOLLOW_CALM: &[&str] = &[
    "Here are the logs you asked for, let me know if you need anything else.",
    "Thanks, we tried that but the problem is still there.",
    "Thanks for the quick answer, that fixed it!",
    "Just checking in on this ticket.",
];
const UPDATES: &[&str] = &[
    "Update: the problem happened again this morning.",
    "Update: we tried the suggested workaround, no luck.",
    "Update: more machines are affected now.",
    "Update: adding a colleague who can give more details.",
];

/// Per-ticket values that placeholders refer to, fixed so repeated mentions agree.
struct Facts<'a> {
    topic: &'a Topic,
    model: &'a str,
    code: &'a str,
    host: u64,
    serial: u64,
    order: u64,
    days: u64,
}

impl<'a> Facts<'a> {
    fn new(topic: &'a Topic, rng: &mut Rng) -> Facts<'a> {
        Facts {
            topic,
            model: rng.pick(topic.models),
            code: rng.pick(topic.codes),
            host: rng.range(1, 48),
            serial: rng.range(10_000_000, 99_999_999),
            order: rng.range(100_000, 999_999),
            days: rng.range(3, 21),
        }
    }

    /// Appends `template` with its placeholders filled in.
    fn fill(&self, out: &mut String, template: &str, rng: &mut Rng) {
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 1..start + len];
            rest = &rest[start + len + 1..];
            // Writing into a String cannot fail.
            let _ = match name {
                "model" => write!(out, "{}", self.model),
                "code" => self.fill_code(out, rng),
                "host" => write!(out, "{}-{:02}", self.host_prefix(), self.host),
                "serial" => write!(out, "SN{}", self.serial),
                "order" => write!(out, "ORD-{}", self.order),
                "invoice" => write!(out, "INV-2026-{}", self.order % 100_000),
                "amount" => write!(out, "${}.{:02}", self.order % 9_000 + 49, self.serial % 100),
                "tracking" => write!(out, "1Z{}{}", self.order, self.serial),
                "version" => write!(
                    out,
                    "{}.{}.{}",
                    rng.range(1, 5),
                    rng.below(10),
                    rng.below(20)
                ),
                "days" => write!(out, "{}", self.days),
                _ => write!(out, "{}", rng.range(2, 9)),
            };
        }
        out.push_str(rest);
    }

    fn fill_code(&self, out: &mut String, rng: &mut Rng) -> std::fmt::Result {
        // Codes may themselves hold placeholders (RMA numbers).
        if self.code.contains('{') {
            let mut code = String::new();
            let plain = Facts { code: "", ..*self };
            plain.fill(&mut code, self.code, rng);
            out.push_str(&code);
        } else {
            out.push_str(self.code);
        }
        Ok(())
    }

    fn host_prefix(&self) -> &'static str {
        match self.topic.tag {
            "gpu" => "gpu-node",
            "drive" => "storage",
            _ => "node",
        }
    }
}

/// The subject and description of a ticket.
pub fn compose(plan: &Plan, rng: &mut Rng) -> (String, String) {
    let facts = Facts::new(plan.topic, rng);
    let topic = plan.topic;
    // Subjects are written to match the problem of the same index; some tickets still
    // get a loosely related subject, as real ones do.
    let problem = rng.below(topic.problems.len() as u64) as usize;
    let subject_template = if rng.percent(75) {
        topic.subjects[problem % topic.subjects.len()]
    } else {
        rng.pick(topic.subjects)
    };
    let mut subject = String::with_capacity(80);
    facts.fill(&mut subject, subject_template, rng);
    if plan.shouting {
        subject = subject.to_uppercase() + "!!!";
    }
    if plan.outage {
        subject.insert_str(0, "URGENT: production down - ");
    } else if plan.repeat && !plan.shouting {
        subject.insert_str(0, "Re: ");
    }

    let mut body = String::with_capacity(MAX_LEN + 200);
    let opening = match plan.mood {
        Mood::Angry => rng.pick(OPEN_ANGRY),
        Mood::Neutral => rng.pick(OPEN_NEUTRAL),
        Mood::Happy => rng.pick(OPEN_HAPPY),
    };
    push_loud(&mut body, opening, plan.shouting);
    if plan.repeat {
        body.push(' ');
        push_loud(&mut body, rng.pick(REPEAT), plan.shouting);
    }
    body.push_str("\n\n");
    facts.fill(&mut body, topic.problems[problem], rng);
    if plan.outage {
        body.push(' ');
        body.push_str(rng.pick(OUTAGE));
    }
    // One or more details, each at most once.
    let first = rng.below(topic.details.len() as u64) as usize;
    for k in 0..rng.range(1, topic.details.len() as u64) as usize {
        body.push(' ');
        facts.fill(
            &mut body,
            topic.details[(first + k) % topic.details.len()],
            rng,
        );
    }
    if rng.percent(60) {
        let context = context_for(topic.group);
        let first = rng.below(context.len() as u64) as usize;
        body.push_str("\n\n");
        for k in 0..rng.range(1, 3) as usize {
            if k > 0 {
                body.push(' ');
            }
            facts.fill(&mut body, context[(first + k) % context.len()], rng);
        }
    }
    if plan.log {
        let logs = match topic.group {
            Group::Hardware => HARDWARE_LOGS,
            _ => SOFTWARE_LOGS,
        };
        body.push_str("\n\n");
        body.push_str(rng.pick(LOG_INTRO));
        body.push('\n');
        facts.fill(&mut body, rng.pick(logs), rng);
    }
    body.push_str("\n\n");
    let ask = match plan.mood {
        Mood::Angry => rng.pick(ASK_ANGRY),
        Mood::Neutral => rng.pick(ASK_NEUTRAL),
        Mood::Happy => rng.pick(ASK_HAPPY),
    };
    if plan.shouting {
        push_loud(&mut body, ask.trim_end_matches('.'), true);
        body.push_str("!!!");
    } else {
        body.push_str(ask);
    }
    sign_off(&mut body, plan, rng);
    if body.len() < MIN_LEN {
        body.push_str("\n\nP.S. ");
        body.push_str(rng.pick(ASK_NEUTRAL));
        body.push_str(" Our account is under the contract we signed last year, reference ");
        let _ = write!(body, "ORD-{}.", facts.order);
    }
    truncate_at_sentence(&mut body, MAX_LEN);
    (subject, body)
}

/// Background sentences (setup, history, what was tried) for a group of topics.
fn context_for(group: Group) -> &'static [&'static str] {
    match group {
        Group::Hardware => CONTEXT_HARDWARE,
        Group::Software => CONTEXT_SOFTWARE,
        Group::Billing => CONTEXT_BILLING,
        Group::Account => CONTEXT_ACCOUNT,
        Group::Shipping => CONTEXT_SHIPPING,
        Group::Feature | Group::Question => CONTEXT_GENERAL,
    }
}

fn push_loud(out: &mut String, s: &str, loud: bool) {
    if loud {
        out.push_str(&s.to_uppercase());
    } else {
        out.push_str(s);
    }
}

fn sign_off(out: &mut String, plan: &Plan, rng: &mut Rng) {
    let closing = match (plan.mood, rng.below(3)) {
        (Mood::Angry, _) => "\n\n",
        (_, 0) => "\n\nThanks,\n",
        (_, 1) => "\n\nBest regards,\n",
        _ => "\n\nCheers,\n",
    };
    out.push_str(closing);
    out.push_str(plan.first_name);
    out.push(' ');
    out.push_str(plan.last_name);
    if let Some(company) = plan.company {
        out.push('\n');
        out.push_str(company);
    }
}

/// Cuts `s` to at most `max` bytes, at the end of a sentence or line when possible.
fn truncate_at_sentence(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let end = s[..cut]
        .rfind(['.', '!', '?', '\n'])
        .filter(|&i| i >= MIN_LEN)
        .map_or(cut, |i| i + 1);
    s.truncate(end);
}

/// The body of comment number `index` (2 or more; the first is the description).
/// Even positions are agent replies, odd ones customer follow-ups.
pub fn follow_up(index: u32, mood: Mood, last: bool, resolved: bool, rng: &mut Rng) -> String {
    if index.is_multiple_of(2) {
        return rng.pick(AGENT_REPLIES).to_string();
    }
    match mood {
        _ if last && resolved => "Thanks, that fixed it! You can close the ticket.".to_string(),
        Mood::Angry => rng.pick(FOLLOW_ANGRY).to_string(),
        _ => rng.pick(FOLLOW_CALM).to_string(),
    }
}

/// The sentence an agent update (`touch`) appends to the description.
pub fn update_note(revision: u32, rng: &mut Rng) -> String {
    format!("\n\n{} (revision {revision})", rng.pick(UPDATES))
}

/// How many agents the account has.
pub const AGENT_COUNT: usize = AGENTS.len();

/// The display name of agent number `index`.
pub fn agent_name(index: usize) -> &'static str {
    AGENTS[index % AGENTS.len()]
}

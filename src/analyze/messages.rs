//! Which words of a ticket an analyzer reads (`[analyze] text`), cleaned: the one
//! place that turns a ticket's messages into [`AnalysisInput::body`], for the
//! built-in and the LLM analyzers alike.
//!
//! With the conversation fetched (`include_comments = true`), the public messages
//! are chosen by [`TextMode`]:
//! * `requester` (the default): the messages written by the requester and other end
//!   users. Agents are polite by trade ("Thanks for reaching out, happy to help!"),
//!   so their replies would make an angry customer's ticket read positive. A ticket
//!   with no customer message at all (opened by an agent, say) is read from its
//!   first message.
//! * `first`: the first message only (what the ticket was opened with).
//! * `all`: every public message, agents' included.
//!
//! Without the conversation a ticket has one message, its description, whatever the
//! mode. Every chosen message is cleaned ([`clean_message`]: quoted replies,
//! signatures, disclaimers and HTML out; logs, URLs and e-mail addresses collapsed
//! to `[log]`, `[url]`, `[email]`), its HTML form when Zendesk sent one. The cleaned
//! messages are joined oldest first and cut to `max_input_chars`: over the budget,
//! the first message is kept and then as many of the most recent ones as fit, since
//! the opening and the latest state of a conversation say most about it. The LLM
//! analyzers mask personal data in this text afterwards, before it leaves.
//!
//! [`AnalysisInput::body`]: super::AnalysisInput::body

use serde::Deserialize;

use super::clean::clean_message;

/// `[analyze] text`: whose messages are analyzed when the conversation is fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextMode {
    #[default]
    Requester,
    First,
    All,
}

impl TextMode {
    /// The file's spelling, also part of the analysis fingerprint.
    pub fn as_str(self) -> &'static str {
        match self {
            TextMode::Requester => "requester",
            TextMode::First => "first",
            TextMode::All => "all",
        }
    }
}

/// One public message of a ticket's conversation, as fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub body: String,
    /// The HTML form, when Zendesk sent one (cleaned instead of `body`).
    pub html_body: Option<String>,
    /// Written by the requester or another end user, not by an agent.
    pub from_customer: bool,
}

/// Changes whenever the cleaning rules change what an analyzer reads, so stored
/// analyses of the old text are not reused (part of the run's analysis fingerprint).
pub const CLEANING_VERSION: &str = "clean1";

/// `max_input_chars` when the pipeline file gives none.
pub const DEFAULT_MAX_INPUT_CHARS: usize = 8000;

/// Between two messages of the analyzed text.
const SEPARATOR: &str = "\n\n---\n\n";

/// The text an analyzer reads besides the subject: the `mode`'s messages (or the
/// description when `messages` is `None`), cleaned, joined and cut to `max_chars`.
pub fn analysis_body(
    description: &str,
    messages: Option<&[Message]>,
    mode: TextMode,
    max_chars: usize,
) -> String {
    let chosen: Vec<&str> = match messages {
        Some(messages) if !messages.is_empty() => chosen(messages, mode)
            .into_iter()
            .map(|m| m.html_body.as_deref().unwrap_or(&m.body))
            .collect(),
        _ => vec![description],
    };
    // Quoted replies and signatures come out in cleaning, so a message may shrink a
    // lot: four times the budget before cleaning leaves room for that and still
    // bounds the work (a 5 MB description is cleaned as its first 32,000 characters).
    let raw_budget = max_chars.saturating_mul(4);
    let cleaned: Vec<String> = chosen
        .into_iter()
        .map(|text| clean_message(leading_chars(text, raw_budget)).text)
        .filter(|text| !text.is_empty())
        .collect();
    join_within(cleaned, max_chars)
}

/// The messages `mode` reads, oldest first; `messages` is not empty.
fn chosen(messages: &[Message], mode: TextMode) -> Vec<&Message> {
    match mode {
        TextMode::First => messages.iter().take(1).collect(),
        TextMode::All => messages.iter().collect(),
        TextMode::Requester => {
            let customers: Vec<&Message> = messages.iter().filter(|m| m.from_customer).collect();
            if customers.is_empty() {
                messages.iter().take(1).collect()
            } else {
                customers
            }
        }
    }
}

/// The first `n` characters of `text`.
fn leading_chars(text: &str, n: usize) -> &str {
    // A text has no more characters than bytes: a short one needs no walk.
    if text.len() <= n {
        return text;
    }
    text.char_indices()
        .nth(n)
        .map_or(text, |(end, _)| &text[..end])
}

/// The messages joined oldest first. Over `max_chars`, the first message (cut to
/// the budget) and then as many of the most recent ones as fit.
fn join_within(mut messages: Vec<String>, max_chars: usize) -> String {
    let total: usize = messages
        .iter()
        .map(|m| m.chars().count() + SEPARATOR.len())
        .sum();
    if total <= max_chars + SEPARATOR.len() {
        // One message (most tickets) is the text as it is, not a copy of it.
        if messages.len() == 1 {
            return messages.swap_remove(0);
        }
        return messages.join(SEPARATOR);
    }
    let Some((first, rest)) = messages.split_first() else {
        return String::new();
    };
    let first: String = first.chars().take(max_chars).collect();
    let mut budget = max_chars.saturating_sub(first.chars().count());
    let mut tail = Vec::new();
    for m in rest.iter().rev() {
        let need = m.chars().count() + SEPARATOR.len();
        if need > budget {
            break;
        }
        budget -= need;
        tail.push(m.as_str());
    }
    tail.reverse();
    std::iter::once(first.as_str())
        .chain(tail)
        .collect::<Vec<_>>()
        .join(SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str, from_customer: bool) -> Message {
        Message {
            body: body.into(),
            html_body: None,
            from_customer,
        }
    }

    fn thread() -> Vec<Message> {
        vec![
            msg("My order #4411 never arrived.", true),
            msg("Thanks for reaching out, happy to help! We are looking into it.", false),
            msg(
                "Still nothing.\n\nOn Mon, 3 Jun 2024 at 10:15, Support <help@example.com> wrote:\n> happy to help!",
                true,
            ),
        ]
    }

    #[test]
    fn requester_mode_reads_the_customer_only_and_cleaned() {
        let body = analysis_body("ignored", Some(&thread()), TextMode::Requester, 8000);
        assert_eq!(
            body,
            "My order #4411 never arrived.\n\n---\n\nStill nothing."
        );
    }

    #[test]
    fn first_and_all_modes() {
        let t = thread();
        assert_eq!(
            analysis_body("", Some(&t), TextMode::First, 8000),
            "My order #4411 never arrived."
        );
        let all = analysis_body("", Some(&t), TextMode::All, 8000);
        assert!(all.contains("happy to help! We are looking") && all.ends_with("Still nothing."));
    }

    #[test]
    fn a_ticket_without_customer_messages_is_read_from_its_first() {
        let t = vec![msg("Opened for the customer: disk failed", false)];
        assert_eq!(
            analysis_body("", Some(&t), TextMode::Requester, 8000),
            "Opened for the customer: disk failed"
        );
    }

    #[test]
    fn without_messages_the_description_is_cleaned() {
        let d = "It is broken.\n\nSent from my iPhone";
        assert_eq!(
            analysis_body(d, None, TextMode::Requester, 8000),
            "It is broken."
        );
    }

    #[test]
    fn html_is_preferred_over_the_plain_body() {
        let t = vec![Message {
            body: "Still down. Did a reboot help?".into(),
            html_body: Some("<p>Still down.</p><blockquote>Did a reboot help?</blockquote>".into()),
            from_customer: true,
        }];
        assert_eq!(
            analysis_body("", Some(&t), TextMode::Requester, 8000),
            "Still down."
        );
    }

    #[test]
    fn over_budget_keeps_the_first_and_the_latest() {
        let t: Vec<Message> = ["first words", "middle one", "the latest"]
            .iter()
            .map(|b| msg(b, true))
            .collect();
        let body = analysis_body("", Some(&t), TextMode::All, 30);
        assert_eq!(body, "first words\n\n---\n\nthe latest");
        assert_eq!(analysis_body("abcdef", None, TextMode::All, 3), "abc");
    }
}

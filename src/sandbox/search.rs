//! The search export's query language, as far as the sandbox understands it: terms
//! separated by spaces, all of which a ticket must meet (a leading `-` negates one).
//!
//! - `type:ticket` (the export is asked for tickets; any other type is refused);
//! - `status:open`, `status<solved`, `status>=pending` (Zendesk's order: new, open,
//!   pending, hold, solved, closed);
//! - `tags:vip` (also `tag:`);
//! - `created` and `updated` with `:`, `>`, `<`, `>=`, `<=` and a date
//!   (`2024-01-01`, the whole UTC day) or an RFC 3339 instant: `created>2024-01-01`
//!   is from the next day on, `created<2024-01-01` before that day;
//! - `group:20001` (the group's id) or `group:billing` (its tag word).
//!
//! Anything else is a 400 naming the term, so a test never passes on a term the
//! sandbox silently ignored. Deleted tickets are never found; archived ones are.

use super::data::{Dataset, Traits};

/// Zendesk's order of ticket statuses, for `<` and `>`.
const STATUS_ORDER: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];

/// A parsed query: every term must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    terms: Vec<(bool, Term)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Is,
    Less,
    LessEq,
    More,
    MoreEq,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// `type:ticket`: every ticket.
    Ticket,
    Status(Op, usize),
    Tag(String),
    /// `[from, until)` of the value given (a day, or one second).
    Created(Op, i64, i64),
    Updated(Op, i64, i64),
    Group(String),
}

impl Op {
    /// Whether `x` meets the operator against the span `[from, until)`.
    fn holds(self, x: i64, from: i64, until: i64) -> bool {
        match self {
            Op::Is => from <= x && x < until,
            Op::Less => x < from,
            Op::LessEq => x < until,
            Op::More => x >= until,
            Op::MoreEq => x >= from,
        }
    }
}

impl SearchQuery {
    /// Parses `query`; the error names the term the sandbox does not understand.
    pub fn parse(query: &str) -> Result<SearchQuery, String> {
        let terms = query
            .split_whitespace()
            .map(|raw| {
                let (negated, term) = match raw.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, raw),
                };
                parse_term(term)
                    .map(|t| (negated, t))
                    .ok_or_else(|| format!("unsupported search term {raw:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchQuery { terms })
    }

    /// Whether ticket `id` is found (deleted tickets never are).
    pub fn finds(&self, dataset: &Dataset, id: u64) -> bool {
        if dataset.is_deleted(id) {
            return false;
        }
        let Some(traits) = dataset.traits(id) else {
            return false;
        };
        self.terms
            .iter()
            .all(|(negated, term)| term_holds(term, dataset, id, &traits) != *negated)
    }
}

fn term_holds(term: &Term, dataset: &Dataset, id: u64, traits: &Traits) -> bool {
    match term {
        Term::Ticket => true,
        Term::Status(op, rank) => {
            let own = STATUS_ORDER.iter().position(|s| *s == traits.status);
            own.is_some_and(|own| op.holds(own as i64, *rank as i64, *rank as i64 + 1))
        }
        Term::Tag(tag) => traits.tags().iter().any(|t| t.eq_ignore_ascii_case(tag)),
        Term::Created(op, from, until) => op.holds(dataset.created_timestamp(id), *from, *until),
        Term::Updated(op, from, until) => dataset
            .generated_timestamp(id)
            .is_some_and(|t| op.holds(t, *from, *until)),
        Term::Group(g) => {
            let group = traits.group();
            g == &(20_000 + group as u64).to_string() || g.eq_ignore_ascii_case(group.tag())
        }
    }
}

/// One term without its `-`: `key`, an operator, a value.
fn parse_term(term: &str) -> Option<Term> {
    let at = term.find([':', '<', '>'])?;
    let (key, rest) = term.split_at(at);
    let (op, value) = [
        ("<=", Op::LessEq),
        (">=", Op::MoreEq),
        (":", Op::Is),
        ("<", Op::Less),
        (">", Op::More),
    ]
    .into_iter()
    .find_map(|(sign, op)| rest.strip_prefix(sign).map(|v| (op, v)))?;
    let value = value.trim_matches('"');
    if value.is_empty() {
        return None;
    }
    match (key.to_ascii_lowercase().as_str(), op) {
        ("type", Op::Is) if value.eq_ignore_ascii_case("ticket") => Some(Term::Ticket),
        ("status", op) => STATUS_ORDER
            .iter()
            .position(|s| s.eq_ignore_ascii_case(value))
            .map(|rank| Term::Status(op, rank)),
        ("tags" | "tag", Op::Is) => Some(Term::Tag(value.to_string())),
        ("created", op) => span(value).map(|(from, until)| Term::Created(op, from, until)),
        ("updated", op) => span(value).map(|(from, until)| Term::Updated(op, from, until)),
        ("group", Op::Is) => Some(Term::Group(value.to_string())),
        _ => None,
    }
}

/// `[from, until)` in Unix seconds: a whole UTC day for a date, one second for an
/// instant.
fn span(value: &str) -> Option<(i64, i64)> {
    let secs = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs() as i64)
    };
    if value.len() == 10 {
        let day = humantime::parse_rfc3339(&format!("{value}T00:00:00Z")).ok()?;
        let from = secs(day)?;
        return Some((from, from + 86_400));
    }
    let at = secs(humantime::parse_rfc3339_weak(value).ok()?)?;
    Some((at, at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPOCH: i64 = 1_795_860_000;

    fn found(d: &Dataset, q: &str) -> Vec<u64> {
        let q = SearchQuery::parse(q).unwrap();
        (1..=d.ticket_count())
            .filter(|&id| q.finds(d, id))
            .collect()
    }

    #[test]
    fn terms_select_by_status_tag_group_and_dates() {
        let d = Dataset::new(600, 42, EPOCH).with_archived(50);
        let all = found(&d, "type:ticket");
        assert_eq!(
            all.len() as u64,
            (1..=600).filter(|&i| !d.is_deleted(i)).count() as u64
        );
        assert!(all.contains(&1), "archived tickets are found");
        let vip_closed = found(&d, "type:ticket tags:vip status:closed");
        assert!(!vip_closed.is_empty());
        for id in &vip_closed {
            let t = d.ticket_record(*id).unwrap();
            assert!(t.tags.contains(&"vip") && t.status == "closed");
        }
        let not_vip = found(&d, "-tags:vip");
        assert_eq!(not_vip.len() + found(&d, "tags:vip").len(), all.len());
        let unsolved = found(&d, "status<solved");
        assert!(unsolved
            .iter()
            .all(|id| !matches!(d.traits(*id).unwrap().status, "solved" | "closed")));
        let billing = found(&d, "group:billing");
        assert_eq!(billing, found(&d, "group:20001"));
        // Archived tickets were created months before the rest.
        let day = |secs: i64| super::super::encode::rfc3339(secs)[..10].to_string();
        let cut = day(EPOCH - 100 * 86_400);
        let old = found(&d, &format!("created<{cut}"));
        assert!(!old.is_empty() && old.iter().all(|&id| id <= 50), "{old:?}");
        assert_eq!(
            old.len() + found(&d, &format!("created>={cut}")).len(),
            all.len()
        );
    }

    #[test]
    fn unknown_terms_are_refused_by_name() {
        for q in [
            "type:user",
            "priority:high",
            "status:weird",
            "created>yesterday",
            "tags<x",
        ] {
            let err = SearchQuery::parse(q).unwrap_err();
            assert!(err.contains(q), "{q}: {err}");
        }
    }
}

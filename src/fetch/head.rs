//! The head of an incremental export page: its cursor, whether the stream ended and
//! whether it holds tickets, read without parsing the tickets.
//!
//! The export's cursor is sequential: the next page can only be asked for once this
//! one's `after_cursor` is known, so reading it is on the export's critical path. A
//! page is ~2 MB of tickets around a few bytes of cursor. [`export_head`] walks the
//! page's top-level object structurally (strings, brackets and braces only, no
//! values built) and parses just the three members it needs with serde_json; the
//! tickets are parsed once, on the page's own task. The walk is ours because it is
//! small and specific: a full parse (even into `IgnoredAny`) validates and visits
//! every value and copies each record. Strings are skipped with `memchr` to their
//! next quote or backslash.
//!
//! Anything the walk does not recognise as a well-formed object (truncated,
//! unbalanced, not an object) is handed to serde_json instead, which gives the
//! same answer on valid JSON and its own exact error otherwise, so a truncated page
//! is still retried as bad JSON.

use std::ops::Range;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// What the listing needs of an export page before the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ExportHead {
    #[serde(default)]
    pub after_cursor: Option<String>,
    #[serde(default)]
    pub end_of_stream: bool,
    /// The page's `tickets` list is not empty.
    #[serde(default, rename = "tickets", deserialize_with = "any_records")]
    pub has_tickets: bool,
}

/// `tickets` as a list (or `null`), reduced to whether it has any.
fn any_records<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<Vec<IgnoredAny>>::deserialize(d)?.is_some_and(|v| !v.is_empty()))
}

/// The head of `body`, or serde_json's error for a body that is not a JSON object
/// of that shape.
pub fn export_head(body: &[u8]) -> Result<ExportHead, serde_json::Error> {
    match walk_head(body) {
        Some(head) => Ok(head),
        None => serde_json::from_slice(body),
    }
}

/// The head from a structural walk, or `None` where serde_json must decide.
fn walk_head(body: &[u8]) -> Option<ExportHead> {
    let mut head = ExportHead::default();
    let mut seen = [false; 3];
    for (key, value) in top_level_members(body)? {
        let value = &body[value];
        let slot = match &body[key] {
            b"after_cursor" => 0,
            b"end_of_stream" => 1,
            b"tickets" => 2,
            _ => continue,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return None; // a duplicate key: serde_json's rules apply
        }
        match slot {
            0 => head.after_cursor = serde_json::from_slice(value).ok()?,
            1 => head.end_of_stream = serde_json::from_slice(value).ok()?,
            _ => head.has_tickets = list_has_items(value)?,
        }
    }
    Some(head)
}

/// Whether a list value (or `null`) has items; `None` for any other value.
fn list_has_items(value: &[u8]) -> Option<bool> {
    match value {
        b"null" => Some(false),
        [b'[', inner @ .., b']'] => Some(!inner.iter().all(u8::is_ascii_whitespace)),
        _ => None,
    }
}

/// The key (inside its quotes) and value ranges of each member of
/// the object `body` holds, or `None` when it is not one well-formed object.
fn top_level_members(body: &[u8]) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    let mut members = Vec::new();
    let mut i = skip_ws(body, 0);
    (body.get(i) == Some(&b'{')).then_some(())?;
    i = skip_ws(body, i + 1);
    if body.get(i) == Some(&b'}') {
        return (skip_ws(body, i + 1) == body.len()).then_some(members);
    }
    loop {
        (body.get(i) == Some(&b'"')).then_some(())?;
        let key = i + 1..string_end(body, i + 1)?;
        // An escape in a key could spell a name we look for: serde_json decides.
        (!body[key.clone()].contains(&b'\\')).then_some(())?;
        i = skip_ws(body, key.end + 1);
        (body.get(i) == Some(&b':')).then_some(())?;
        let start = skip_ws(body, i + 1);
        let end = value_end(body, start)?;
        members.push((key, start..end));
        i = skip_ws(body, end);
        match body.get(i) {
            Some(b',') => i = skip_ws(body, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    (skip_ws(body, i + 1) == body.len()).then_some(members)
}

/// The index just past the value starting at `i`, or `None` if it does not end.
fn value_end(body: &[u8], i: usize) -> Option<usize> {
    match body.get(i)? {
        b'"' => string_end(body, i + 1).map(|e| e + 1),
        b'{' | b'[' => nested_end(body, i),
        _ => {
            let len = body[i..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(body.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The index just past the object or list opening at `i`.
fn nested_end(body: &[u8], mut i: usize) -> Option<usize> {
    let mut stack = Vec::with_capacity(8);
    loop {
        match *body.get(i)? {
            b'"' => i = string_end(body, i + 1)?,
            open @ (b'{' | b'[') => stack.push(open),
            b'}' => (stack.pop()? == b'{').then_some(())?,
            b']' => (stack.pop()? == b'[').then_some(())?,
            _ => {}
        }
        i += 1;
        if stack.is_empty() {
            return Some(i);
        }
    }
}

/// The index of the quote closing the string whose text starts at `i`.
fn string_end(body: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += memchr::memchr2(b'"', b'\\', body.get(i..)?)?;
        match body[i] {
            b'"' => return Some(i),
            _ => i += 2,
        }
    }
}

fn skip_ws(body: &[u8], mut i: usize) -> usize {
    while body.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> ExportHead {
        export_head(text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_the_cursor_wherever_it_is() {
        // Walked, not handed to serde_json.
        assert!(walk_head(br#"{"tickets":[{"d":"a \"b\" } \\"}],"after_cursor":"c"}"#).is_some());
        let first = r#"{"after_cursor":"abc","end_of_stream":false,"tickets":[{"id":1,"description":"a \"quoted\" {brace] \\ here"}]}"#;
        let last = r#"{ "tickets" : [ {"id":1} ] , "users":[], "end_of_stream" : true, "after_cursor" : "x\u00e9" }"#;
        assert_eq!(
            head(first),
            ExportHead {
                after_cursor: Some("abc".into()),
                end_of_stream: false,
                has_tickets: true
            }
        );
        assert_eq!(
            head(last),
            ExportHead {
                after_cursor: Some("xé".into()),
                end_of_stream: true,
                has_tickets: true
            }
        );
    }

    #[test]
    fn empty_null_and_missing_lists_have_no_tickets() {
        for text in [
            r#"{"tickets":[],"after_cursor":null}"#,
            r#"{"tickets":[ ],"end_of_stream":true}"#,
            r#"{"tickets":null}"#,
            r#"{}"#,
        ] {
            assert!(!head(text).has_tickets, "{text}");
        }
    }

    #[test]
    fn a_truncated_or_malformed_page_is_serde_jsons_error() {
        for text in [
            r#"{"tickets":[{"id":1}"#,
            r#"{"tickets":[{"id":1,"subject":"open string}]}"#,
            r#"{"tickets":[{"id":1]}}"#,
            r#"[1,2]"#,
            r#"{"after_cursor":"a"} trailing"#,
            "",
        ] {
            let walked = export_head(text.as_bytes());
            let serde = serde_json::from_slice::<ExportHead>(text.as_bytes());
            assert!(walked.is_err(), "{text}");
            assert_eq!(
                walked.unwrap_err().to_string(),
                serde.unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn the_walk_agrees_with_serde_json_on_odd_but_valid_pages() {
        for text in [
            r#"{"after_cursor":"a","after_cursor":"b"}"#,
            r#"{"end_of_stream":1}"#,
            r#"{"tickets":{"id":1}}"#,
            r#"{"nested":{"after_cursor":"inner"},"after_cursor":"outer"}"#,
            r#"{"x":"\\","after_cursor":"c\\"}"#,
            r#"{"after\u005fcursor":"escaped key"}"#,
        ] {
            let serde = serde_json::from_slice::<ExportHead>(text.as_bytes());
            let walked = export_head(text.as_bytes());
            match serde {
                Ok(h) => assert_eq!(walked.unwrap(), h, "{text}"),
                Err(e) => assert_eq!(walked.unwrap_err().to_string(), e.to_string()),
            }
        }
    }

    /// A member value: what pages hold, and what they should not.
    fn value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            (-5i64..5).prop_map(|n| n.to_string()),
            "[a-z{}\\[\\]:, ]{0,6}".prop_map(|t| format!("{t:?}")),
            Just(r#""q\"uote\\""#.to_string()),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(inner, 0..3).prop_map(|v| {
                    let members: Vec<String> =
                        v.iter().map(|x| format!("\"after_cursor\":{x}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// A page member, its value most often of the type the key takes.
    fn member() -> impl proptest::strategy::Strategy<Value = (&'static str, String)> {
        use proptest::prelude::*;
        let keys = ["tickets", "after_cursor", "end_of_stream", "users", "x"];
        (
            proptest::sample::select(keys.to_vec()),
            value(),
            any::<bool>(),
        )
            .prop_map(|(key, any_value, typed)| {
                let value = match (typed, key) {
                    (true, "tickets") if any_value.len() % 2 == 0 => "null".to_string(),
                    (true, "tickets") => format!("[{any_value}]"),
                    (true, "after_cursor") if any_value.starts_with('"') => any_value,
                    (true, "after_cursor") => "\"c1\"".to_string(),
                    (true, "end_of_stream") => (any_value.len() % 2 == 0).to_string(),
                    _ => any_value,
                };
                (key, value)
            })
    }

    proptest::proptest! {
        #[test]
        fn the_walk_and_serde_json_agree_on_any_page(
            members in proptest::collection::vec(member(), 0..5),
            cut in proptest::option::of(0usize..200),
            space in proptest::sample::select(vec!["", " ", "\n "]),
        ) {
            let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\"{space}:{space}{v}")).collect();
            let mut text = format!("{{{space}{}{space}}}", body.join(&format!(",{space}")));
            if let Some(cut) = cut.filter(|&c| c < text.len()) {
                text.truncate(cut);
            }
            let serde = serde_json::from_slice::<ExportHead>(text.as_bytes()).map_err(|e| e.to_string());
            let walked = export_head(text.as_bytes()).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(&walked, &serde, "{}", text);
            // A valid page with each key once takes the walk, not the fallback.
            let mut keys: Vec<&str> = members.iter().map(|(k, _)| *k).collect();
            keys.sort_unstable();
            keys.dedup();
            if serde.is_ok() && keys.len() == members.len() {
                proptest::prop_assert!(walk_head(text.as_bytes()).is_some(), "{}", text);
            }
        }
    }
}

//! The ticket fields only extra columns read (`via`, `satisfaction_rating`), parsed
//! leniently: a value of another shape than the API documents reads as absent, and
//! never fails the whole ticket.
//!
//! Both are objects whose members of interest are text. [`text_members`] reads
//! such an object in the one pass that parses the page, keeping the named members
//! and skipping the rest (`via.source` and its addresses), where parsing the
//! field's text a second time into the derived type took a copy of it and a second
//! parse for every ticket. A visitor of our own because serde's derive has no
//! lenient mode; what it accepts is exactly what the derived types accept (see the
//! test against them).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The members `names` of the object `d` holds, each a string or absent, when
/// every one of them is a string or `null` and appears at most once; `None` for
/// anything else (not an object, a member of another type, a member twice). A list
/// counts as the members in order, as serde's derived types count it.
pub(super) fn text_members<'de, D: Deserializer<'de>, const N: usize>(
    d: D,
    names: &'static [&'static str; N],
) -> Result<Option<[Option<String>; N]>, D::Error> {
    d.deserialize_any(Members { names })
}

struct Members<const N: usize> {
    names: &'static [&'static str; N],
}

impl<'de, const N: usize> Visitor<'de> for Members<N> {
    type Value = Option<[Option<String>; N]>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
        let mut seen = [false; N];
        let mut fits = true;
        while let Some(key) = map.next_key_seed(Key { names: self.names })? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[i], true) {
                fits = false;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            fits &= map.next_value::<Text>()?.fill(&mut values[i]);
        }
        Ok(fits.then_some(values))
    }

    /// A list gives the members in order, as the derived types take it: fewer are
    /// absent, more do not fit.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
        let mut fits = true;
        for value in &mut values {
            match seq.next_element::<Text>()? {
                None => return Ok(fits.then_some(values)),
                Some(text) => fits &= text.fill(value),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            fits = false;
        }
        Ok(fits.then_some(values))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A member's name, as its index in `names` (`None` for another name), compared
/// without copying it.
struct Key<const N: usize> {
    names: &'static [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Key<N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Key<N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.names.iter().position(|n| *n == name))
    }
}

/// A member's value: text, `null`, or something else (skipped).
enum Text {
    Some(String),
    Null,
    Other,
}

impl Text {
    /// Puts text in `slot`; whether the value fits (text or `null`).
    fn fill(self, slot: &mut Option<String>) -> bool {
        match self {
            Text::Some(text) => *slot = Some(text),
            Text::Null => {}
            Text::Other => return false,
        }
        true
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_str<E>(self, text: &str) -> Result<Text, E> {
        Ok(Text::Some(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Text, E> {
        Ok(Text::Some(text))
    }

    fn visit_unit<E>(self) -> Result<Text, E> {
        Ok(Text::Null)
    }

    fn visit_none<E>(self) -> Result<Text, E> {
        Ok(Text::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Text, E> {
        Ok(Text::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Text, E> {
        Ok(Text::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Text, E> {
        Ok(Text::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Text, E> {
        Ok(Text::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text::Other)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::model::{SatisfactionRating, Via};

    /// What the derived types make of `json` when a failure reads as absent: the
    /// behaviour [`super::text_members`] must keep.
    fn derived<T: serde::de::DeserializeOwned>(json: &str) -> Option<T> {
        serde_json::from_str::<Option<T>>(json).unwrap_or(None)
    }

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "crate::model::zendesk::via")]
        via: Option<Via>,
        #[serde(default, deserialize_with = "crate::model::zendesk::rating")]
        rating: Option<SatisfactionRating>,
    }

    #[test]
    fn reads_what_the_derived_types_read_and_nothing_else() {
        let values = [
            r#"null"#,
            r#""web""#,
            r#"3"#,
            r#"-2.5"#,
            r#"true"#,
            r#"[{"channel": "web"}]"#,
            r#"[]"#,
            r#"["web"]"#,
            r#"[null]"#,
            r#"[7]"#,
            r#"["good", "nice"]"#,
            r#"["good", null, "extra"]"#,
            r#"[["web"], "x"]"#,
            r#"{}"#,
            r#"{"channel": "web", "source": {"from": {"address": "a@b.c"}, "rel": null}}"#,
            r#"{"channel": null}"#,
            r#"{"channel": 7}"#,
            r#"{"channel": ["web"]}"#,
            r#"{"channel": {"x": 1}}"#,
            r#"{"channel": "web", "channel": "email"}"#,
            r#"{"channel": null, "channel": "email"}"#,
            r#"{"chan\u006eel": "escaped name", "other": [1, {"channel": 2}]}"#,
            r#"{"channel": "caf\u00e9 \"quoted\""}"#,
            r#"{"score": "good", "comment": "Quick, thanks!"}"#,
            r#"{"score": "bad", "comment": null, "reason": {"id": 3}}"#,
            r#"{"score": 1}"#,
            r#"{"score": "good", "comment": false}"#,
            r#"{"score": "good", "score": "bad"}"#,
        ];
        for value in values {
            let json = format!(r#"{{"via": {value}, "rating": {value}}}"#);
            let read: Holder = serde_json::from_str(&json).expect(&json);
            assert_eq!(read.via, derived::<Via>(value), "{value}");
            assert_eq!(read.rating, derived::<SatisfactionRating>(value), "{value}");
            // The same from a parsed JSON value (which keeps one of duplicate names).
            let tree: serde_json::Value = serde_json::from_str(&json).unwrap();
            let as_text = tree["via"].to_string();
            let again: Holder = serde_json::from_value(tree).expect(&json);
            assert_eq!(again.via, derived::<Via>(&as_text), "{value}");
            assert_eq!(
                again.rating,
                derived::<SatisfactionRating>(&as_text),
                "{value}"
            );
        }
    }
}

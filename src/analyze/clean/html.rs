//! HTML mail bodies (`html_body`) as plain text, in the shape plain-text mail
//! clients give a message, so the plain-text rules apply to both.
//!
//! * Block elements (`p`, `div`, `li`, `tr`, headings, `table`...) and `<br>` end a
//!   line; `p` leaves a blank line after it; `li` starts with `- `; table cells are
//!   separated by a space.
//! * Runs of whitespace collapse to one space, except inside `pre`.
//! * `style`, `script`, `head`, `title` and comments are dropped with their content;
//!   images are dropped; links keep their text, not their address.
//! * Entities are decoded: the common named ones (`&amp;` `&lt;` `&gt;` `&quot;`
//!   `&apos;` `&nbsp;` dashes, quotes, accented letters...) and numeric ones (`&#39;`
//!   `&#x27;`). An unknown entity is kept as written.
//! * Quoted replies keep their quoting: lines inside `blockquote` and inside the
//!   quote containers of Gmail (`gmail_quote`), Yahoo (`yahoo_quoted`) and Proton
//!   (`protonmail_quote`) start with `> ` (`> > ` when nested).
//! * Signature containers (`gmail_signature`, Thunderbird's `moz-signature`,
//!   Outlook's `id="Signature"`) start with the `-- ` delimiter line.

use super::scan::starts_with_ci;

/// Whether `text` is HTML rather than plain text: it opens with a tag, or holds a
/// `<br>`, `</p>` or `</div>`.
pub(super) fn looks_like_html(text: &str) -> bool {
    if !text.contains('<') {
        return false;
    }
    let t = text.trim_start().as_bytes();
    let opens_with_tag = t.first() == Some(&b'<')
        && t.get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'!');
    opens_with_tag
        || ["<br>", "<br/>", "<br />", "</p>", "</div>"]
            .iter()
            .any(|tag| text.contains(tag))
}

/// The text of an HTML message, quoted parts prefixed with `> `.
pub fn html_to_text(html: &str) -> String {
    let mut writer = TextWriter {
        out: String::with_capacity(html.len() / 2),
        ..TextWriter::default()
    };
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        i += match rest.as_bytes()[0] {
            b'<' => markup(rest, &mut writer),
            b'&' => entity(rest, &mut writer),
            _ => {
                let len = rest.find(['<', '&']).unwrap_or(rest.len());
                writer.text(&rest[..len]);
                len
            }
        };
    }
    writer.finish()
}

/// Elements dropped with everything inside them.
const SKIPPED_ELEMENTS: &[&str] = &["style", "script", "head", "title", "noscript", "template"];
/// Elements that end a line before and after them.
const BLOCK_ELEMENTS: &[&str] = &[
    "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section",
    "article", "header", "footer", "address", "dl", "dt", "dd", "center", "form", "figure", "main",
    "nav", "aside",
];

/// Handles the markup at the start of `rest` (a tag, comment or declaration) and
/// returns its length in bytes. A `<` that opens no tag is text.
fn markup(rest: &str, w: &mut TextWriter) -> usize {
    if rest.starts_with("<!--") {
        return rest.find("-->").map_or(rest.len(), |end| end + 3);
    }
    let b = rest.as_bytes();
    let closing = b.get(1) == Some(&b'/');
    let name_start = usize::from(closing) + 1;
    if matches!(b.get(1), Some(b'!' | b'?')) {
        return rest.find('>').map_or(rest.len(), |end| end + 1);
    }
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        w.text("<");
        return 1;
    }
    let name_len = b[name_start..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'-'))
        .count();
    let name = &rest[name_start..name_start + name_len];
    let tag_end = tag_end(rest, name_start + name_len);
    let attributes_end = if b.get(tag_end.wrapping_sub(1)) == Some(&b'>') {
        tag_end - 1
    } else {
        tag_end
    };
    let attributes = &rest[name_start + name_len..attributes_end.max(name_start + name_len)];
    if !closing
        && SKIPPED_ELEMENTS
            .iter()
            .any(|s| name.eq_ignore_ascii_case(s))
    {
        return tag_end + skip_element(&rest[tag_end..], name);
    }
    element(name, closing, attributes, w);
    tag_end
}

/// The byte after the `>` closing a tag, skipping `>` inside quoted attribute values.
fn tag_end(rest: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, b) in rest.bytes().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    rest.len()
}

/// The length of an element's content and its closing tag.
fn skip_element(after_open: &str, name: &str) -> usize {
    let mut i = 0;
    while let Some(lt) = after_open[i..].find("</") {
        let at = i + lt;
        let candidate = &after_open[at + 2..];
        let name_follows = starts_with_ci(candidate, name)
            && !candidate
                .as_bytes()
                .get(name.len())
                .is_some_and(u8::is_ascii_alphanumeric);
        if name_follows {
            return after_open[at..]
                .find('>')
                .map_or(after_open.len(), |e| at + e + 1);
        }
        i = at + 2;
    }
    after_open.len()
}

/// Applies the effect of one opening or closing tag.
fn element(name: &str, closing: bool, attributes: &str, w: &mut TextWriter) {
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("br") {
        w.hard_break();
    } else if is("p") {
        w.paragraph();
    } else if is("blockquote") {
        w.line_break();
        if closing {
            w.quote_depth = w.quote_depth.saturating_sub(1);
        } else {
            w.quote_depth += 1;
        }
    } else if is("div") {
        w.div(closing, attributes);
    } else if is("li") {
        w.line_break();
        if !closing {
            w.raw("- ");
        }
    } else if is("td") || is("th") {
        w.pending_space |= !closing;
    } else if is("pre") {
        w.line_break();
        w.pre = if closing {
            w.pre.saturating_sub(1)
        } else {
            w.pre + 1
        };
    } else if BLOCK_ELEMENTS.iter().any(|b| is(b)) {
        w.line_break();
    }
}

/// Decodes the entity at the start of `rest` into `w`; returns its length.
fn entity(rest: &str, w: &mut TextWriter) -> usize {
    let body_len = rest[1..]
        .bytes()
        .take(10)
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    let body = &rest[1..1 + body_len];
    let decoded = if rest.as_bytes().get(1 + body_len) == Some(&b';') {
        decode_entity(body)
    } else {
        None
    };
    match decoded {
        Some(c) if c.is_whitespace() => {
            w.pending_space = true;
            body_len + 2
        }
        Some(c) => {
            let mut buf = [0u8; 4];
            w.text(c.encode_utf8(&mut buf));
            body_len + 2
        }
        None => {
            w.text("&");
            1
        }
    }
}

/// Named entities a mail body uses in practice.
const NAMED_ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("ensp", ' '),
    ("emsp", ' '),
    ("thinsp", ' '),
    ("ndash", '–'),
    ("mdash", '—'),
    ("hellip", '…'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("bull", '•'),
    ("middot", '·'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("deg", '°'),
    ("times", '×'),
    ("shy", '\u{ad}'),
    ("auml", 'ä'),
    ("ouml", 'ö'),
    ("uuml", 'ü'),
    ("Auml", 'Ä'),
    ("Ouml", 'Ö'),
    ("Uuml", 'Ü'),
    ("szlig", 'ß'),
    ("eacute", 'é'),
    ("egrave", 'è'),
    ("ecirc", 'ê'),
    ("euml", 'ë'),
    ("Eacute", 'É'),
    ("agrave", 'à'),
    ("aacute", 'á'),
    ("acirc", 'â'),
    ("atilde", 'ã'),
    ("Agrave", 'À'),
    ("ccedil", 'ç'),
    ("Ccedil", 'Ç'),
    ("iacute", 'í'),
    ("icirc", 'î'),
    ("iuml", 'ï'),
    ("oacute", 'ó'),
    ("ocirc", 'ô'),
    ("otilde", 'õ'),
    ("uacute", 'ú'),
    ("ugrave", 'ù'),
    ("ucirc", 'û'),
    ("ntilde", 'ñ'),
    ("Ntilde", 'Ñ'),
    ("iexcl", '¡'),
    ("iquest", '¿'),
    ("ordf", 'ª'),
    ("ordm", 'º'),
];

fn decode_entity(body: &str) -> Option<char> {
    if let Some(number) = body.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    NAMED_ENTITIES
        .iter()
        .find(|(name, _)| *name == body)
        .map(|(_, c)| *c)
}

/// What a `div` opened, so its closing tag can undo it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DivKind {
    Plain,
    Quote,
}

const QUOTE_CLASSES: &[&str] = &["gmail_quote", "yahoo_quoted", "protonmail_quote"];
const SIGNATURE_MARKS: &[&str] = &[
    "gmail_signature",
    "moz-signature",
    "id=\"Signature\"",
    "id=\"signature\"",
    "protonmail_signature_block",
];

/// Builds the plain text: line breaks that do not pile up, collapsed whitespace
/// and `> ` before each line inside a quote.
#[derive(Default)]
struct TextWriter {
    out: String,
    quote_depth: usize,
    pre: usize,
    pending_space: bool,
    line_has_text: bool,
    divs: Vec<DivKind>,
}

impl TextWriter {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.pre > 0 && c == '\n' {
                self.hard_break();
            } else if self.pre == 0 && c.is_whitespace() {
                self.pending_space = true;
            } else {
                self.push_char(c);
            }
        }
    }

    fn push_char(&mut self, c: char) {
        if !self.line_has_text {
            for _ in 0..self.quote_depth {
                self.out.push_str("> ");
            }
            self.line_has_text = true;
        } else if self.pending_space && !self.out.ends_with(' ') {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }

    /// Text written as is (a list bullet), starting a line if needed.
    fn raw(&mut self, s: &str) {
        for c in s.chars() {
            self.push_char(c);
        }
    }

    /// Ends the current line if it has text.
    fn line_break(&mut self) {
        if self.line_has_text {
            self.out.push('\n');
            self.line_has_text = false;
        }
        self.pending_space = false;
    }

    /// `<br>`: ends the line, and leaves a blank line when the line was empty (at
    /// most one blank line in a row).
    fn hard_break(&mut self) {
        if self.line_has_text || !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.line_has_text = false;
        self.pending_space = false;
    }

    fn paragraph(&mut self) {
        self.line_break();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn div(&mut self, closing: bool, attributes: &str) {
        self.line_break();
        if closing {
            if self.divs.pop() == Some(DivKind::Quote) {
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            return;
        }
        let kind = if QUOTE_CLASSES.iter().any(|c| attributes.contains(c)) {
            self.quote_depth += 1;
            DivKind::Quote
        } else {
            DivKind::Plain
        };
        if SIGNATURE_MARKS.iter().any(|m| attributes.contains(m)) {
            self.raw("-- ");
            self.line_break();
        }
        self.divs.push(kind);
    }

    fn finish(self) -> String {
        let mut out = self.out;
        out.truncate(out.trim_end().len());
        let leading = out.len() - out.trim_start_matches('\n').len();
        out.drain(..leading);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_breaks_and_entities() {
        let html = "<html><head><style>p{color:red}</style><title>x</title></head><body>\
            <p>Hi&nbsp;team,</p><p>the fan&#39;s noise is back &amp; the <b>BIOS</b> says &#x27;FAN1 &lt; 300&#x27;.</p>\
            <div>Line one<br>Line two</div><div><br></div><ul><li>first</li><li>second</li></ul>\
            <!-- a comment --><script>alert(1)</script><p>&foo; &#0; done</p></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hi team,\n\nthe fan's noise is back & the BIOS says 'FAN1 < 300'.\n\nLine one\nLine two\n\n- first\n- second\n\n&foo; &#0; done"
        );
    }

    #[test]
    fn quotes_and_signatures_keep_their_marks() {
        let html = "<div dir=\"ltr\">Still broken.<div><br></div><div class=\"gmail_signature\">Jane</div></div>\
            <div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon wrote:</div>\
            <blockquote class=\"gmail_quote\">Did it work?</blockquote></div><p>after</p>";
        assert_eq!(
            html_to_text(html),
            "Still broken.\n\n-- \nJane\n> On Mon wrote:\n> > Did it work?\n\nafter"
        );
    }

    #[test]
    fn html_is_recognized() {
        assert!(looks_like_html("  <div>hi</div>"));
        assert!(looks_like_html("hi<br>there"));
        assert!(!looks_like_html("if temp < 80 and fan > 300 rpm"));
    }
}

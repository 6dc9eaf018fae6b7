//! Message cleaning: the customer's newest words out of an e-mail, web-form or chat
//! message, before an analyzer (built-in or LLM) reads them.
//!
//! A support message carries much that the customer did not just write: the quoted
//! thread, headers of forwarded mail, signatures, legal disclaimers, HTML markup and
//! pasted machine output. Scored as they are, an agent's "happy to help!" in the
//! quote makes a complaint positive and a disclaimer's "prohibited" makes a question
//! negative. [`clean_message`] removes them; what it collapses instead of removing
//! (URLs, e-mail addresses, logs) is counted in [`Markers`], because a pasted stack
//! trace still says something about the ticket.
//!
//! # Rules, in the order they apply
//!
//! **HTML** ([`html_to_text`], used when the message looks like HTML: it opens with
//! a tag or holds `<br>`, `</p>` or `</div>`). Block elements end lines, `<br>`
//! breaks, entities are decoded (`&amp;` → `&`, `&nbsp;` → space, `&#39;` and
//! `&#x27;` → `'`), `<style>`, `<script>` and `<head>` are dropped, and quoted parts
//! (`<blockquote>`, Gmail's `gmail_quote` div) come out as `> ` lines, so the
//! quoting rules below remove them. `<p>Still down.</p><blockquote>Did a reboot
//! help?</blockquote>` → `Still down.`.
//!
//! **Quoted replies** ([`quotes`]): every line starting with `>` is dropped, wherever
//! it is, so an inline reply keeps the answers between the quotes (`> Which
//! slot?` / `Slot 3.` → `Slot 3.`). `>50%` and `>= 2` are comparisons, not quotes.
//!
//! **Attribution lines** end the message, unless `>` lines follow them (then only
//! the line goes): "On Mon, 3 Jun 2024 at 10:15, Example Support
//! <help@example.com> wrote:" (also wrapped over up to three lines), "Am 03.06.2024
//! um 10:15 schrieb Example Support <help@example.com>:", "Le lun. 3 juin 2024 à
//! 10:15, ... a écrit :", "El lun, 3 jun 2024 a las 10:15, ... escribió:", "Op ma 3
//! jun. 2024 om 10:15 schreef ...:", "Em seg., 3 de jun. de 2024 às 10:15, ...
//! escreveu:", "Il giorno ... ha scritto:", and "Name <mail> wrote:". The line must
//! name a sender (a date or an `@`), so "On Monday the drive failed again" stays.
//!
//! **Reply and forward boundaries** end the message:
//! * separators `-----Original Message-----`, `-----Ursprüngliche Nachricht-----`,
//!   `-----Message d'origine-----`, `-----Mensaje original-----`, `-----Oorspronkelijk
//!   bericht-----`, `-----Mensagem original-----`, Thunderbird's `-------- Original
//!   Message --------` and Gmail's `---------- Forwarded message ---------` (and
//!   their translations);
//! * "Begin forwarded message:" (Apple Mail) and its translations ("Anfang der
//!   weitergeleiteten Nachricht:", "Début du message réexpédié :", "Inicio del
//!   mensaje reenviado:", "Begin doorgestuurd bericht:", "Início da mensagem
//!   reencaminhada:");
//! * a header block: a `From:` line with a `Sent:`/`Date:` and a `To:`/`Subject:`
//!   line among the next six, in any of the languages (`Von/Gesendet/An/Betreff`,
//!   `De/Envoyé/À/Objet`, `De/Enviado/Para/Asunto`, `Van/Verzonden/Aan/Onderwerp`,
//!   `De/Enviada/Para/Assunto`, `Da/Inviato/A/Oggetto`), bold (`*From:*`) or not;
//!   Outlook's `____` line above it goes too. "From: Berlin office / To: Munich
//!   office" without a date line stays;
//! * Zendesk's `##- Please type your reply above this line -##` and other "reply
//!   above this line" markers.
//!
//! **Notices** ([`notices`]): an external-sender banner ("CAUTION: This email
//! originated from outside of the organization...") is dropped with its paragraph.
//! A confidentiality disclaimer ends the message: a heading ("CONFIDENTIALITY
//! NOTICE", "Disclaimer:", "Please consider the environment before printing") or an
//! opening ("This e-mail and any attachments...", "Diese E-Mail enthält...", "Ce
//! message et ses pièces jointes...", "Este mensaje...", "Dit e-mailbericht...",
//! "Esta mensagem...") whose paragraph speaks of confidentiality or the intended
//! recipient.
//!
//! **Chat system lines**: "Chat started: ...", "(10:15:02 AM) *** Alex joined the
//! chat ***" are dropped; the speakers' lines stay.
//!
//! **Signatures** ([`signature`]): the message ends at a `-- ` delimiter line or a
//! device signature ("Sent from my iPhone", "Get Outlook for Android", "Von meinem
//! iPhone gesendet", "Envoyé de mon iPhone", "Enviado desde mi iPhone", "Verzonden
//! vanaf mijn iPhone", "Enviado do meu iPhone", "Inviato da iPhone"). Then a closing
//! ("Best regards,", "Thanks,", "Cheers, Tom", "Mit freundlichen Grüßen",
//! "Cordialement", "Saludos", "Met vriendelijke groet", "Atenciosamente", "Cordiali
//! saluti"...) on its own line near the end goes with the block below it when that
//! block is at most ten short lines that read like a name, title, company, phone or
//! address. A closing at the very start ("Thanks,\nthe drive arrived"), inside a
//! sentence ("Thanks, it works now"), or above a sentence stays; a "P.S." after the
//! signature is kept. Last, a name alone on the last line after a blank line
//! ("...another apology.\n\nJason") goes; "URGENT" there stays.
//!
//! **Separator lines** (`____`, `----`, `====`) and blank lines left at the end are
//! dropped.
//!
//! **Collapsing** ([`collapse`], [`logs`]): runs of three or more lines of machine
//! output (log lines with a time stamp or level, stack frames, trace headings, hex
//! dumps, tool tables such as nvidia-smi, smartctl or ipmitool, logfmt and JSON
//! lines) become one `[log]` line, and so does a fenced ```` ``` ```` block; a
//! Python traceback's indented source lines belong to the run. Chat lines with a
//! time stamp (`(10:15:02 AM) Jane Doe: hi`) are not logs. URLs longer than 40
//! bytes become `[url]` (`https://status.example.com` stays) and e-mail addresses
//! `[email]`, with the `<...>` or `mailto:` around them.
//!
//! **Layout**: trailing whitespace is removed, runs of blank lines become one blank
//! line, and leading and trailing blank lines go. Nothing else is rewritten: case,
//! punctuation, emoji and the customer's line breaks stay for the analyzer. A
//! message with nothing of the customer's left (a bare "Sent from my iPhone" over a
//! quote) cleans to the empty string.
//!
//! # Why hand-rolled
//!
//! The cleaner runs on every ticket ahead of the built-in analyzer, which handles
//! more than 20,000 tickets a second on one core, so it has a budget of a few
//! microseconds per message. The rules are line-shaped (a prefix, a suffix, a word
//! list, a look at the next few lines), which a single scan over the lines answers
//! with ASCII case-insensitive byte comparisons and no allocation beyond one vector
//! of line slices and the output string. A regex engine would be a new dependency
//! and slower to start per message for no rule it could express better; the code is
//! small, ours, and every rule has a test.

mod collapse;
mod html;
mod logs;
mod notices;
mod quotes;
mod scan;
mod signature;
#[cfg(test)]
mod tests;

pub use html::html_to_text;

/// What was collapsed to a marker in a cleaned message. These still count as
/// technical signals (a pasted stack trace, links to a portal), though their text
/// is gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Markers {
    /// Long URLs replaced by `[url]`.
    pub urls: u32,
    /// E-mail addresses replaced by `[email]`.
    pub emails: u32,
    /// Blocks of machine output (logs, stack traces, tool output, fenced code)
    /// replaced by `[log]`.
    pub log_blocks: u32,
    /// Lines inside those blocks.
    pub log_lines: u32,
}

impl Markers {
    /// Whether anything was collapsed.
    pub fn is_empty(&self) -> bool {
        *self == Markers::default()
    }
}

/// A message with only the customer's newest words left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub text: String,
    pub markers: Markers,
}

/// Cleans one message (plain text, or HTML when it looks like HTML); see the
/// module documentation for the rules.
pub fn clean_message(text: &str) -> Cleaned {
    if html::looks_like_html(text) {
        clean_plain_text(&html_to_text(text))
    } else {
        clean_plain_text(text)
    }
}

fn clean_plain_text(text: &str) -> Cleaned {
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    quotes::strip_replies(&mut lines);
    drop_trailing_rules(&mut lines);
    signature::strip_signature(&mut lines);
    drop_trailing_rules(&mut lines);
    collapse::render(&lines, text.len())
}

/// Drops blank lines and separator lines (`____`, `----`, `====`) at the end.
fn drop_trailing_rules(lines: &mut Vec<&str>) {
    while lines.last().is_some_and(|l| {
        l.trim()
            .bytes()
            .all(|b| matches!(b, b'-' | b'_' | b'=' | b'*' | b'~'))
    }) {
        lines.pop();
    }
}

//! What went wrong with a request, in terms both clients share: the kind of
//! transport failure, the failures another attempt may cure ([`Transient`]), and
//! reqwest's error chain as a message that names no secret ([`describe`]).

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use super::url::redacted;

/// How the exchange with the server broke down, below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No complete answer within the timeout.
    Timeout,
    /// No connection could be made (refused, DNS).
    Connect,
    /// The TLS handshake failed: a certificate not trusted or not valid for the
    /// host, or no protocol in common. Another attempt meets the same certificate.
    Tls,
    /// The connection dropped after the request went out, before a response.
    Dropped,
    /// The response body broke off (or could not be decompressed) part-way.
    CutOff,
    /// Anything else reqwest reports (a redirect loop, a request it cannot build):
    /// not something a second attempt changes.
    Other,
}

impl TransportKind {
    pub fn of(e: &reqwest::Error) -> Self {
        if tls_cause(e).is_some() {
            TransportKind::Tls
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_request() {
            TransportKind::Dropped
        } else if e.is_body() || e.is_decode() {
            TransportKind::CutOff
        } else {
            TransportKind::Other
        }
    }

    /// Whether another attempt may go through.
    pub fn is_transient(self) -> bool {
        !matches!(self, TransportKind::Other | TransportKind::Tls)
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Timeout => "timed out",
            TransportKind::Connect => "connection failed",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::Dropped => "connection dropped",
            TransportKind::CutOff => "body cut off",
            TransportKind::Other => "request failed",
        })
    }
}

/// A failed attempt that a later one may not repeat.
#[derive(Debug, Clone, PartialEq)]
pub enum Transient {
    /// An HTTP status worth retrying (429, 5xx...), with the wait the server asked
    /// for, if any, and what it said.
    Status {
        status: StatusCode,
        wait: Option<Duration>,
        message: String,
    },
    /// The exchange broke down below HTTP.
    Transport { kind: TransportKind, detail: String },
    /// A success whose JSON body ends early or does not parse: a body cut off
    /// on the way, usually.
    BadJson { bytes: usize, detail: String },
}

impl Transient {
    /// The failure behind a reqwest error. `scrub` cleans the text further (say, of
    /// an API key); the URL in it is already [`redacted`]. A TLS failure is told by
    /// rustls's own words ("invalid peer certificate: UnknownIssuer"), without the
    /// layers of reqwest and hyper around them.
    pub fn transport(e: &reqwest::Error, scrub: impl Fn(&str) -> String) -> Self {
        Transient::Transport {
            kind: TransportKind::of(e),
            detail: match tls_cause(e) {
                Some(tls) => tls.to_string(),
                None => scrub(&describe(e)),
            },
        }
    }

    /// The wait the server asked for, which replaces the backoff delay.
    pub fn wait(&self) -> Option<Duration> {
        match self {
            Transient::Status { wait, .. } => *wait,
            _ => None,
        }
    }
}

impl fmt::Display for Transient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transient::Status {
                status,
                wait,
                message,
            } => {
                write!(f, "HTTP {}", status.as_u16())?;
                if let Some(reason) = status.canonical_reason() {
                    write!(f, " {reason}")?;
                }
                if let Some(wait) = wait {
                    write!(f, " (waiting {}s)", wait.as_secs_f64())?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Transient::Transport { kind, detail } => write!(f, "{kind}: {detail}"),
            Transient::BadJson { bytes, detail } => {
                write!(f, "truncated or invalid JSON ({bytes} bytes): {detail}")
            }
        }
    }
}

/// The rustls error behind a reqwest error, when the TLS handshake is what failed.
fn tls_cause(e: &reqwest::Error) -> Option<&rustls::Error> {
    rustls_in(e.source())
}

/// The first rustls error in a chain of causes. rustls's error reaches the connector
/// inside `io::Error`s (tokio-rustls wraps it, hyper-rustls wraps that), whose
/// `source()` skips what they wrap, so each one is also looked into.
fn rustls_in<'a>(
    mut cause: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a rustls::Error> {
    while let Some(c) = cause {
        if let Some(tls) = c.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let wrapped = c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref());
        if let Some(tls) = wrapped.and_then(|inner| rustls_in(Some(inner))) {
            return Some(tls);
        }
        cause = c.source();
    }
    None
}

/// The one line a failed TLS handshake with `host` becomes: what rustls said, and
/// the setting (`key`, or `SSL_CERT_FILE`) that makes a private CA trusted.
pub fn tls_advice(host: &str, detail: &str, key: &str) -> String {
    format!(
        "TLS handshake with {host} failed ({detail}): if a TLS-inspecting proxy or a \
         private CA signs its certificate, set {key} (or SSL_CERT_FILE) to that CA's PEM file"
    )
}

/// reqwest's message with its causes (its own text is often just "error sending
/// request"; the cause, "connection refused", is what an operator needs), and the
/// URL in it [`redacted`]: no user info, no query string.
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    match e.url() {
        Some(url) => text.replace(url.as_str(), &redacted(url)),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port nobody listens on: bound, then let go.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    }

    #[tokio::test]
    async fn describe_hides_user_info_and_query_secrets() {
        let port = closed_port();
        let e = reqwest::Client::new()
            .get(format!(
                "http://agent:hunter2@127.0.0.1:{port}/api/v2/x.json?token=sk-secret&a=1"
            ))
            .send()
            .await
            .expect_err("nobody listens there");
        let text = describe(&e);
        assert!(
            !text.contains("hunter2") && !text.contains("agent"),
            "{text}"
        );
        assert!(
            !text.contains("sk-secret") && !text.contains("token="),
            "{text}"
        );
        assert!(
            text.contains(&format!("127.0.0.1:{port}/api/v2/x.json")),
            "{text}"
        );
        assert!(text.contains(": "), "the causes follow: {text}");
        assert_eq!(TransportKind::of(&e), TransportKind::Connect);
        let transient = Transient::transport(&e, |t| t.replace("x.json", "[x]"));
        assert!(transient.to_string().starts_with("connection failed: "));
        assert!(transient.to_string().contains("[x]"));
    }

    #[test]
    fn statuses_read_like_http() {
        let limited = Transient::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            wait: Some(Duration::from_secs(3)),
            message: String::new(),
        };
        assert_eq!(
            limited.to_string(),
            "HTTP 429 Too Many Requests (waiting 3s)"
        );
        assert_eq!(limited.wait(), Some(Duration::from_secs(3)));
        let overloaded = Transient::Status {
            status: StatusCode::from_u16(529).unwrap(),
            wait: None,
            message: "Overloaded".into(),
        };
        assert_eq!(overloaded.to_string(), "HTTP 529: Overloaded");
    }
}

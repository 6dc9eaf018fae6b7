//! Base URLs and the URLs built under them, and how a URL may appear in a message.
//!
//! Both clients talk to one configured root (`https://acme.zendesk.com`, a proxy with
//! a path prefix, `http://localhost:11434`) and build every request URL under it with
//! [`BaseUrl::endpoint`]; query strings are added with `Url::query_pairs_mut`, which
//! percent-encodes them. A URL shown to a human goes through [`redacted`] first.

use std::fmt;

use reqwest::Url;

/// `url::ParseError`, named through reqwest (which re-exports `Url` but not its error).
type ParseError = <Url as std::str::FromStr>::Err;

/// Why a base URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("not a URL ({0})")]
    Parse(ParseError),
    #[error("the scheme must be http or https")]
    Scheme,
}

/// An http(s) root that request paths are appended to: scheme, user info, host,
/// port and an optional path prefix, without query, fragment or trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
    /// The path prefix without its trailing slash; empty for a bare host.
    prefix: String,
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<Self, BaseUrlError> {
        let mut url = Url::parse(text.trim()).map_err(BaseUrlError::Parse)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(BaseUrlError::Scheme);
        }
        url.set_query(None);
        url.set_fragment(None);
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&prefix);
        Ok(BaseUrl { url, prefix })
    }

    /// The same root with `suffix` (say `/v1`) taken off the end of its path, for users
    /// who copy a provider's documented URL including the API version.
    pub fn without_path_suffix(mut self, suffix: &str) -> Self {
        if let Some(shorter) = self.prefix.strip_suffix(suffix) {
            self.prefix = shorter.to_string();
            self.url.set_path(&self.prefix);
        }
        self
    }

    /// `path` (relative, already percent-encoded where needed) under the root.
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(&format!("{}/{}", self.prefix, path.trim_start_matches('/')));
        url
    }

    /// Whether `url` lies under this root: same scheme, host and port, and a path
    /// inside the prefix.
    pub fn contains(&self, url: &Url) -> bool {
        url.origin() == self.url.origin()
            && url
                .path()
                .strip_prefix(&self.prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The root itself, to resolve relative references against.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// `host` or `host:port`, never the user info: what messages call the server.
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

/// Without the trailing slash `Url` would add to a bare host, and without user info.
impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(redacted(&self.url).trim_end_matches('/'))
    }
}

/// `scheme://host:port/path` of `url`: no user info, query or fragment, where a
/// password, an API key or a token could hide.
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    // Both fail only for URLs that cannot carry credentials in the first place.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_prefix_and_encode_queries() {
        let base = BaseUrl::parse("https://proxy.example/zendesk/").unwrap();
        let mut url = base.endpoint("api/v2/views.json");
        url.query_pairs_mut()
            .append_pair("page[size]", "100")
            .append_pair("cursor", "a b/c+d=");
        assert_eq!(
            url.as_str(),
            "https://proxy.example/zendesk/api/v2/views.json?page%5Bsize%5D=100&cursor=a+b%2Fc%2Bd%3D"
        );
        let bare = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            bare.endpoint("/v1/messages").as_str(),
            "http://127.0.0.1:8080/v1/messages"
        );
        assert_eq!(bare.to_string(), "http://127.0.0.1:8080");
    }

    #[test]
    fn only_http_roots_are_accepted() {
        assert_eq!(BaseUrl::parse("ftp://x"), Err(BaseUrlError::Scheme));
        assert!(matches!(
            BaseUrl::parse("acme.zendesk.com"),
            Err(BaseUrlError::Parse(_))
        ));
    }

    #[test]
    fn a_version_suffix_comes_off() {
        let base = BaseUrl::parse("http://localhost:11434/v1/")
            .unwrap()
            .without_path_suffix("/v1");
        assert_eq!(
            base.endpoint("v1/chat/completions").as_str(),
            "http://localhost:11434/v1/chat/completions"
        );
    }

    #[test]
    fn containment_is_by_origin_and_prefix() {
        let base = BaseUrl::parse("https://proxy.example/zd").unwrap();
        let inside = Url::parse("https://proxy.example/zd/api/v2/x?y=1").unwrap();
        let beside = Url::parse("https://proxy.example/zdx/api/v2/x").unwrap();
        let elsewhere = Url::parse("https://acme.zendesk.com/zd/api/v2/x").unwrap();
        assert!(base.contains(&inside));
        assert!(!base.contains(&beside));
        assert!(!base.contains(&elsewhere));
    }

    #[test]
    fn shown_urls_carry_no_credentials() {
        let url =
            Url::parse("https://user:hunter2@host.example:8443/v1/x?key=sk-123#frag").unwrap();
        assert_eq!(redacted(&url), "https://host.example:8443/v1/x");
        let base = BaseUrl::parse("https://user:hunter2@host.example").unwrap();
        assert_eq!(base.host(), "host.example");
        assert_eq!(base.to_string(), "https://host.example");
    }
}

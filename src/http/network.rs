//! How both clients reach the network: which certificate authorities they trust and
//! which proxy https requests go through.
//!
//! Trust is the union of reqwest's bundled web PKI roots, the platform's certificate
//! store (`rustls-native-certs`: the distribution's bundle on Linux, the keychain on
//! macOS, the system store on Windows), the stage's `ca_file` and `SSL_CERT_FILE`.
//! The two files are read when the client is built; one that is missing, holds no
//! certificate or a broken one is a [`NetworkError`] naming the key or variable and
//! the file.
//!
//! Proxies come from `HTTPS_PROXY` and `NO_PROXY` (read in `config/env.rs`), never
//! from reqwest's own lookup. An https request through the proxy is a `CONNECT`
//! tunnel: the proxy sees the host and port, and the credentials travel inside TLS.
//! Plain http, which validation allows only for loopback hosts (the sandbox, a local
//! model server), never goes through a proxy, so `HTTP_PROXY` is not used: through
//! a proxy, a plain-http request's credentials would be readable by the proxy.

use std::path::{Path, PathBuf};

use reqwest::Url;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::url::redacted;
use crate::config::{Env, Secret};

/// A PEM bundle of certificate authorities to trust, and what named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    /// `[fetch] ca_file`, `SSL_CERT_FILE`...: what an error names.
    pub named_by: String,
    pub path: PathBuf,
}

/// The network side of one client: extra trust and the proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    pub ca_files: Vec<CaFile>,
    /// `HTTPS_PROXY`, as given: it may carry the proxy's password.
    pub https_proxy: Option<Secret>,
    /// `NO_PROXY`, as given.
    pub no_proxy: Option<String>,
}

/// Why a client's network setup is unusable.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("{named_by}: cannot read {path}: {error}")]
    CaUnreadable {
        named_by: String,
        path: String,
        error: std::io::Error,
    },
    #[error("{named_by}: {path} {problem}")]
    CaInvalid {
        named_by: String,
        path: String,
        problem: String,
    },
    #[error("HTTPS_PROXY: {0}")]
    Proxy(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl NetworkError {
    /// Whether the user must fix a setting (exit 2): everything but a client reqwest
    /// cannot build for its own reasons.
    pub fn is_config(&self) -> bool {
        !matches!(self, NetworkError::Client(_))
    }
}

impl Network {
    /// The environment's part (`SSL_CERT_FILE`, `HTTPS_PROXY`, `NO_PROXY`) plus the
    /// stage's own `ca_file`, named by `key` (`[fetch] ca_file`).
    pub fn new(key: &str, ca_file: Option<&Path>, env: &Env) -> Self {
        let named = |named_by: &str, path: &Path| CaFile {
            named_by: named_by.to_string(),
            path: path.to_path_buf(),
        };
        let ca_files = [
            ca_file.map(|p| named(key, p)),
            env.ssl_cert_file
                .as_deref()
                .map(|p| named("SSL_CERT_FILE", p)),
        ];
        Network {
            ca_files: ca_files.into_iter().flatten().collect(),
            https_proxy: env.https_proxy.clone(),
            no_proxy: env.no_proxy.clone(),
        }
    }

    /// A client builder that trusts these CAs (on top of the built-in and platform
    /// roots, which a caller that never speaks TLS may turn off) and uses this proxy;
    /// the caller adds timeouts and headers.
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder, NetworkError> {
        // `no_proxy()` turns off reqwest's reading of the proxy variables: the
        // environment is read in one place, and HTTP_PROXY must not apply.
        let mut builder = reqwest::Client::builder().no_proxy();
        for file in &self.ca_files {
            for der in file.certificates()? {
                let cert = reqwest::Certificate::from_der(&der)
                    .map_err(|e| NetworkError::Client(super::describe(&e)))?;
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(proxy) = self.proxy()? {
            builder = builder.proxy(proxy);
        }
        Ok(builder)
    }

    /// The proxy for https URLs, except those `NO_PROXY` covers.
    fn proxy(&self) -> Result<Option<reqwest::Proxy>, NetworkError> {
        // Unwrapped only to hand the URL (and any proxy password in it) to reqwest.
        let Some(given) = self.https_proxy.as_ref().map(|p| p.expose().trim()) else {
            return Ok(None);
        };
        // `proxy.corp:3128` means http://, as curl reads it.
        let text = if given.contains("://") {
            given.to_string()
        } else {
            format!("http://{given}")
        };
        // The value may hold the proxy's password: messages show it redacted or not at all.
        let url = Url::parse(&text).map_err(|e| {
            NetworkError::Proxy(format!("not a proxy URL ({e}); use http://host:port"))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(NetworkError::Proxy(format!(
                "{} is not supported; use an http:// or https:// proxy (http://host:port)",
                redacted(&url)
            )));
        }
        let proxy = reqwest::Proxy::https(url.as_str())
            .map_err(|e| NetworkError::Proxy(super::describe(&e)))?
            .no_proxy(
                self.no_proxy
                    .as_deref()
                    .and_then(reqwest::NoProxy::from_string),
            );
        tracing::debug!(proxy = %redacted(&url), no_proxy = ?self.no_proxy, "https requests go through a proxy");
        Ok(Some(proxy))
    }
}

impl CaFile {
    /// The certificates in the file, each checked to be one rustls can trust.
    fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, NetworkError> {
        let path = self.path.display().to_string();
        let invalid = |problem: String| NetworkError::CaInvalid {
            named_by: self.named_by.clone(),
            path: path.clone(),
            problem,
        };
        let bytes = std::fs::read(&self.path).map_err(|error| NetworkError::CaUnreadable {
            named_by: self.named_by.clone(),
            path: path.clone(),
            error,
        })?;
        let certs = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("is not a valid PEM file ({e})")))?;
        if certs.is_empty() {
            return Err(invalid(
                "holds no certificate (expected PEM blocks: -----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        for (i, cert) in certs.iter().enumerate() {
            rustls::RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| invalid(format!("certificate {} is not usable: {e}", i + 1)))?;
        }
        Ok(certs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(ca: &Path) -> Network {
        Network::new("[fetch] ca_file", Some(ca), &Env::default())
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_named_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("corp-ca.pem");
        let e = network(&missing).client_builder().unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("[fetch] ca_file: cannot read "), "{text}");
        assert!(text.contains("corp-ca.pem"), "{text}");
        assert!(e.is_config());
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let text = network(&empty).client_builder().unwrap_err().to_string();
        assert!(text.contains("empty.pem holds no certificate"), "{text}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let text = network(&broken).client_builder().unwrap_err().to_string();
        assert!(text.contains("certificate 1 is not usable"), "{text}");
    }

    #[test]
    fn proxies_must_be_http_and_never_show_their_password() {
        let with = |proxy: &str| Network {
            https_proxy: Some(Secret::new(proxy)),
            ..Network::default()
        };
        assert!(with("proxy.corp:3128").client_builder().is_ok());
        assert!(with("https://proxy.corp").client_builder().is_ok());
        let e = with("socks5://user:hunter2@proxy.corp:1080")
            .client_builder()
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("HTTPS_PROXY: socks5://proxy.corp:1080"),
            "{text}"
        );
        assert!(
            !text.contains("hunter2") && !text.contains("user"),
            "{text}"
        );
    }
}

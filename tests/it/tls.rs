//! Corporate TLS and proxies: the sandbox behind an HTTPS front whose certificate
//! comes from a private CA made here (rcgen), and a CONNECT proxy written here.
//!
//! Without the CA the run stops with one line naming the host and the settings that
//! fix it; `ca_file` or `SSL_CERT_FILE` make it trusted. `HTTPS_PROXY` sends https
//! requests through the proxy as a CONNECT tunnel (the proxy never sees the
//! credentials), `NO_PROXY` keeps a host out of it, and plain http (loopback only)
//! never goes through a proxy.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::helpers::*;

/// A private CA (its PEM) and a server certificate it signed for 127.0.0.1.
struct PrivateCa {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

fn private_ca() -> PrivateCa {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "zdpipe test corporate CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key).unwrap();
    PrivateCa {
        ca_pem: ca_cert.pem(),
        server_chain: vec![server_cert.der().clone()],
        server_key: server_key.serialize_der(),
    }
}

/// A small tokio runtime that serves on 127.0.0.1 as long as it lives.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Binds 127.0.0.1 on a free port; the listener is handed to `rt`.
fn listen(rt: &tokio::runtime::Runtime) -> (TcpListener, u16) {
    let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std.set_nonblocking(true).unwrap();
    let port = std.local_addr().unwrap().port();
    let _guard = rt.enter();
    (TcpListener::from_std(std).unwrap(), port)
}

/// The sandbox's API (Zendesk and LLM endpoints) over TLS, with a certificate from
/// `ca`: TLS ends here and the bytes go on to the sandbox's plain port.
struct HttpsFront {
    port: u16,
    _rt: tokio::runtime::Runtime,
}

impl HttpsFront {
    fn start(backend: SocketAddr, ca: &PrivateCa) -> Self {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ca.server_key.clone()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(ca.server_chain.clone(), key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let rt = runtime();
        let (listener, port) = listen(&rt);
        rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the CA hangs up during the handshake.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        HttpsFront { port, _rt: rt }
    }

    fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// What a proxy saw: each request head, and every byte a client sent through a tunnel.
#[derive(Default)]
struct Seen {
    heads: Vec<String>,
    tunnelled: Vec<u8>,
}

/// An HTTP proxy that only tunnels (`CONNECT host:port`) and records what it sees.
struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    _rt: tokio::runtime::Runtime,
}

impl ConnectProxy {
    fn start() -> Self {
        let rt = runtime();
        let (listener, port) = listen(&rt);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let recorder = seen.clone();
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(tunnel(client, recorder.clone()));
            }
        });
        ConnectProxy {
            port,
            seen,
            _rt: rt,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn heads(&self) -> Vec<String> {
        self.seen.lock().unwrap().heads.clone()
    }
}

/// One proxied connection: read the request head; a CONNECT gets a tunnel, anything
/// else (a plain-http request sent to the proxy) a 502 after being recorded.
async fn tunnel(mut client: TcpStream, seen: Arc<Mutex<Seen>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    seen.lock().unwrap().heads.push(head.clone());
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next());
    let upstream = match target {
        Some(target) => TcpStream::connect(target).await.ok(),
        None => None,
    };
    let Some(upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    let _ = client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_upstream, mut to_upstream) = upstream.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
    });
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = from_client.read(&mut buf).await {
        seen.lock().unwrap().tunnelled.extend_from_slice(&buf[..n]);
        if to_upstream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// The sandbox behind an HTTPS front, and a workspace holding the CA's PEM.
struct Setup {
    sb: SandboxHandle,
    front: HttpsFront,
    ws: Workspace,
}

fn setup() -> Setup {
    let sb = sandbox(30);
    let ca = private_ca();
    let backend = sb
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the sandbox listens on 127.0.0.1:PORT");
    let front = HttpsFront::start(backend, &ca);
    let ws = Workspace::new();
    ws.file("ca.pem", &ca.ca_pem);
    Setup { sb, front, ws }
}

/// `zdpipe run` with the sandbox's credentials and no CA or proxy variable of this
/// machine's environment.
fn run(p: &std::path::Path) -> assert_cmd::Command {
    let mut c = zdpipe_auth();
    c.arg("run").arg(p).arg("--no-progress");
    c
}

/// The CSV holds exactly view 1 of the sandbox.
fn assert_full_csv(s: &Setup, name: &str) {
    let ids = csv_ids(&s.ws.path(&format!("out/{name}.csv")));
    let expected: Vec<u64> = s.sb.dataset().view_ticket_ids(1).collect();
    assert!(!expected.is_empty());
    assert_eq!(ids, expected);
}

#[test]
fn an_untrusted_certificate_stops_the_run_with_one_line_naming_the_fix() {
    let s = setup();
    let p =
        s.ws.view_pipeline("untrusted", &s.front.base_url(), &[1], "");
    let out = run(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let host = format!("127.0.0.1:{}", s.front.port);
    let line = err
        .lines()
        .find(|l| l.contains("TLS handshake with"))
        .unwrap_or_else(|| panic!("no TLS line in: {err}"));
    assert!(line.contains(&host), "{line}");
    assert!(line.contains("UnknownIssuer"), "rustls's reason: {line}");
    assert!(
        line.contains("[fetch] ca_file") && line.contains("SSL_CERT_FILE"),
        "{line}"
    );
    assert!(
        !err.contains("error sending request") && !err.contains("hyper"),
        "no reqwest chain: {err}"
    );
    assert!(!err.contains(TOKEN), "{err}");
    assert!(
        !s.ws.path("out/untrusted.csv").exists(),
        "no CSV from a failed run"
    );
}

#[test]
fn ca_file_ssl_cert_file_and_the_platform_store_make_a_private_ca_trusted() {
    let s = setup();
    let p =
        s.ws.view_pipeline("ca_file", &s.front.base_url(), &[1], "ca_file = \"ca.pem\"");
    let out = run(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "ca_file");

    let p = s.ws.view_pipeline("env", &s.front.base_url(), &[1], "");
    let out = run(&p)
        .env("SSL_CERT_FILE", s.ws.path("ca.pem"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "env");

    // The platform store, found where OpenSSL would look: SSL_CERT_DIR.
    s.ws.file(
        "certs/corp-ca.pem",
        &std::fs::read_to_string(s.ws.path("ca.pem")).unwrap(),
    );
    let p =
        s.ws.view_pipeline("platform", &s.front.base_url(), &[1], "");
    let out = run(&p)
        .env("SSL_CERT_DIR", s.ws.path("certs"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "platform");
}

#[test]
fn a_missing_or_broken_ca_bundle_is_exit_2_naming_it() {
    let s = setup();
    let p = s.ws.view_pipeline(
        "missing",
        &s.front.base_url(),
        &[1],
        "ca_file = \"corp-ca.pem\"",
    );
    let out = run(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[fetch] ca_file: cannot read") && err.contains("corp-ca.pem"),
        "{err}"
    );

    s.ws.file("not-a-cert.pem", "hello\n");
    let p = s.ws.view_pipeline("broken", &s.front.base_url(), &[1], "");
    let out = run(&p)
        .env("SSL_CERT_FILE", s.ws.path("not-a-cert.pem"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("SSL_CERT_FILE: ") && err.contains("not-a-cert.pem holds no certificate"),
        "{err}"
    );
}

#[test]
fn https_goes_through_the_proxy_as_a_tunnel_unless_no_proxy_covers_the_host() {
    let s = setup();
    let proxy = ConnectProxy::start();
    let extra = "ca_file = \"ca.pem\"";
    let p =
        s.ws.view_pipeline("proxied", &s.front.base_url(), &[1], extra);
    let out = run(&p).env("HTTPS_PROXY", proxy.url()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "proxied");
    let heads = proxy.heads();
    let connect = format!("CONNECT 127.0.0.1:{} ", s.front.port);
    assert!(!heads.is_empty(), "the proxy saw no request");
    assert!(heads.iter().all(|h| h.starts_with(&connect)), "{heads:?}");
    let seen = proxy.seen.lock().unwrap();
    let clear = String::from_utf8_lossy(&seen.tunnelled).to_ascii_lowercase();
    assert!(
        !seen.tunnelled.is_empty(),
        "the requests went through the tunnel"
    );
    assert!(
        !clear.contains("authorization") && !clear.contains(&TOKEN.to_ascii_lowercase()),
        "credentials reached the proxy in clear text"
    );
    assert!(heads.iter().all(|h| !h.contains(TOKEN)));
    drop(seen);

    let before = proxy.heads().len();
    let p =
        s.ws.view_pipeline("bypassed", &s.front.base_url(), &[1], extra);
    let out = run(&p)
        .env("https_proxy", proxy.url())
        .env("NO_PROXY", "example.com, 127.0.0.1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "bypassed");
    assert_eq!(proxy.heads().len(), before, "NO_PROXY covers 127.0.0.1");
}

#[test]
fn plain_http_to_loopback_never_goes_through_a_proxy() {
    let sb = sandbox(30);
    let proxy = ConnectProxy::start();
    let ws = Workspace::new();
    let p = ws.view_pipeline("plain", &sb.base_url(), &[1], "");
    let out = run(&p)
        .env("HTTP_PROXY", proxy.url())
        .env("http_proxy", proxy.url())
        .env("HTTPS_PROXY", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        csv_ids(&ws.path("out/plain.csv")).len(),
        sb.dataset().view_ticket_ids(1).count()
    );
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());
}

#[test]
fn the_llm_client_trusts_its_own_ca_file() {
    let s = setup();
    let llm = |name: &str, ca: &str| {
        let analyze = format!(
            "[analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\nworkers = 2\n{ca}",
            s.front.base_url()
        );
        s.ws.view_pipeline(name, &s.sb.base_url(), &[1], &analyze)
    };
    let out = run(&llm("llm_untrusted", "")).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "TLS handshake with 127.0.0.1:{} failed",
            s.front.port
        )) && err.contains("[analyze] ca_file"),
        "{err}"
    );

    let out = run(&llm("llm_trusted", "ca_file = \"ca.pem\"\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_full_csv(&s, "llm_trusted");
    let analyzers = column(&s.ws.path("out/llm_trusted.csv"), "analyzer");
    assert!(
        analyzers.iter().all(|a| a == "openai:gpt-it"),
        "{analyzers:?}"
    );
}

#[test]
fn ca_file_where_no_tls_client_reads_it_is_refused_at_its_line() {
    let ws = Workspace::new();
    let write = "[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n";
    for (text, line, why) in [
        (
            "[fetch]\nsource = \"sandbox\"\nviews = [1]\nca_file = \"ca.pem\"\n",
            "bad.toml:4",
            "only applies to source = \"zendesk\"",
        ),
        (
            "[fetch]\nsource = \"sandbox\"\nviews = [1]\n[analyze]\nca_file = \"ca.pem\"\n",
            "bad.toml:5",
            "only applies to analyzer = \"openai\", \"anthropic\" or \"hybrid\"",
        ),
    ] {
        let p = ws.file("bad.toml", &format!("{text}{write}"));
        let out = zdpipe().arg("check").arg(&p).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(line), "{err}");
        assert!(err.contains("ca_file") && err.contains(why), "{err}");
    }
}

//! The fetch stage's build step: turns the validated fetch settings into the
//! runtime part, an [`Api`] (client + cache in front) and, for the sandbox source,
//! the running simulated server it talks to.
//!
//! A file source has no account and no client: [`connect`] is only for the sources
//! that speak the Zendesk API.

use std::sync::Arc;

use super::{Api, Credentials, FetchError, ZendeskClient};
use super::{FetchSettings, Source};
use crate::cache::{Cache, ReadPolicy};
use crate::config::Env;
use crate::http::Network;
use crate::sandbox::{SandboxHandle, StartError};

/// Why a connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Sandbox(#[from] StartError),
    #[error("source = \"file\" reads a file; it has no Zendesk API to connect to")]
    NotAnApi,
}

/// How the cache is read and whether the network may be used.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub policy: ReadPolicy,
    /// Nothing is sent: misses are errors, no credentials are needed.
    pub offline: bool,
}

/// A source that speaks the Zendesk API, ready to use.
pub struct Connection {
    pub api: Api,
    /// The in-process sandbox, kept alive as long as the connection.
    pub sandbox: Option<SandboxHandle>,
    /// `https://acme.zendesk.com` for links to tickets; `None` for the sandbox.
    pub ticket_links: Option<String>,
}

impl Connection {
    /// The sandbox's base URL, when this connection started one.
    pub fn sandbox_url(&self) -> Option<String> {
        self.sandbox.as_ref().map(SandboxHandle::base_url)
    }
}

/// Connects to the account (or starts the sandbox) the settings name.
pub fn connect(
    settings: &FetchSettings,
    env: &Env,
    cache: Option<Arc<Cache>>,
    access: Access,
) -> Result<Connection, ConnectError> {
    let (base_url, credentials, sandbox, ticket_links) = match &settings.source {
        Source::Zendesk(target) => {
            // Offline nothing is sent, so no credentials are needed.
            let credentials = if access.offline {
                Credentials::None
            } else {
                Credentials::from_env(target.auth, env)?
            };
            let links = Some(target.base_url.clone());
            (target.base_url.clone(), credentials, None, links)
        }
        Source::Sandbox(s) => {
            let handle = crate::sandbox::start(s)?;
            (handle.base_url(), Credentials::None, Some(handle), None)
        }
        Source::File { .. } => return Err(ConnectError::NotAnApi),
    };
    // The sandbox has no export budget unless its own knobs set one, and then it says
    // so in the export's rate-limit header before the second page.
    let export_limit = match (&sandbox, settings.high_volume) {
        (Some(_), _) => u32::MAX,
        (None, true) => 30,
        (None, false) => 10,
    };
    let network = Network::new("[fetch] ca_file", settings.ca_file.as_deref(), env);
    let client = ZendeskClient::new(&base_url, credentials, settings, &network, export_limit)?;
    let api = Api {
        client,
        cache,
        policy: access.policy,
        offline: access.offline,
        metric_sets: Default::default(),
        exported_people: Default::default(),
    };
    Ok(Connection {
        api,
        sandbox,
        ticket_links,
    })
}

//! The public URL a command works with: the configured one (`--public-url`,
//! `JIRASYNC_PUBLIC_URL`, the file's `public_url`), else the one saved by the last install, else
//! the default (`http://` and the listen address). And the warning for a loopback address, which
//! Jira cannot reach.

use std::net::IpAddr;

use jirasync_domain::SetupStore;

use crate::config::Config;
use crate::error::CliError;

/// Where the public URL in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicUrlSource {
    /// A flag, variable or configuration file key.
    Configured,
    /// Saved by the last install.
    Saved,
    /// The default from the listen address.
    Default,
}

/// The public URL a command uses, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct PublicUrl {
    pub(crate) url: String,
    pub(crate) source: PublicUrlSource,
}

/// The configured public URL, else the saved one, else the default.
pub(crate) async fn resolve(
    config: &Config,
    store: &dyn SetupStore,
) -> Result<PublicUrl, CliError> {
    if config.public_url_configured {
        return Ok(PublicUrl {
            url: config.public_url.clone(),
            source: PublicUrlSource::Configured,
        });
    }
    let saved = store
        .public_url()
        .await
        .map_err(CliError::store("read the saved public URL"))?;
    Ok(match saved {
        Some(url) => PublicUrl {
            url,
            source: PublicUrlSource::Saved,
        },
        None => PublicUrl {
            url: config.public_url.clone(),
            source: PublicUrlSource::Default,
        },
    })
}

/// Whether the URL's host is this machine only: `localhost` (and its sub-domains), 127.0.0.0/8,
/// `::1`, or the unspecified address.
pub(crate) fn is_loopback(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(address)) => {
            IpAddr::V4(address).is_loopback() || address.is_unspecified()
        }
        Some(url::Host::Ipv6(address)) => {
            IpAddr::V6(address).is_loopback() || address.is_unspecified()
        }
        None => false,
    }
}

/// The warning to print when Jira could not reach `url`, if so.
pub(crate) fn loopback_warning(url: &str) -> Option<String> {
    is_loopback(url).then(|| {
        format!(
            "warning: the public URL {url} is a loopback address: Jira cannot reach it, so \
             webhooks will not arrive and the OAuth callback only works in a browser on this \
             machine. Give the address Jira reaches jirasync at with --public-url (or \
             JIRASYNC_PUBLIC_URL), such as https://sync.example.com."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080",
            "http://LOCALHOST.",
            "http://app.localhost",
            "http://[::1]:8080",
            "http://0.0.0.0:8080",
        ] {
            assert!(is_loopback(url), "{url}");
            assert!(loopback_warning(url).is_some(), "{url}");
        }
        for url in [
            "https://sync.example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}

//! Which hosts the setup pages and `jirasync connect` may send a request to ([`JiraHosts`]).
//!
//! The Jira URL of the installation form is typed by a person; without a limit, whoever may use
//! the form can make jirasync send requests to any host it reaches (server-side request forgery).
//! The URL itself is checked by [`BaseUrl::parse`](jirasync_client::BaseUrl::parse) (http or
//! https, a host, no user name or password, no query or fragment), and the client never follows
//! a redirect; this allow-list narrows the hosts. It is checked before any request is made.

use std::fmt;

use jirasync_client::BaseUrl;

/// One allowed host: an exact host name or address, optionally with a port, or `*.` and a
/// domain for every host under it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostPattern {
    /// Lower-case host; for a wildcard, the domain after `*.`.
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

impl HostPattern {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        let (wildcard, rest) = match text.strip_prefix("*.") {
            Some(domain) => (true, domain.to_owned()),
            None => (false, text.clone()),
        };
        // Read it as the authority of a URL, which splits host and port (IPv6 in brackets) and
        // refuses anything else (paths, user info, spaces).
        let url = url::Url::parse(&format!("http://{rest}/")).ok()?;
        let host = url.host_str()?.to_owned();
        let plain = url.path() == "/"
            && url.username().is_empty()
            && url.password().is_none()
            && !rest.contains(['/', '@', '?', '#']);
        if !plain || host.is_empty() || (wildcard && host.starts_with('[')) {
            return None;
        }
        Some(Self {
            host,
            wildcard,
            port: url.port(),
        })
    }

    fn allows(&self, host: &str, port: u16) -> bool {
        let host_matches = if self.wildcard {
            host.strip_suffix(self.host.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            host == self.host
        };
        host_matches && self.port.is_none_or(|allowed| allowed == port)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The hosts a Jira URL given to the setup pages or to `connect` may name. Empty (the
/// default): any host. Otherwise a host must match one entry: `jira.example.com` (any port),
/// `jira.example.com:8443` (that port only), `10.0.0.5`, `[::1]:8080`, or `*.example.com` (every
/// host under `example.com`, not `example.com` itself). Hosts compare ignoring case; names are
/// not resolved (see `docs/security.md` for what remains).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JiraHosts {
    allowed: Vec<HostPattern>,
}

/// An allow-list entry that is not a host, `host:port` or `*.domain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{entry:?} is not an allowed Jira host: give a host name or address, optionally with :PORT \
     (jira.example.com, jira.example.com:8443, 10.0.0.5, [::1]:8080), or *.DOMAIN"
)]
pub struct InvalidHostPattern {
    /// The entry as given.
    pub entry: String,
}

impl JiraHosts {
    /// Any host.
    pub fn any() -> Self {
        Self::default()
    }

    /// Only the hosts `entries` name; an empty list allows any host.
    ///
    /// # Errors
    ///
    /// [`InvalidHostPattern`] for the first entry that is not a host pattern.
    pub fn allow_only<I, S>(entries: I) -> Result<Self, InvalidHostPattern>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allowed = entries
            .into_iter()
            .map(|entry| {
                HostPattern::parse(entry.as_ref()).ok_or_else(|| InvalidHostPattern {
                    entry: entry.as_ref().to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    /// Whether any host is allowed.
    pub fn allows_any(&self) -> bool {
        self.allowed.is_empty()
    }

    /// Whether `url`'s host (and port) may be reached.
    ///
    /// # Errors
    ///
    /// A message naming the host and the allowed ones.
    pub fn check(&self, url: &BaseUrl) -> Result<(), String> {
        if self.allowed.is_empty() {
            return Ok(());
        }
        let parsed = url::Url::parse(url.as_str()).ok();
        let host = parsed
            .as_ref()
            .and_then(|url| url.host_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let port = parsed
            .as_ref()
            .and_then(url::Url::port_or_known_default)
            .unwrap_or_default();
        if self
            .allowed
            .iter()
            .any(|pattern| pattern.allows(&host, port))
        {
            return Ok(());
        }
        let allowed: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
        Err(format!(
            "jirasync is not allowed to connect to {host}:{port}. The allowed Jira hosts are: {}. \
             Ask the operator to add it to jira_allowed_hosts.",
            allowed.join(", ")
        ))
    }
}

impl fmt::Display for JiraHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allowed.is_empty() {
            return f.write_str("any host");
        }
        let allowed: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
        f.write_str(&allowed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

    use super::*;

    fn url(text: &str) -> BaseUrl {
        BaseUrl::parse(text).unwrap()
    }

    #[test]
    fn an_empty_list_allows_any_host() {
        let hosts = JiraHosts::any();
        assert!(hosts.allows_any());
        assert_eq!(hosts.check(&url("http://169.254.169.254")), Ok(()));
    }

    #[test]
    fn checks_hosts_ports_and_wildcards() {
        let hosts = JiraHosts::allow_only([
            "Jira.Example.com",
            "jira.internal:8443",
            "*.corp.example",
            "[::1]:8080",
            "10.0.0.5",
        ])
        .unwrap();
        let table = [
            ("https://jira.example.com", true),
            ("https://JIRA.example.com:9999/jira", true),
            ("https://jira.example.com.evil.test", false),
            ("https://evil.test/jira.example.com", false),
            ("https://jira.internal:8443", true),
            ("https://jira.internal", false),
            ("http://jira.internal:8080", false),
            ("https://a.corp.example", true),
            ("https://a.b.corp.example", true),
            ("https://corp.example", false),
            ("https://xcorp.example", false),
            ("http://[::1]:8080", true),
            ("http://[::1]:8081", false),
            ("http://10.0.0.5:8080", true),
            ("http://10.0.0.50", false),
            ("http://127.0.0.1", false),
        ];
        for (text, allowed) in table {
            assert_eq!(hosts.check(&url(text)).is_ok(), allowed, "{text}");
        }
        let refusal = hosts.check(&url("http://127.0.0.1:8080")).unwrap_err();
        assert!(
            refusal.starts_with("jirasync is not allowed to connect to 127.0.0.1:8080."),
            "{refusal}"
        );
        assert!(refusal.contains("jira.example.com, jira.internal:8443, *.corp.example"));
    }

    #[test]
    fn refuses_entries_that_are_not_hosts() {
        for bad in [
            "",
            "http://jira",
            "jira/path",
            "user@jira",
            "jira:notaport",
            "*.[::1]",
        ] {
            assert!(JiraHosts::allow_only([bad]).is_err(), "{bad:?}");
        }
    }
}

//! Database URLs: which back-end a URL names, and how to show it without its password.

use std::fmt;

use jirasync_core::Secret;

/// The back-end a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:` URLs (`sqlite://jirasync.db`, `sqlite::memory:`) and bare file paths.
    Sqlite,
    /// `postgres://` and `postgresql://` URLs.
    Postgres,
}

/// A database URL as the operator gave it. `Display` and `Debug` hide the password; the whole
/// URL is held as a [`Secret`] (zeroed when dropped, compared in constant time).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(Secret);

impl DatabaseUrl {
    /// Wraps a URL, or a bare file path meaning an SQLite file.
    pub fn new(url: impl Into<String>) -> Self {
        Self(Secret::new(url))
    }

    /// The URL with its password, for the driver only.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The back-end the URL names; `None` for an unknown scheme.
    pub fn backend(&self) -> Option<Backend> {
        match self.expose_secret().split_once(':') {
            Some(("sqlite", _)) => Some(Backend::Sqlite),
            Some(("postgres" | "postgresql", _)) => Some(Backend::Postgres),
            // A path (no scheme, or a Windows drive letter) is an SQLite file.
            None => Some(Backend::Sqlite),
            Some((scheme, _)) if scheme.len() == 1 => Some(Backend::Sqlite),
            Some(_) => None,
        }
    }

    /// The URL with any password replaced by `***`, safe for messages and logs.
    pub fn redacted(&self) -> String {
        let url = self.expose_secret();
        match url::Url::parse(url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                // Only fails for URLs that cannot have a password, and this one has one.
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            Ok(_) => url.to_owned(),
            // Not a URL we can parse: keep what comes before any '@', which may hold a password.
            Err(_) => match url.rsplit_once('@') {
                Some((_, host)) => format!("***@{host}"),
                None => url.to_owned(),
            },
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password() {
        let url = DatabaseUrl::new("postgres://app:s3cret@db.example:5432/jirasync");
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db.example:5432/jirasync"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn keeps_a_url_without_password() {
        let url = DatabaseUrl::new("postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(url.to_string(), "postgres://postgres@127.0.0.1:5432/test");
    }

    #[test]
    fn hides_what_precedes_the_host_in_an_unparsable_url() {
        let url = DatabaseUrl::new("postgres://us er:pa ss@[bad/db");
        assert!(!url.to_string().contains("pa ss"), "{url}");
    }

    #[test]
    fn names_the_backend() {
        assert_eq!(
            DatabaseUrl::new("sqlite://x.db").backend(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::new("sqlite::memory:").backend(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::new("jirasync.db").backend(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::new("postgresql://h/db").backend(),
            Some(Backend::Postgres)
        );
        assert_eq!(DatabaseUrl::new("mysql://h/db").backend(), None);
    }
}

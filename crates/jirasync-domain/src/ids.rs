//! Identifier newtypes. Stores assign them; the rules only compare and pass them on.

use std::fmt;

macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw identifier (as stored).
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw identifier.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl From<u64> for $name {
            fn from(raw: u64) -> Self {
                Self(raw)
            }
        }
    };
}

id_newtype! {
    /// An organization of the host application (a tenant).
    OrganizationId
}
id_newtype! {
    /// An installed Jira instance (one per Jira base URL and consumer key).
    IntegrationId
}
id_newtype! {
    /// The credentials one organization uses to talk to one integration.
    IdentityId
}
id_newtype! {
    /// A user of the host application.
    UserId
}
id_newtype! {
    /// A team of the host application.
    TeamId
}
id_newtype! {
    /// A project of the host application; local issues belong to one.
    ProjectId
}
id_newtype! {
    /// An issue of the host application (the reference's "group").
    LocalIssueId
}
id_newtype! {
    /// A Jira issue as one organization links it (organization, integration, key).
    ExternalIssueId
}
id_newtype! {
    /// A mapping from an external name (a Jira username, a GitHub handle) to a user or team.
    ExternalActorId
}
id_newtype! {
    /// One entry of a local issue's activity log.
    ActivityId
}

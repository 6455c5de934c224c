//! Connecting a Jira instance once the OAuth dance is done: the installation form's rules
//! ([`form`], with the allowed Jira hosts of [`jira_hosts`]) and the install itself ([`installer`]): the webhook secret, the webhook in Jira, the
//! install record.

pub(crate) mod form;
pub(crate) mod installer;
pub(crate) mod jira_hosts;

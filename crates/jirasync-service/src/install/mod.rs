//! Connecting a Jira instance once the OAuth dance is done: the installation form's rules
//! ([`form`]) and the install itself ([`installer`]): the webhook secret, the webhook in Jira, the
//! install record.

pub(crate) mod form;
pub(crate) mod installer;

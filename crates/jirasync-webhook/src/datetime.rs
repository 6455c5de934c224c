//! Jira's date-time texts (`issue.fields.updated`): read by [`jirasync_core::parse_jira_datetime`],
//! which the REST client's search answers share.

pub(crate) use jirasync_core::parse_jira_datetime;

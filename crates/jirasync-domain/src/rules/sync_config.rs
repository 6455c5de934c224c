//! Changing an organization's sync configuration by key (the host API's `config` routes and
//! `jirasync config set`): which keys exist and what values they take.
//!
//! Of the application → Jira directions, jirasync syncs the assignee
//! (`sync_forward_assignment`), the status (`sync_status_forward`, through per-project
//! mappings) and comments (`sync_comments`, both ways), `docs/outbound.md`. Every flag can be
//! turned on.

use serde_json::Value;

use crate::integration::{ResolutionStrategy, SyncConfig};

/// Every key of a sync configuration, in the order `config list` shows them.
pub const SYNC_CONFIG_KEYS: [&str; 6] = [
    "sync_reverse_assignment",
    "sync_status_reverse",
    "sync_forward_assignment",
    "sync_status_forward",
    "sync_comments",
    "resolution_strategy",
];

/// Why a configuration change was refused. Nothing is written on any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncConfigError {
    /// No such key.
    #[error("unknown sync configuration key {key:?}: the keys are {}", SYNC_CONFIG_KEYS.join(", "))]
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// A value of the wrong kind for its key.
    #[error("{key}: expected {expected}, found {found}")]
    InvalidValue {
        /// The key.
        key: String,
        /// What the key takes.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// A `KEY=VALUE` setting without `=`.
    #[error("{setting:?} is not KEY=VALUE (e.g. sync_reverse_assignment=true)")]
    NotASetting {
        /// The text as given.
        setting: String,
    },
}

/// The value of `key` in `config` as JSON (`true`, `"resolve"`), `None` for an unknown key.
pub fn config_value(config: &SyncConfig, key: &str) -> Option<Value> {
    let flag = match key {
        "sync_reverse_assignment" => config.sync_reverse_assignment,
        "sync_status_reverse" => config.sync_status_reverse,
        "sync_forward_assignment" => config.sync_forward_assignment,
        "sync_status_forward" => config.sync_status_forward,
        "sync_comments" => config.sync_comments,
        "resolution_strategy" => {
            return Some(Value::from(strategy_name(config.resolution_strategy)));
        }
        _ => return None,
    };
    Some(Value::Bool(flag))
}

/// The word of a resolution strategy.
pub const fn strategy_name(strategy: ResolutionStrategy) -> &'static str {
    match strategy {
        ResolutionStrategy::Resolve => "resolve",
        ResolutionStrategy::ResolveCurrentRelease => "resolve_current_release",
        ResolutionStrategy::ResolveNextRelease => "resolve_next_release",
    }
}

/// `current` with `changes` laid over it, key by key, in order.
///
/// # Errors
///
/// The first [`SyncConfigError`] among the changes (an unknown key, a value of the wrong kind,
/// a not-yet-supported flag turned on); the caller then writes nothing.
pub fn apply_config_changes<'a>(
    current: SyncConfig,
    changes: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<SyncConfig, SyncConfigError> {
    let mut config = current;
    for (key, value) in changes {
        if key == "resolution_strategy" {
            config.resolution_strategy = match value.as_str() {
                Some("resolve") => ResolutionStrategy::Resolve,
                Some("resolve_current_release") => ResolutionStrategy::ResolveCurrentRelease,
                Some("resolve_next_release") => ResolutionStrategy::ResolveNextRelease,
                _ => {
                    return Err(SyncConfigError::InvalidValue {
                        key: key.to_owned(),
                        expected: "\"resolve\", \"resolve_current_release\" or \
                                   \"resolve_next_release\"",
                        found: value.to_string(),
                    });
                }
            };
            continue;
        }
        let slot = match key {
            "sync_reverse_assignment" => &mut config.sync_reverse_assignment,
            "sync_status_reverse" => &mut config.sync_status_reverse,
            "sync_forward_assignment" => &mut config.sync_forward_assignment,
            "sync_status_forward" => &mut config.sync_status_forward,
            "sync_comments" => &mut config.sync_comments,
            _ => {
                return Err(SyncConfigError::UnknownKey {
                    key: key.to_owned(),
                });
            }
        };
        let Some(flag) = value.as_bool() else {
            return Err(SyncConfigError::InvalidValue {
                key: key.to_owned(),
                expected: "true or false",
                found: value.to_string(),
            });
        };
        *slot = flag;
    }
    Ok(config)
}

/// A `KEY=VALUE` setting of the command line as a key and a JSON value: `true` / `false` for
/// the flags, the strategy's word for `resolution_strategy` (checked by
/// [`apply_config_changes`]).
///
/// # Errors
///
/// [`SyncConfigError::NotASetting`] without `=`; [`SyncConfigError::UnknownKey`] for a key that
/// does not exist.
pub fn parse_setting(setting: &str) -> Result<(String, Value), SyncConfigError> {
    let (key, value) = setting
        .split_once('=')
        .ok_or_else(|| SyncConfigError::NotASetting {
            setting: setting.to_owned(),
        })?;
    let key = key.trim();
    if !SYNC_CONFIG_KEYS.contains(&key) {
        return Err(SyncConfigError::UnknownKey {
            key: key.to_owned(),
        });
    }
    let value = value.trim();
    let value = match (key, value) {
        ("resolution_strategy", word) => Value::from(word),
        (_, "true") => Value::Bool(true),
        (_, "false") => Value::Bool(false),
        (_, other) => Value::from(other),
    };
    Ok((key.to_owned(), value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    fn apply(changes: &[(&str, Value)]) -> Result<SyncConfig, SyncConfigError> {
        apply_config_changes(
            SyncConfig::default(),
            changes.iter().map(|(key, value)| (*key, value)),
        )
    }

    #[test]
    fn turns_inbound_flags_on_and_sets_the_strategy() {
        let config = apply(&[
            ("sync_reverse_assignment", Value::Bool(true)),
            ("sync_status_reverse", Value::Bool(true)),
            ("resolution_strategy", Value::from("resolve_next_release")),
        ])
        .unwrap();
        assert!(config.sync_reverse_assignment && config.sync_status_reverse);
        assert_eq!(
            config.resolution_strategy,
            ResolutionStrategy::ResolveNextRelease
        );
    }

    #[test]
    fn accepts_turning_on_outbound_assignee_and_status_sync() {
        let config = apply(&[
            ("sync_forward_assignment", Value::Bool(true)),
            ("sync_status_forward", Value::Bool(true)),
        ])
        .unwrap();
        assert!(config.sync_forward_assignment && config.sync_status_forward);
    }

    #[test]
    fn accepts_turning_on_comment_sync() {
        let config = apply(&[("sync_comments", Value::Bool(true))]).unwrap();
        assert!(config.sync_comments);
    }

    #[test]
    fn refuses_unknown_keys_and_wrong_values() {
        let error = apply(&[("sync_everything", Value::Bool(true))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown sync configuration key \"sync_everything\": the keys are \
             sync_reverse_assignment, sync_status_reverse, sync_forward_assignment, \
             sync_status_forward, sync_comments, resolution_strategy"
        );
        let error = apply(&[("sync_status_reverse", Value::from("yes"))]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "sync_status_reverse: expected true or false, found \"yes\""
        );
    }

    #[test]
    fn parses_command_line_settings() {
        assert_eq!(
            parse_setting("sync_reverse_assignment=true").unwrap(),
            ("sync_reverse_assignment".to_owned(), Value::Bool(true))
        );
        assert!(matches!(
            parse_setting("sync_reverse_assignment"),
            Err(SyncConfigError::NotASetting { .. })
        ));
        assert!(matches!(
            parse_setting("nope=true"),
            Err(SyncConfigError::UnknownKey { .. })
        ));
        let (key, value) = parse_setting("sync_status_reverse=maybe").unwrap();
        assert!(apply(&[(key.as_str(), value)]).is_err());
    }
}

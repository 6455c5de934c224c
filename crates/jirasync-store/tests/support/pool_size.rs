//! The pool sizes a store shows in its `Debug`, in the order of its fields (the main pool first).

/// Every `max_connections` the `Debug` of `store` shows.
pub(crate) fn pool_sizes_shown(store: &impl std::fmt::Debug) -> Vec<String> {
    let shown = format!("{store:?}");
    shown
        .split("max_connections: ")
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .collect()
}

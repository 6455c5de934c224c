//! Typed strings: an issue key, a consumer key and a webhook id are all text, but a function that
//! takes an `IssueKey` cannot be handed a `ConsumerKey` by mistake. [`string_newtype!`] declares
//! one with the conversions every such type needs, so each is one line of intent.

/// Declares a string newtype with `new`, `as_str`, `Display` (the text as it is), `AsRef<str>`,
/// `From<String>` and `From<&str>`, deriving `Debug`, `Clone`, `PartialEq`, `Eq`, `PartialOrd`,
/// `Ord` and `Hash`.
///
/// Attributes before `struct` are kept (documentation; `#[derive(Serialize, Deserialize)]
/// #[serde(transparent)]` for a type that is part of a JSON format). A type whose `new` means
/// something else (built from parts) declares `without new;` and writes its own; `From<String>`
/// still wraps a stored value as it is. Behaviour of one type goes in an `impl` of its own.
///
/// ```
/// jirasync_core::string_newtype! {
///     /// A Jira issue key such as `APP-123`.
///     pub struct IssueKey;
/// }
///
/// let key = IssueKey::new("APP-123");
/// assert_eq!(key.as_str(), "APP-123");
/// assert_eq!(key.to_string(), "APP-123");
/// assert_eq!(key, IssueKey::from("APP-123"));
/// assert_eq!(format!("{key:?}"), r#"IssueKey("APP-123")"#);
/// ```
#[macro_export]
macro_rules! string_newtype {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $crate::string_newtype! {
            $(#[$meta])*
            $vis struct $name;
            without new;
        }

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<::std::string::String>) -> Self {
                Self(value.into())
            }
        }
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident; without new;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis struct $name(::std::string::String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                Self(value)
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

#[cfg(test)]
#[allow(
    unreachable_pub,
    dead_code,
    reason = "the macros declare public items, here in a private module"
)]
mod tests {
    use std::collections::BTreeSet;

    crate::string_newtype! {
        /// A key for the tests.
        pub struct Key;
    }

    crate::string_newtype! {
        /// A key built from parts.
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct PairKey;
        without new;
    }

    impl PairKey {
        fn new(left: &str, right: &str) -> Self {
            Self(format!("{left}:{right}"))
        }
    }

    #[test]
    fn converts_to_and_from_text() {
        let key = Key::new(String::from("APP-1"));
        assert_eq!(key.as_str(), "APP-1");
        assert_eq!(key.as_ref(), "APP-1");
        assert_eq!(key.to_string(), "APP-1");
        assert_eq!(Key::from("APP-1"), key);
        assert_eq!(Key::from(String::from("APP-1")), key);
        assert_eq!(format!("{key:?}"), "Key(\"APP-1\")");
    }

    #[test]
    fn orders_as_text() {
        let keys: BTreeSet<Key> = ["b", "a", "c"].into_iter().map(Key::from).collect();
        let ordered: Vec<&str> = keys.iter().map(Key::as_str).collect();
        assert_eq!(ordered, ["a", "b", "c"]);
    }

    #[test]
    fn a_type_can_bring_its_own_constructor_and_serde() {
        let key = PairKey::new("10001", "20001");
        assert_eq!(key.as_str(), "10001:20001");
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"10001:20001\"");
        assert_eq!(
            serde_json::from_str::<PairKey>("\"10001:20001\"").unwrap(),
            key
        );
    }
}

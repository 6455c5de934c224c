//! The conformance suite of [`SetupStore`]: the saved public URL and the one-time set-up links.
//! A store crate runs it with [`setup_conformance_tests!`](crate::setup_conformance_tests).

use crate::ids::OrganizationId;
use crate::setup::{SetupLink, SetupStore, SetupToken, SetupTokenHash};
use crate::store::StoreError;

const NOW: u64 = 1_700_000_000;
const HOUR: u64 = 3_600;

fn link(organization: Option<u64>) -> SetupLink {
    SetupLink::new(
        &SetupToken::generate(),
        organization.map(OrganizationId::new),
        NOW,
        HOUR,
    )
}

/// No public URL until one is saved; a later save replaces it.
pub async fn saves_and_replaces_the_public_url<S: SetupStore>(store: S) {
    assert_eq!(store.public_url().await.unwrap(), None);
    store
        .save_public_url("https://old.example.com")
        .await
        .unwrap();
    store
        .save_public_url("https://sync.example.com")
        .await
        .unwrap();
    assert_eq!(
        store.public_url().await.unwrap().as_deref(),
        Some("https://sync.example.com")
    );
}

/// A created link reads back whole, by its hash only.
pub async fn a_created_link_reads_back<S: SetupStore>(store: S) {
    let created = link(Some(7));
    store.create_setup_link(created.clone()).await.unwrap();
    let other = link(None);
    store.create_setup_link(other.clone()).await.unwrap();
    assert_eq!(
        store.setup_link(&created.token_hash).await.unwrap(),
        Some(created)
    );
    assert_eq!(
        store.setup_link(&other.token_hash).await.unwrap(),
        Some(other)
    );
    assert_eq!(
        store
            .setup_link(&SetupTokenHash::of("not a token"))
            .await
            .unwrap(),
        None
    );
}

/// Two links with one token hash: the second is refused and the first is unchanged.
pub async fn a_second_link_with_the_same_hash_conflicts<S: SetupStore>(store: S) {
    let first = link(Some(1));
    store.create_setup_link(first.clone()).await.unwrap();
    let mut second = link(None);
    second.token_hash = first.token_hash.clone();
    let error = store.create_setup_link(second).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    assert_eq!(
        store.setup_link(&first.token_hash).await.unwrap(),
        Some(first)
    );
}

/// A link is used once: the second use answers false and keeps the first time.
pub async fn a_link_is_used_once<S: SetupStore>(store: S) {
    let created = link(None);
    store.create_setup_link(created.clone()).await.unwrap();
    assert!(
        store
            .use_setup_link(&created.token_hash, NOW + 10)
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_setup_link(&created.token_hash, NOW + 20)
            .await
            .unwrap()
    );
    let stored = store
        .setup_link(&created.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.used_at, Some(NOW + 10));
    assert!(
        !store
            .use_setup_link(&SetupTokenHash::of("unknown"), NOW)
            .await
            .unwrap()
    );
}

/// An expired link cannot be used, and stays unused.
pub async fn an_expired_link_cannot_be_used<S: SetupStore>(store: S) {
    let created = link(None);
    store.create_setup_link(created.clone()).await.unwrap();
    assert!(
        !store
            .use_setup_link(&created.token_hash, NOW + HOUR)
            .await
            .unwrap()
    );
    let stored = store
        .setup_link(&created.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.used_at, None);
}

/// A released link (its install failed) can be used again.
pub async fn a_released_link_can_be_used_again<S: SetupStore>(store: S) {
    let created = link(None);
    store.create_setup_link(created.clone()).await.unwrap();
    assert!(
        store
            .use_setup_link(&created.token_hash, NOW + 1)
            .await
            .unwrap()
    );
    store.release_setup_link(&created.token_hash).await.unwrap();
    assert_eq!(
        store
            .setup_link(&created.token_hash)
            .await
            .unwrap()
            .unwrap()
            .used_at,
        None
    );
    assert!(
        store
            .use_setup_link(&created.token_hash, NOW + 2)
            .await
            .unwrap()
    );
}

/// Of many uses at once, exactly one wins.
pub async fn concurrent_uses_of_one_link_let_one_win<S: SetupStore + 'static>(store: S) {
    let store = std::sync::Arc::new(store);
    let created = link(None);
    store.create_setup_link(created.clone()).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = std::sync::Arc::clone(&store);
            let hash = created.token_hash.clone();
            tokio::spawn(async move { store.use_setup_link(&hash, NOW + 5).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// Expands to one `#[tokio::test]` per behaviour of [`SetupStore`], each on a store made by
/// `$factory.await`; with `optional:`, `None` skips the test (the factory prints why).
#[macro_export]
macro_rules! setup_conformance_tests {
    ($factory:expr) => {
        $crate::setup_conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::__setup_conformance_tests!(
            $factory;
            saves_and_replaces_the_public_url,
            a_created_link_reads_back,
            a_second_link_with_the_same_hash_conflicts,
            a_link_is_used_once,
            an_expired_link_cannot_be_used,
            a_released_link_can_be_used_again,
            concurrent_uses_of_one_link_let_one_win,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __setup_conformance_tests {
    ($factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(store) = $factory.await {
                    $crate::conformance::setup::$name(store).await;
                }
            }
        )*
    };
}

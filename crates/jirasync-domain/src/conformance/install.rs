//! Recording an install (reference §1.6).

use jirasync_webhook::WebhookSecret;

use crate::ids::OrganizationId;
use crate::integration::{
    EXTERNAL_ID_MAX_CHARS, ExternalId, JiraCredentials, LinkStatus, SyncConfig,
};
use crate::organization::OrganizationFeatures;
use crate::rules::install::{InstallRequest, install_jira_server};
use crate::secret::SecretString;

use super::World;

fn request(
    organization_id: OrganizationId,
    base_url: &str,
    consumer_key: &str,
    secret: &str,
) -> InstallRequest {
    InstallRequest {
        organization_id,
        base_url: base_url.into(),
        consumer_key: consumer_key.into(),
        verify_ssl: true,
        webhook_secret: WebhookSecret::new(secret),
        credentials: JiraCredentials::OAuth1 {
            consumer_key: consumer_key.into(),
            private_key_pem: SecretString::new("-----BEGIN PRIVATE KEY-----"),
            access_token: "access-token".into(),
            access_token_secret: SecretString::new("token-secret"),
        },
        installed_by: None,
    }
}

/// Behaviour: install records integration identity and link.
pub async fn install_records_integration_identity_and_link<S: World + 'static>(store: S) {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let installed = install_jira_server(
        &store,
        request(
            organization,
            "https://jira.example.com:8443/",
            "sentry-bot",
            "s1",
        ),
    )
    .await
    .unwrap();
    assert!(installed.integration_created && installed.link_created);
    let integration = &installed.integration;
    assert_eq!(integration.provider, "jira_server");
    assert_eq!(integration.name, "sentry-bot");
    assert_eq!(
        integration.external_id.as_str(),
        "jira.example.com:8443:sentry-bot"
    );
    assert_eq!(
        integration.metadata.base_url,
        "https://jira.example.com:8443"
    );
    assert_eq!(integration.metadata.domain_name, "jira.example.com:8443");
    assert!(integration.metadata.verify_ssl);
    assert_eq!(
        integration.metadata.webhook_secrets,
        vec![WebhookSecret::new("s1")]
    );
    assert_eq!(
        installed.organization_integration.status,
        LinkStatus::Active
    );
    assert_eq!(
        installed.organization_integration.config,
        SyncConfig::default()
    );
    assert_eq!(
        installed.organization_integration.default_identity_id,
        Some(installed.identity.id)
    );
    let found = store
        .integration_by_external_id("jira_server", &integration.external_id)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(integration));
    let identity = store.identity(organization, integration.id).await.unwrap();
    assert_eq!(identity, Some(installed.identity.clone()));
    assert!(!format!("{:?}", installed.identity).contains("token-secret"));
}

/// Behaviour: external id is cut to 64 characters.
pub async fn external_id_is_cut_to_64_characters<S: World + 'static>(store: S) {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let installed = install_jira_server(
        &store,
        request(
            organization,
            "https://jira.example.com",
            "a-very-long-consumer-key-that-when-combined-with-the-hostname-is-too-long",
            "s1",
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        installed.integration.external_id.as_str(),
        "jira.example.com:a-very-long-consumer-key-that-when-combined-wit"
    );
    // Cut on a character boundary, never inside a character.
    let cut = ExternalId::for_jira("jira.example.com", &"é".repeat(80));
    assert_eq!(cut.as_str().chars().count(), EXTERNAL_ID_MAX_CHARS);
}

/// Behaviour: second organization can install the same jira.
pub async fn second_organization_can_install_the_same_jira<S: World + 'static>(store: S) {
    let first = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let second = store
        .seed_organization("globex", OrganizationFeatures::all())
        .await
        .unwrap();
    let a = install_jira_server(
        &store,
        request(first, "https://jira.example.com", "bot", "s1"),
    )
    .await
    .unwrap();
    let b = install_jira_server(
        &store,
        request(second, "https://jira.example.com", "bot", "s2"),
    )
    .await
    .unwrap();
    assert_eq!(a.integration.id, b.integration.id);
    assert!(!b.integration_created && b.link_created);
    assert_ne!(a.identity.id, b.identity.id);
    // Both organizations' webhook tokens stay valid.
    assert_eq!(
        b.integration.metadata.webhook_secrets,
        vec![WebhookSecret::new("s1"), WebhookSecret::new("s2")]
    );
    let links = store.organization_links(a.integration.id).await.unwrap();
    let organizations: Vec<_> = links.iter().map(|link| link.organization.id).collect();
    assert_eq!(organizations, vec![first, second]);
}

/// Behaviour: reinstall is idempotent.
pub async fn reinstall_is_idempotent<S: World + 'static>(store: S) {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let first = install_jira_server(
        &store,
        request(organization, "https://jira.example.com", "bot", "s1"),
    )
    .await
    .unwrap();
    // The organization configured sync in between; a re-install keeps it.
    store
        .seed_organization_integration(
            organization,
            first.integration.id,
            LinkStatus::Disabled,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let again = install_jira_server(
        &store,
        request(organization, "https://jira.example.com/", "bot", "s1"),
    )
    .await
    .unwrap();
    assert_eq!(again.integration.id, first.integration.id);
    assert_eq!(again.identity.id, first.identity.id);
    assert!(!again.integration_created && !again.link_created);
    assert_eq!(again.organization_integration.status, LinkStatus::Active);
    assert_eq!(again.organization_integration.config, SyncConfig::all_on());
    assert_eq!(again.integration.metadata.webhook_secrets.len(), 1);
    assert_eq!(
        store
            .organization_links(first.integration.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Behaviour: installs of one Jira by several organizations at the same moment all succeed
/// (the one whose write finds the rows changed plans again), and the integration ends with
/// every organization's secret.
pub async fn concurrent_installs_of_one_jira_all_succeed<S: World + 'static>(store: S) {
    const ORGANIZATIONS: usize = 6;
    let store = std::sync::Arc::new(store);
    let mut organizations = Vec::new();
    for n in 0..ORGANIZATIONS {
        let name = format!("org-{n}");
        organizations.push(
            store
                .seed_organization(&name, OrganizationFeatures::all())
                .await
                .unwrap(),
        );
    }
    let tasks: Vec<_> = organizations
        .iter()
        .enumerate()
        .map(|(n, organization)| {
            let store = std::sync::Arc::clone(&store);
            let request = request(
                *organization,
                "https://jira.example.com",
                "jirasync",
                &format!("secret-{n}"),
            );
            tokio::spawn(async move { install_jira_server(&*store, request).await })
        })
        .collect();
    let mut integration = None;
    for task in tasks {
        let installed = task.await.unwrap().expect("every install succeeds");
        integration.get_or_insert(installed.integration.id);
        assert_eq!(Some(installed.integration.id), integration);
    }
    let stored = store
        .integration(integration.unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut secrets: Vec<String> = stored
        .metadata
        .webhook_secrets
        .iter()
        .map(|secret| secret.expose_secret().to_owned())
        .collect();
    secrets.sort();
    let expected: Vec<String> = (0..ORGANIZATIONS).map(|n| format!("secret-{n}")).collect();
    assert_eq!(secrets, expected);
    for organization in organizations {
        let links = store.organization_links(stored.id).await.unwrap();
        assert!(
            links
                .iter()
                .any(|link| link.organization.id == organization)
        );
    }
}

/// Behaviour: a plan made on secrets that changed since is refused as a conflict and writes
/// nothing; the same for a plan that creates an integration that exists by now.
pub async fn save_install_refuses_a_plan_made_on_a_stale_read<S: World + 'static>(store: S) {
    use crate::rules::install::{ExistingInstall, InstallRecord, merge_install};
    use crate::store::StoreError;

    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let first = install_jira_server(
        &store,
        request(organization, "https://jira.example.com", "jirasync", "s1"),
    )
    .await
    .unwrap();
    let record = |secret: &str| InstallRecord {
        organization_id: organization,
        external_id: first.integration.external_id.clone(),
        name: "jirasync".into(),
        metadata: crate::integration::IntegrationMetadata {
            webhook_secrets: vec![WebhookSecret::new(secret)],
            ..first.integration.metadata.clone()
        },
        credentials: first.identity.credentials.clone(),
        installed_by: None,
    };
    // Planned as if nothing existed: the integration exists.
    let stale = merge_install(&ExistingInstall::default(), record("s2"));
    let refused = store.save_install(stale).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    // Planned on an older list of secrets.
    let mut older = first.integration.clone();
    older.metadata.webhook_secrets = Vec::new();
    let existing = ExistingInstall {
        integration: Some(older),
        identity: Some(first.identity.id),
        link: true,
    };
    let refused = store
        .save_install(merge_install(&existing, record("s3")))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    let stored = store
        .integration(first.integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, first.integration, "a refused plan wrote nothing");
}

/// Behaviour: an organization is registered with the application's id, and saving it again
/// replaces its name and flags; id 0 is refused.
pub async fn save_organization_creates_and_replaces<S: World + 'static>(store: S) {
    use crate::organization::Organization;
    use crate::store::StoreError;

    let mut organization = Organization {
        id: OrganizationId::new(4_242),
        name: "acme".into(),
        features: OrganizationFeatures::all(),
    };
    store.save_organization(organization.clone()).await.unwrap();
    assert_eq!(
        store.organization(organization.id).await.unwrap(),
        Some(organization.clone())
    );
    organization.name = "acme corp".into();
    organization.features.external_actors = false;
    store.save_organization(organization.clone()).await.unwrap();
    assert_eq!(
        store.organization(organization.id).await.unwrap(),
        Some(organization.clone())
    );
    assert_eq!(store.organizations().await.unwrap(), vec![organization]);
    let zero = Organization {
        id: OrganizationId::new(0),
        name: "zero".into(),
        features: OrganizationFeatures::all(),
    };
    let refused = store.save_organization(zero).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "{refused:?}"
    );
}

//! Outbound status sync's per-project mappings ([`crate::outbound::StatusMapping`]): stored per
//! organization, integration and project id; replaced by a new one of the same project; found
//! and removed by key or id; dropped with the organization's link.

use super::World;
use super::fixture::Fixture;
use crate::ids::OrganizationId;
use crate::outbound::StatusMapping;

fn mapping<S: World + ?Sized>(
    f: &Fixture<S>,
    organization: OrganizationId,
    project: (&str, &str),
    statuses: (&str, &str),
) -> StatusMapping {
    StatusMapping {
        organization_id: organization,
        integration_id: f.integration,
        project_id: project.0.to_owned(),
        project_key: project.1.to_owned(),
        on_resolve: statuses.0.to_owned(),
        on_unresolve: statuses.1.to_owned(),
    }
}

/// Behaviour: mappings are kept per organization and project id, listed by key, replaced by a
/// new one for the same project id (a renamed key follows), and removed by key or id, exactly.
pub async fn status_mappings_are_kept_per_organization_and_project<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let other = OrganizationId::new(f.organization.get() + 1000);
    let shop = mapping(&f, f.organization, ("10000", "SHOP"), ("5", "1"));
    let app = mapping(&f, f.organization, ("10001", "APP"), ("10102", "3"));
    let elsewhere = mapping(&f, other, ("10000", "SHOP"), ("6", "4"));
    for stored in [&shop, &app, &elsewhere] {
        f.store.put_status_mapping(stored).await.unwrap();
    }
    let mine = f
        .store
        .status_mappings(f.organization, f.integration)
        .await
        .unwrap();
    assert_eq!(mine, vec![app.clone(), shop.clone()]);
    assert_eq!(
        f.store.status_mappings(other, f.integration).await.unwrap(),
        vec![elsewhere.clone()]
    );

    // The same project id again replaces the mapping, key included (a renamed project).
    let renamed = mapping(&f, f.organization, ("10000", "STORE"), ("6", "4"));
    f.store.put_status_mapping(&renamed).await.unwrap();
    assert_eq!(
        f.store
            .status_mappings(f.organization, f.integration)
            .await
            .unwrap(),
        vec![app.clone(), renamed.clone()]
    );

    // Removed by key (exactly) or by id; the other organization's stays.
    assert!(
        !f.store
            .remove_status_mapping(f.organization, f.integration, "store")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .remove_status_mapping(f.organization, f.integration, "STORE")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .remove_status_mapping(f.organization, f.integration, "10001")
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .remove_status_mapping(f.organization, f.integration, "10001")
            .await
            .unwrap()
    );
    assert!(
        f.store
            .status_mappings(f.organization, f.integration)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store.status_mappings(other, f.integration).await.unwrap(),
        vec![elsewhere]
    );
}

/// Behaviour: removing an organization's link to the integration drops its status mappings.
pub async fn removing_a_link_drops_its_status_mappings<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.store
        .put_status_mapping(&mapping(&f, f.organization, ("10000", "SHOP"), ("5", "1")))
        .await
        .unwrap();
    f.store
        .remove_link(f.organization, f.integration)
        .await
        .unwrap();
    assert!(
        f.store
            .status_mappings(f.organization, f.integration)
            .await
            .unwrap()
            .is_empty()
    );
}

//! External users and teams through the admin API: the statuses and messages of
//! reference-behaviour §5.3–§5.4, decided by the domain's rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod admin_support;
mod support;

use admin_support::{AdminWorld, DOES_NOT_EXIST, FORBIDDEN};
use axum::http::StatusCode;
use jirasync_domain::ExternalActorStore;
use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use serde_json::{Value, json};

fn users_path(world: &AdminWorld) -> String {
    format!("/api/0/organizations/{}/external-users/", world.org)
}

fn teams_path(world: &AdminWorld) -> String {
    format!("/api/0/teams/{}/{}/external-teams/", world.org, world.team)
}

fn jess_body(world: &AdminWorld, name: &str) -> Value {
    json!({
        "externalName": name,
        "provider": "jira_server",
        "integrationId": world.world.integration_id.get(),
        "userId": world.world.jess.get(),
    })
}

async fn create_jess(world: &AdminWorld) -> Value {
    let answer = world
        .call("POST", &users_path(world), Some(jess_body(world, "jess")))
        .await;
    answer.assert_status(StatusCode::CREATED);
    answer.json
}

#[tokio::test]
async fn creates_an_external_user_with_201_and_returns_it_camel_cased() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    assert_eq!(
        created,
        json!({
            "id": created["id"].as_str().unwrap(),
            "externalName": "jess",
            "provider": "jira_server",
            "userId": world.world.jess.to_string(),
            "integrationId": world.world.integration_id.to_string(),
        })
    );
    let listed = world.call("GET", &users_path(&world), None).await;
    listed.assert_status(StatusCode::OK);
    assert_eq!(listed.json, json!([created]));
}

#[tokio::test]
async fn the_same_user_and_name_again_is_200_with_the_existing_actor() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    for name in ["jess", "JESS"] {
        let again = world
            .call("POST", &users_path(&world), Some(jess_body(&world, name)))
            .await;
        again.assert_status(StatusCode::OK);
        assert_eq!(again.json, created);
    }
}

#[tokio::test]
async fn a_name_mapped_to_another_user_makes_a_new_actor() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    let mut body = jess_body(&world, "jess");
    body["userId"] = json!(world.world.bob.to_string());
    let answer = world.call("POST", &users_path(&world), Some(body)).await;
    answer.assert_status(StatusCode::CREATED);
    assert_ne!(answer.json["id"], created["id"]);
    assert_eq!(answer.json["userId"], world.world.bob.to_string());
}

#[tokio::test]
async fn two_actors_differing_by_case_are_409() {
    let world = AdminWorld::new().await;
    for name in ["jess", "Jess"] {
        world
            .world
            .store
            .insert_external_actor(NewExternalActor {
                organization_id: world.org,
                integration_id: world.world.integration_id,
                provider: ExternalProvider::JiraServer,
                external_name: name.to_owned(),
                external_id: None,
                target: ActorTarget::User(world.world.jess),
            })
            .await
            .unwrap();
    }
    world
        .assert_refused(
            "POST",
            &users_path(&world),
            Some(jess_body(&world, "JESS")),
            409,
            "Multiple external associations match the requested actor.",
        )
        .await;
}

#[tokio::test]
async fn invalid_fields_are_400_with_the_reference_messages() {
    let world = AdminWorld::new().await;
    let path = users_path(&world);
    let integration = world.world.integration_id.get();
    let jess = world.world.jess.get();
    let cases = [
        (
            json!({"externalName": "octocat", "provider": "github", "integrationId": integration, "userId": jess}),
            "externalName",
            "External Name must start with '@' and can't contain special characters or spaces.",
        ),
        (
            json!({"externalName": "jess", "provider": "email", "integrationId": integration, "userId": jess}),
            "provider",
            "\"email\" is not a valid choice.",
        ),
        (
            json!({"externalName": "jess", "externalId": "", "provider": "jira_server", "integrationId": integration, "userId": jess}),
            "externalId",
            "This field may not be blank.",
        ),
        (
            json!({"externalName": "jess", "externalId": "x".repeat(65), "provider": "jira_server", "integrationId": integration, "userId": jess}),
            "externalId",
            "external_id has invalid length: 65. Length must be between 1 and 64",
        ),
        (
            json!({"externalName": "jess", "provider": "jira_server", "integrationId": 77, "userId": jess}),
            "integrationId",
            "Integration does not exist for this organization",
        ),
        (
            json!({"externalName": "carol", "provider": "jira_server", "integrationId": integration, "userId": world.carol.get()}),
            "userId",
            "This member does not exist.",
        ),
    ];
    for (body, field, message) in cases {
        let answer = world
            .assert_refused(
                "POST",
                &path,
                Some(body),
                400,
                &format!("{field}: {message}"),
            )
            .await;
        assert_eq!(answer.json[field], json!([message]));
    }
}

#[tokio::test]
async fn a_body_missing_a_member_or_mistyped_is_400_naming_it() {
    let world = AdminWorld::new().await;
    let cases = [
        (
            "userId",
            None,
            "The body is not valid: missing field `userId`.",
        ),
        (
            "externalName",
            None,
            "The body is not valid: missing field `externalName` at line 1 column 55.",
        ),
        (
            "integrationId",
            Some(json!("one")),
            "The body is not valid: integrationId: A valid integer is required, found \"one\" \
             at line 1 column 44.",
        ),
    ];
    for (member, value, detail) in cases {
        let mut body = jess_body(&world, "jess");
        match value {
            Some(value) => body[member] = value,
            None => {
                body.as_object_mut().unwrap().remove(member);
            }
        }
        world
            .assert_refused("POST", &users_path(&world), Some(body), 400, detail)
            .await;
    }
}

#[tokio::test]
async fn an_organization_without_the_feature_is_403_on_create_and_update() {
    let world = AdminWorld::new().await;
    let org = world.no_feature_org;
    let body = json!({"externalName": "dave", "provider": "jira_server",
                      "integrationId": world.world.integration_id.get(), "userId": world.dave.get()});
    world
        .assert_refused(
            "POST",
            &format!("/api/0/organizations/{org}/external-users/"),
            Some(body),
            403,
            FORBIDDEN,
        )
        .await;
    let actor = world
        .world
        .store
        .insert_external_actor(NewExternalActor {
            organization_id: org,
            integration_id: world.world.integration_id,
            provider: ExternalProvider::JiraServer,
            external_name: "dave".to_owned(),
            external_id: None,
            target: ActorTarget::User(world.dave),
        })
        .await
        .unwrap();
    let path = format!("/api/0/organizations/{org}/external-users/{}/", actor.id);
    world
        .assert_refused(
            "PUT",
            &path,
            Some(json!({"externalName": "d"})),
            403,
            FORBIDDEN,
        )
        .await;
    // Delete has no feature check (reference §5.3).
    let deleted = world.call("DELETE", &path, None).await;
    deleted.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn updates_an_external_user_partially_ignoring_an_id_in_the_body() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    let id = created["id"].as_str().unwrap();
    let answer = world
        .call(
            "PUT",
            &format!("{}{id}/", users_path(&world)),
            Some(json!({"id": "999", "externalName": "jess.m", "externalId": "JIRAUSER10100"})),
        )
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json["id"], id);
    assert_eq!(answer.json["externalName"], "jess.m");
    assert_eq!(answer.json["externalId"], "JIRAUSER10100");
    assert_eq!(answer.json["provider"], "jira_server");

    let cleared = world
        .call(
            "PUT",
            &format!("{}{id}/", users_path(&world)),
            Some(json!({"externalId": null, "userId": world.world.bob.get()})),
        )
        .await;
    cleared.assert_status(StatusCode::OK);
    assert_eq!(cleared.json.get("externalId"), None);
    assert_eq!(cleared.json["userId"], world.world.bob.to_string());
}

#[tokio::test]
async fn an_update_onto_a_taken_name_is_400() {
    let world = AdminWorld::new().await;
    create_jess(&world).await;
    let other = world
        .call(
            "POST",
            &users_path(&world),
            Some(jess_body(&world, "jessica")),
        )
        .await;
    other.assert_status(StatusCode::CREATED);
    let id = other.json["id"].as_str().unwrap();
    world
        .assert_refused(
            "PUT",
            &format!("{}{id}/", users_path(&world)),
            Some(json!({"externalName": "jess"})),
            400,
            "There already exists an external association with this external_name and provider.",
        )
        .await;
}

#[tokio::test]
async fn an_actor_of_another_organization_is_404() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    let id = created["id"].as_str().unwrap();
    let path = format!(
        "/api/0/organizations/{}/external-users/{id}/",
        world.other_org
    );
    world
        .assert_refused(
            "PUT",
            &path,
            Some(json!({"externalName": "x"})),
            404,
            DOES_NOT_EXIST,
        )
        .await;
    world
        .assert_refused("DELETE", &path, None, 404, DOES_NOT_EXIST)
        .await;
    for path in [
        format!("{}12345/", users_path(&world)),
        format!("{}abc/", users_path(&world)),
        "/api/0/organizations/999/external-users/1/".to_owned(),
    ] {
        world
            .assert_refused("DELETE", &path, None, 404, DOES_NOT_EXIST)
            .await;
    }
    world
        .assert_refused(
            "POST",
            "/api/0/organizations/999/external-users/",
            Some(jess_body(&world, "jess")),
            404,
            DOES_NOT_EXIST,
        )
        .await;
    world
        .assert_refused(
            "GET",
            "/api/0/organizations/999/external-users/",
            None,
            404,
            DOES_NOT_EXIST,
        )
        .await;
}

#[tokio::test]
async fn deletes_an_external_user_with_204() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    let path = format!("{}{}/", users_path(&world), created["id"].as_str().unwrap());
    let answer = world.call("DELETE", &path, None).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(answer.text, "");
    let listed = world.call("GET", &users_path(&world), None).await;
    assert_eq!(listed.json, json!([]));
    world
        .assert_refused("DELETE", &path, None, 404, DOES_NOT_EXIST)
        .await;
}

#[tokio::test]
async fn external_teams_take_the_team_from_the_path() {
    let world = AdminWorld::new().await;
    let body = json!({"externalName": "platform-devs", "provider": "jira_server",
                      "integrationId": world.world.integration_id.to_string(),
                      "teamId": world.other_team.get()});
    let created = world
        .call("POST", &teams_path(&world), Some(body.clone()))
        .await;
    created.assert_status(StatusCode::CREATED);
    assert_eq!(created.json["teamId"], world.team.to_string());
    assert_eq!(created.json.get("userId"), None);
    let again = world.call("POST", &teams_path(&world), Some(body)).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json, created.json);

    let listed = world.call("GET", &teams_path(&world), None).await;
    assert_eq!(listed.json, json!([created.json]));
    // A team actor is not an external user.
    let users = world.call("GET", &users_path(&world), None).await;
    assert_eq!(users.json, json!([]));

    let id = created.json["id"].as_str().unwrap();
    let updated = world
        .call(
            "PUT",
            &format!("{}{id}/", teams_path(&world)),
            Some(json!({"externalName": "platform"})),
        )
        .await;
    updated.assert_status(StatusCode::OK);
    assert_eq!(updated.json["externalName"], "platform");
    assert_eq!(updated.json["teamId"], world.team.to_string());

    world
        .assert_refused(
            "DELETE",
            &format!("{}{id}/", users_path(&world)),
            None,
            404,
            DOES_NOT_EXIST,
        )
        .await;
    let deleted = world
        .call("DELETE", &format!("{}{id}/", teams_path(&world)), None)
        .await;
    deleted.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_team_outside_the_organization_is_refused() {
    let world = AdminWorld::new().await;
    let path = format!(
        "/api/0/teams/{}/{}/external-teams/",
        world.org, world.other_team
    );
    let body = json!({"externalName": "globex", "provider": "jira_server",
                      "integrationId": world.world.integration_id.get()});
    let answer = world
        .assert_refused(
            "POST",
            &path,
            Some(body),
            400,
            "teamId: This team does not exist.",
        )
        .await;
    assert_eq!(answer.json["teamId"], json!(["This team does not exist."]));
    world
        .assert_refused("GET", &path, None, 404, DOES_NOT_EXIST)
        .await;
    world
        .assert_refused(
            "PUT",
            &format!("{path}1/"),
            Some(json!({})),
            404,
            DOES_NOT_EXIST,
        )
        .await;
}

#[tokio::test]
async fn a_user_actor_is_not_reached_through_a_team_route() {
    let world = AdminWorld::new().await;
    let created = create_jess(&world).await;
    let path = format!("{}{}/", teams_path(&world), created["id"].as_str().unwrap());
    world
        .assert_refused("DELETE", &path, None, 404, DOES_NOT_EXIST)
        .await;
}

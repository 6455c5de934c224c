//! `jirasync keygen`: the key files, their permissions, the printed public key and steps, and
//! the refusal to overwrite.
#![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use jirasync_client::{PrivateKey, PublicKey};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn writes_a_pkcs8_private_key_readable_only_by_its_owner_and_prints_the_public_key_and_steps() {
    let workdir = support::Workdir::new();
    let run = workdir.run(&[
        "keygen",
        "--out",
        "keys",
        "--public-url",
        "https://sync.example.com",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");

    let private_path = workdir.path().join("keys/jira_privatekey.pem");
    let public_path = workdir.path().join("keys/jira_publickey.pem");
    let private_pem = std::fs::read_to_string(&private_path).unwrap();
    let public_pem = std::fs::read_to_string(&public_path).unwrap();
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(mode(&private_path), 0o600);
    assert_eq!(mode(&public_path), 0o644);
    let key = PrivateKey::from_pem(&private_pem).unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(PublicKey::from_pem(&public_pem).unwrap(), key.public_key());

    assert!(run.stdout.contains(public_pem.trim_end()), "{}", run.stdout);
    assert!(
        !run.stdout.contains("PRIVATE KEY-----\nMII"),
        "the private key is never printed"
    );
    for step in [
        "  1. In Jira, open Administration > Applications > Application Links.",
        "  2. Enter jirasync's public URL, https://sync.example.com,",
        "  4. On the incoming authentication page",
        "       Consumer Callback URL: https://sync.example.com/extensions/jira-server/setup/",
        "  5. Save.",
    ] {
        assert!(
            run.stdout.contains(step),
            "missing {step:?} in {}",
            run.stdout
        );
    }
}

#[test]
fn refuses_to_overwrite_existing_keys_without_force() {
    let workdir = support::Workdir::new();
    let private_path = workdir.path().join("jira_privatekey.pem");
    std::fs::write(&private_path, "the old key").unwrap();
    let run = workdir.run(&["keygen"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("error: ./jira_privatekey.pem already exists: pass --force to replace it"),
        "{run:?}"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(
        std::fs::read_to_string(&private_path).unwrap(),
        "the old key"
    );
    assert!(!workdir.path().join("jira_publickey.pem").exists());
}

#[test]
fn refuses_an_existing_public_key_too() {
    let workdir = support::Workdir::new();
    std::fs::write(workdir.path().join("jira_publickey.pem"), "old").unwrap();
    let run = workdir.run(&["keygen"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("jira_publickey.pem already exists"),
        "{run:?}"
    );
    assert!(!workdir.path().join("jira_privatekey.pem").exists());
}

#[test]
fn force_replaces_existing_keys_and_resets_the_private_key_mode() {
    let workdir = support::Workdir::new();
    let private_path = workdir.path().join("jira_privatekey.pem");
    std::fs::write(&private_path, "the old key").unwrap();
    std::fs::set_permissions(&private_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = workdir.run(&["keygen", "--force"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(mode(&private_path), 0o600);
    PrivateKey::from_pem(&std::fs::read_to_string(&private_path).unwrap()).unwrap();
}

#[test]
fn refuses_key_sizes_outside_the_supported_range_as_a_usage_error() {
    let workdir = support::Workdir::new();
    let run = workdir.run(&["keygen", "--bits", "1024"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("expected a whole number of bits from 2048 to 8192"),
        "{run:?}"
    );
    assert!(!workdir.path().join("jira_privatekey.pem").exists());
}

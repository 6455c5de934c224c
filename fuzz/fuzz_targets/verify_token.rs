//! Any URL token: verification and peeking must answer, never panic, and a minted token must
//! verify to its own id.
#![no_main]

use jirasync_webhook::{MAX_TOKEN_LEN, WebhookSecret, mint_token, peek_external_id, verify_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secrets = [
        WebhookSecret::new("fuzz-secret-old"),
        WebhookSecret::new("fuzz-secret-new"),
    ];
    let verified = verify_token(text, &secrets);
    let peeked = peek_external_id(text);
    if let Ok(verified) = &verified {
        // Whatever verifies must also peek to the same id.
        assert_eq!(peeked.as_deref().ok(), Some(verified.external_id()));
    }

    let token = mint_token(text, &secrets[1]);
    if token.expose_secret().len() <= MAX_TOKEN_LEN {
        let verified = verify_token(token.expose_secret(), &secrets).expect("a minted token verifies");
        assert_eq!(verified.external_id(), text);
        assert_eq!(verified.secret_index(), 1);
    }
});

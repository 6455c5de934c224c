//! Random text from the operating system: new secrets, session ids and OAuth nonces.

use rand_core::{OsRng, RngCore};
use secrecy::zeroize::Zeroizing;

/// `BYTES` random bytes from the operating system, as lower-case hex (two characters a byte).
///
/// The random bytes are zeroed once encoded; wrap the text in a [`Secret`](crate::Secret) (which
/// zeroes the `String` it is given) when it is one.
///
/// ```
/// let nonce = jirasync_core::random_hex::<16>();
/// assert_eq!(nonce.len(), 32);
/// assert!(nonce.bytes().all(|c| c.is_ascii_hexdigit()));
/// ```
pub fn random_hex<const BYTES: usize>() -> String {
    let mut bytes = Zeroizing::new([0_u8; BYTES]);
    OsRng.fill_bytes(bytes.as_mut());
    let mut text = String::with_capacity(BYTES * 2);
    for byte in bytes.iter() {
        for nibble in [byte >> 4, byte & 0x0f] {
            // A nibble is always a hex digit; `from_digit` writes it in lower case.
            text.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    text
}

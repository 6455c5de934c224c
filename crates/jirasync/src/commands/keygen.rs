//! `jirasync keygen`: write an RSA key pair for Jira's Application Link and print the public key
//! with the steps to set the link up (docs/jira-setup.md).

use std::io::Write;
use std::path::Path;

use jirasync_client::PrivateKey;

use crate::cli::KeygenArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::files::{PUBLIC_FILE_MODE, SECRET_FILE_MODE, write_file};

/// The private key's file name (PKCS#8 PEM, mode 0600).
const PRIVATE_KEY_FILE: &str = "jira_privatekey.pem";
/// The public key's file name (the text for Jira's Application Link).
const PUBLIC_KEY_FILE: &str = "jira_publickey.pem";

pub(super) fn run(args: &KeygenArgs, config: &Config, out: &mut dyn Write) -> Result<(), CliError> {
    let private_path = args.out.join(PRIVATE_KEY_FILE);
    let public_path = args.out.join(PUBLIC_KEY_FILE);
    if !args.force {
        // Refuse before the (slow) generation; `write_file` refuses again if one appears meanwhile.
        for path in [&private_path, &public_path] {
            if path.symlink_metadata().is_ok() {
                return Err(CliError::WouldOverwrite { path: path.clone() });
            }
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::File {
        what: "create the directory",
        path: args.out.clone(),
        source,
    })?;
    tracing::info!(bits = args.bits, "generating an RSA key pair");
    let key = PrivateKey::generate_with_bits(args.bits)?;
    let public_pem = key.public_key().to_pem()?;
    write_file(
        &private_path,
        key.to_pkcs8_pem()?.as_bytes(),
        SECRET_FILE_MODE,
        args.force,
    )?;
    write_file(
        &public_path,
        public_pem.as_bytes(),
        PUBLIC_FILE_MODE,
        args.force,
    )?;
    write!(
        out,
        "{}",
        instructions(&private_path, &public_path, &public_pem, &config.public_url)
    )?;
    if let Some(warning) = crate::public_url::loopback_warning(&config.public_url) {
        writeln!(out, "\n{warning}")?;
    }
    Ok(())
}

/// What keygen prints: where the keys are, the public key, and the Application Link steps.
fn instructions(
    private_path: &Path,
    public_path: &Path,
    public_pem: &str,
    public_url: &str,
) -> String {
    format!(
        "Wrote the private key to {private} (keep it secret: it stays with jirasync) and the public key to {public}.

Public key, for Jira:

{public_pem_trimmed}

Set up the Application Link in Jira (a Jira administrator; details in docs/jira-setup.md):

  1. In Jira, open Administration > Applications > Application Links.
  2. Enter jirasync's public URL, {public_url}, and choose Create new link (or Create link,
     type Generic application). If Jira says it got no response from the URL, continue.
  3. Name it (for example jirasync), choose type Generic Application and tick Create incoming link.
     The outgoing fields may keep placeholder values: jirasync does not use them.
  4. On the incoming authentication page, fill in:
       Consumer Key:          a name you choose, such as jirasync (give jirasync the same value)
       Consumer Name:         what users see when they approve access, such as jirasync
       Public Key:            the whole public key above, BEGIN and END lines included
       Consumer Callback URL: {public_url}/extensions/jira-server/setup/
     Leave Allow 2-Legged OAuth off.
  5. Save. The link now shows OAuth under incoming authentication.

Then connect jirasync to Jira with that consumer key and the private key file {private}.
",
        private = private_path.display(),
        public = public_path.display(),
        public_pem_trimmed = public_pem.trim_end(),
    )
}

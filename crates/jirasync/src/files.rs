//! Writing the files the commands produce, with the permissions their contents call for.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::error::CliError;

/// Mode of files that hold secrets (private keys, state files): owner read and write only.
pub(crate) const SECRET_FILE_MODE: u32 = 0o600;
/// Mode of files anyone may read (public keys).
pub(crate) const PUBLIC_FILE_MODE: u32 = 0o644;

/// Writes `contents` to `path` with `mode` (on Unix). Without `replace`, an existing file is
/// refused with [`CliError::WouldOverwrite`]; with it, the file is replaced and its mode reset.
pub(crate) fn write_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    replace: bool,
) -> Result<(), CliError> {
    let file_error = |source| CliError::File {
        what: "write",
        path: path.to_owned(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::WouldOverwrite {
                path: path.to_owned(),
            }
        } else {
            file_error(source)
        }
    })?;
    // A replaced file keeps its old mode otherwise.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .map_err(file_error)?;
    #[cfg(not(unix))]
    let _ = mode;
    file.write_all(contents).map_err(file_error)?;
    file.sync_all().map_err(file_error)
}

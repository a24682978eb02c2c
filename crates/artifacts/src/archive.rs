//! The zips artifacts are: one file read out under a decompressed-size cap,
//! and a zip written from files.

use std::io::{Cursor, Read, Write};

use crate::ArtifactError;

/// Reads one file out of a zip, refusing to inflate it past `limit` bytes.
/// `artifact` names the zip in messages.
pub fn read_file(
    zip_bytes: &[u8],
    path: &str,
    limit: u64,
    artifact: &str,
) -> Result<Vec<u8>, ArtifactError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| ArtifactError::NotZip {
            location: artifact.to_string(),
            message: e.to_string(),
        })?;
    let wanted = path.trim_start_matches("./").trim_start_matches('/');
    let missing = || ArtifactError::FileMissing {
        file: wanted.to_string(),
        artifact: artifact.to_string(),
    };
    let index = archive.index_for_name(wanted).ok_or_else(missing)?;
    let mut file = archive
        .by_index(index)
        .map_err(|e| ArtifactError::Corrupt {
            file: wanted.to_string(),
            artifact: artifact.to_string(),
            message: e.to_string(),
        })?;
    if file.is_dir() {
        return Err(missing());
    }
    let too_large = || ArtifactError::FileTooLarge {
        file: wanted.to_string(),
        artifact: artifact.to_string(),
        limit,
    };
    // The declared size can lie; the read below is capped regardless.
    if file.size() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ArtifactError::Corrupt {
            file: wanted.to_string(),
            artifact: artifact.to_string(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A zip holding `files` (name, content), deflated.
pub fn write_zip(files: &[(&str, &[u8])]) -> Result<Vec<u8>, ArtifactError> {
    let fail = |e: &dyn std::fmt::Display| ArtifactError::WriteFailed {
        location: "(zip in memory)".to_string(),
        message: e.to_string(),
    };
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        writer.start_file(*name, options).map_err(|e| fail(&e))?;
        writer.write_all(content).map_err(|e| fail(&e))?;
    }
    let cursor = writer.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}

//! Zip archives in memory, as CodePipeline stores artifacts in S3.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

/// A zip of `(name, contents)` entries, deflated.
pub fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for (name, contents) in entries {
        writer
            .start_file(*name, options)
            .unwrap_or_else(|e| panic!("start zip entry {name}: {e}"));
        writer
            .write_all(contents)
            .unwrap_or_else(|e| panic!("write zip entry {name}: {e}"));
    }
    writer.finish().expect("finish zip").into_inner()
}

/// Every file entry of a zip, by name. Panics if `bytes` is not a zip.
pub fn read_zip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("not a zip archive ({} bytes): {e}", bytes.len()));
    let mut entries = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .unwrap_or_else(|e| panic!("zip entry {i}: {e}"));
        if file.is_dir() {
            continue;
        }
        let name = file
            .name()
            .unwrap_or_else(|e| panic!("name of zip entry {i}: {e}"))
            .into_owned();
        let mut contents = Vec::new();
        file.read_to_end(&mut contents)
            .unwrap_or_else(|e| panic!("read zip entry {name}: {e}"));
        entries.insert(name, contents);
    }
    entries
}

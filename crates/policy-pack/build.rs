//! Embeds every pack: each folder named in `PACKS`, each `*.yaml` file in
//! it a service (its rule items). Adding a service file needs no code edit.

use std::fmt::Write as _;
use std::path::Path;

/// The packs, each a folder of this crate.
const PACKS: &[&str] = &["standard"];

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut code =
        String::from("/// Every pack: its name and its service files `(service, text)`.\n");
    code.push_str("pub(crate) static PACKS: &[(&str, &[(&str, &str)])] = &[\n");
    for pack in PACKS {
        let dir = Path::new(&root).join(pack);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        writeln!(code, "    ({pack:?}, &[").unwrap();
        for file in files {
            let service = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_else(|| panic!("{} has no UTF-8 name", file.display()));
            println!("cargo::rerun-if-changed={}", file.display());
            writeln!(
                code,
                "        ({service:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .unwrap();
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("packs.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

//! ARCHITECTURE.md, checked: the dependencies between the workspace's crates are those its
//! crate table allows, a game that turns off `watch` and `services` builds none of their
//! machinery, and `qnce-core` does no I/O, reads no clock and starts no thread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::support::root;

/// The crate table of ARCHITECTURE.md (section "Crates"): each workspace package and every
/// workspace package it may depend on (the backticked names of the third column).
fn allowed_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n### Crates\n")
        .nth(1)
        .expect("ARCHITECTURE.md has a Crates section")
        .split("\n### ")
        .next()
        .unwrap();
    let backticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').collect();
            let name = backticked(cells[1]).remove(0);
            (name, backticked(cells[3]).into_iter().collect())
        })
        .collect()
}

/// What `cargo` with `args` prints, run offline in the workspace root.
fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Each workspace package and the workspace packages it depends on, of any kind (normal,
/// build, dev, optional), as `cargo metadata` reads the manifests.
fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = cargo(&["metadata", "--format-version", "1", "--no-deps"]);
    let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let names: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap())
                .filter(|d| names.contains(d))
                .map(str::to_owned)
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

#[test]
fn every_dependency_between_workspace_crates_is_one_the_architecture_allows() {
    let allowed = allowed_dependencies();
    let actual = workspace_dependencies();
    assert_eq!(
        allowed.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "ARCHITECTURE.md's crate table names every workspace package, and only those"
    );
    let forbidden: Vec<String> = actual
        .iter()
        .flat_map(|(package, deps)| {
            deps.iter()
                .filter(|dep| !allowed[package].contains(*dep))
                .map(move |dep| format!("{package} -> {dep}"))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "dependencies ARCHITECTURE.md does not allow: {forbidden:?}"
    );
}

/// The packages `cargo tree` lists for `args` (normal dependencies only), without versions.
fn tree(args: &[&str]) -> BTreeSet<String> {
    let mut all = vec![
        "tree", "-e", "normal", "--prefix", "none", "--format", "{p}",
    ];
    all.extend_from_slice(args);
    cargo(&all)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_game_without_watch_and_services_builds_no_watcher_pool_telemetry_or_http() {
    // What the watcher (notify), the pool (crossbeam-channel), telemetry (serde_json,
    // tracing-subscriber) and the HTTP endpoint (qnce-services) bring.
    let machinery = |name: &str| {
        name.starts_with("notify")
            || ["crossbeam-channel", "serde_json", "tracing-subscriber"].contains(&name)
            || ["qnce-live", "qnce-services"].contains(&name)
    };
    for args in [
        &["-p", "qnce-core"][..],
        &["-p", "qnce-load"],
        &["-p", "qnce", "--no-default-features"],
    ] {
        let built: Vec<String> = tree(args).into_iter().filter(|p| machinery(p)).collect();
        assert!(built.is_empty(), "cargo tree {args:?} has {built:?}");
    }
    // bevy_ecs's task pool brings crossbeam-queue and crossbeam-utils; the core itself
    // depends on no crossbeam crate.
    let direct = tree(&["-p", "qnce-core", "--depth", "1"]);
    assert!(
        !direct.iter().any(|p| p.starts_with("crossbeam")),
        "{direct:?}"
    );
    // And the facade with its default features does bring them (the check can fail).
    assert!(tree(&["-p", "qnce"]).contains("notify"));
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn qnce_core_does_no_io_reads_no_clock_and_starts_no_thread() {
    const FORBIDDEN: [&str; 6] = [
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
        "Instant",
        "SystemTime",
    ];
    let mut files = Vec::new();
    rust_files(&root().join("engine/core/src"), &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            // Comments, doc examples included, may show how a game reads files.
            if line.trim_start().starts_with("//") {
                continue;
            }
            for word in FORBIDDEN.iter().filter(|w| line.contains(**w)) {
                found.push(format!("{}:{}: {word}", file.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "qnce-core must not: {found:#?}");
}

/// Games reach a story through `Story`'s accessors: the facade re-exports neither the way
/// to the ECS world (`qnce_core::internal`) nor the components, except the plain data an
/// accessor returns (`Story::asset`'s `AssetSource` and its `AssetKind`).
#[test]
fn the_facade_does_not_export_the_ecs() {
    let text = std::fs::read_to_string(root().join("engine/src/lib.rs")).unwrap();
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") || !line.contains("pub use") {
            continue;
        }
        let components_beyond_assets =
            line.contains("components") && !line.ends_with("components::{AssetKind, AssetSource};");
        if line.contains("internal") || components_beyond_assets {
            found.push(format!("engine/src/lib.rs:{}: {line}", i + 1));
        }
    }
    assert!(
        found.is_empty(),
        "the facade exports ECS internals: {found:#?}"
    );
}

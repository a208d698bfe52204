//! Dependencies point down: the domain, configuration, ports, backends, services and
//! smart mode never import the HTTP edge (`http`, `handlers`, axum, Lambda's HTTP types).
//! A source-tree check, so that a stray `use` fails the suite instead of a review.

use std::path::{Path, PathBuf};

/// Everything below `http` in the layering of ARCHITECTURE.md.
const BELOW_HTTP: &[&str] = &[
    "chat",
    "pii",
    "images",
    "ports",
    "backends",
    "services",
    "smart",
    "app.rs",
    "config.rs",
    "counters.rs",
    "error.rs",
    "ids.rs",
    "text.rs",
    "time.rs",
    "metrics.rs",
];

/// What the edge looks like in source: our own modules, and the HTTP crates.
const FORBIDDEN: &[&str] = &["crate::http", "crate::handlers", "super::http", "axum", "lambda_http", "HeaderMap"];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// `use crate::{a, http, b}` names `http` without writing `crate::http`.
fn grouped_import_of_edge(source: &str) -> Option<String> {
    source.split("crate::{").skip(1).find_map(|rest| {
        let group = rest.split('}').next().unwrap_or("");
        group
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|item| item.split("::").next().unwrap_or(""))
            .find(|item| *item == "http" || *item == "handlers")
            .map(|item| format!("crate::{{…{item}…}}"))
    })
}

fn violations(files: &[PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (n, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in FORBIDDEN {
                if code.contains(needle) {
                    found.push(format!("{}:{}: {needle}", file.display(), n + 1));
                }
            }
        }
        if let Some(group) = grouped_import_of_edge(&source) {
            found.push(format!("{}: {group}", file.display()));
        }
    }
    found
}

#[test]
fn nothing_below_http_imports_the_edge() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in BELOW_HTTP {
        let path = src.join(entry);
        assert!(path.exists(), "{} is gone: update BELOW_HTTP", path.display());
        rust_files(&path, &mut files);
    }
    assert!(files.len() > 50, "the walk found only {} files", files.len());
    let found = violations(&files);
    assert!(found.is_empty(), "modules below http import the HTTP edge:\n{}", found.join("\n"));
}

#[test]
fn the_check_catches_each_form_of_import() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        "use crate::http::ApiError;",
        "use crate::{chat, http::AppState};",
        "use crate::{\n    handlers,\n    ports,\n};",
        "fn f(h: &axum::http::HeaderMap) {}",
    ];
    for (i, case) in cases.iter().enumerate() {
        let file = dir.path().join(format!("case{i}.rs"));
        std::fs::write(&file, case).unwrap_or_else(|e| panic!("{e}"));
        assert!(!violations(&[file]).is_empty(), "not caught: {case}");
    }
    let clean = dir.path().join("clean.rs");
    std::fs::write(&clean, "use crate::{chat, ports::Backend};\n// crate::http is mentioned in a comment only\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(violations(&[clean]).is_empty());
}

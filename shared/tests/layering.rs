//! Dependencies point down, and no two modules depend on each other. A source-tree check
//! of `shared/src`, so that a stray `use` fails the suite instead of a review:
//!
//! - every module belongs to a layer (`LAYERS`, bottom first: domain → ports → settings →
//!   backends → application → services → http → handlers → hosts) and imports only from
//!   its own layer or lower ones; below `http` nothing names axum or Lambda's HTTP types;
//! - the graph of modules (one per file) has no cycle. A parent's `pub use` of a child's
//!   item is followed to that child: importing through a facade depends on the module
//!   that defines the item, and the facade itself depends on nothing by re-exporting.
//!
//! Test-only modules (`tests.rs`, `*_tests.rs`, an inline `#[cfg(test)] mod tests`) may
//! reach up to build what they test; they ship in no binary.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The layers, bottom first, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &["text", "time", "ids", "pii", "chat", "images", "metrics"]),
    ("ports", &["ports"]),
    ("settings", &["config"]),
    ("backends", &["backends"]),
    ("application", &["counters", "error", "smart", "app"]),
    ("services", &["services"]),
    ("http", &["http"]),
    ("handlers", &["handlers"]),
    ("hosts", &["lambda"]),
];

/// What the HTTP edge looks like in source, for everything below `http`.
const EDGE_CRATES: &[&str] = &["axum", "lambda_http", "HeaderMap"];

type ModPath = Vec<String>;

struct SourceFile {
    module: ModPath,
    path: PathBuf,
    test_only: bool,
    /// The code without comments or an inline test module.
    code: String,
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        entries.iter().for_each(|entry| rust_files(entry, out));
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `src/lib.rs` is the root.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: ModPath = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let code = match line.find("//") {
            // A URL in a string is not a comment.
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn load(src: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut code = strip_comments(&source);
            if let Some(at) = code.find("#[cfg(test)]\nmod tests {") {
                code.truncate(at);
            }
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let test_only = name == "tests" || name.ends_with("_tests");
            SourceFile { module: module_of(src, &path), path, test_only, code }
        })
        .collect()
}

/// `a::{b, c::{d, e as f}, self}` → `a::b`, `a::c::d`, `a::c::e`, `a`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let mut out = Vec::new();
    expand_into("", tree, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |a: &str, b: &str| if a.is_empty() { b.to_owned() } else { format!("{a}::{b}") };
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            // `d as e` is `d`.
            let path = tree.split_whitespace().next().unwrap_or("").trim_end_matches("::*");
            let path = path.strip_suffix("::self").unwrap_or(path);
            if path == "self" {
                out.push(prefix.to_owned());
            } else if !path.is_empty() {
                out.push(join(prefix, path));
            }
        }
        Some(open) => {
            let head = tree[..open].trim().trim_end_matches("::");
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = join(prefix, head);
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand_into(&prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand_into(&prefix, &inner[start..], out);
        }
    }
}

/// Every `use` of a file (with whether it re-exports), and every inline
/// `crate::…`/`super::…`/`self::…` path.
fn paths_in(code: &str) -> Vec<(bool, String)> {
    let mut found = Vec::new();
    let mut rest = code;
    let mut outside_uses = String::new();
    while let Some(at) = find_use(rest) {
        outside_uses.push_str(&rest[..at]);
        let statement_start = at + rest[at..].find("use ").unwrap_or(0) + 4;
        let end = rest[statement_start..].find(';').map(|e| statement_start + e).unwrap_or(rest.len());
        let public = rest[at..statement_start].starts_with("pub");
        for path in expand_use_tree(&rest[statement_start..end]) {
            found.push((public, path));
        }
        rest = &rest[end..];
    }
    outside_uses.push_str(rest);
    for root in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = outside_uses[from..].find(root).map(|a| a + from) {
            let boundary =
                at == 0 || !outside_uses[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
            let end = outside_uses[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map(|e| at + e)
                .unwrap_or(outside_uses.len());
            if boundary {
                found.push((false, outside_uses[at..end].trim_end_matches(':').to_owned()));
            }
            from = end.max(at + root.len());
        }
    }
    found
}

/// The start of the next `use` or `pub use`/`pub(crate) use` statement at a line start.
fn find_use(code: &str) -> Option<usize> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let after_pub = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        if after_pub.starts_with("use ") {
            return Some(offset + indent);
        }
        offset += line.len();
    }
    None
}

struct Graph {
    modules: BTreeSet<ModPath>,
    /// (module, name) → the module a `pub use` there re-exports `name` from.
    reexports: HashMap<(ModPath, String), ModPath>,
}

impl Graph {
    /// An absolute path's segments, from a path as written in `module`.
    fn absolute(&self, module: &ModPath, path: &str) -> Option<ModPath> {
        let mut segments = path.split("::").filter(|s| !s.is_empty());
        let first = segments.next()?;
        let mut base: ModPath = match first {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            child => {
                // A child module named without `self::` (2018 paths); anything else is
                // another crate.
                let mut candidate = module.clone();
                candidate.push(child.to_owned());
                if !self.modules.contains(&candidate) {
                    return None;
                }
                candidate
            }
        };
        for segment in segments {
            match segment {
                "super" => {
                    base.pop();
                }
                "self" => {}
                s => base.push(s.to_owned()),
            }
        }
        Some(base)
    }

    /// The module an absolute path lands in, following re-exports.
    fn target(&self, path: &ModPath) -> ModPath {
        let mut len = path.len();
        while len > 0 && !self.modules.contains(&path[..len]) {
            len -= 1;
        }
        let mut module = path[..len].to_vec();
        if let Some(name) = path.get(len) {
            let mut seen = 0;
            while let Some(source) = self.reexports.get(&(module.clone(), name.clone())) {
                if *source == module || seen > 16 {
                    break;
                }
                module = source.clone();
                seen += 1;
            }
        }
        module
    }
}

fn layer_of(module: &ModPath) -> Option<(usize, &'static str)> {
    let top = module.first()?;
    LAYERS.iter().enumerate().find(|(_, (_, members))| members.contains(&top.as_str())).map(|(i, (name, _))| (i, *name))
}

/// Every violation under `src`: upward imports, the edge named below it, unknown modules
/// and import cycles.
fn check(src: &Path) -> Vec<String> {
    let files = load(src);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| f.module.clone()).collect();
    let mut graph = Graph { modules, reexports: HashMap::new() };
    for file in &files {
        for (public, path) in paths_in(&file.code) {
            let Some(absolute) = graph.absolute(&file.module, &path) else { continue };
            let Some(name) = absolute.last().cloned() else { continue };
            let source = graph.target(&absolute);
            if public && source != file.module && source.starts_with(&file.module) {
                graph.reexports.insert((file.module.clone(), name), source);
            }
        }
    }
    let mut found = Vec::new();
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for file in &files {
        let Some((rank, layer)) = layer_of(&file.module) else {
            if !file.module.is_empty() {
                found.push(format!(
                    "{}: module {} is in no layer (add it to LAYERS)",
                    file.path.display(),
                    file.module.join("::")
                ));
            }
            continue;
        };
        let below_http = LAYERS.iter().position(|(name, _)| *name == "http").is_some_and(|http| rank < http);
        if below_http && !file.test_only {
            for needle in EDGE_CRATES {
                if file.code.contains(needle) {
                    found.push(format!("{}: {layer} names the HTTP edge ({needle})", file.path.display()));
                }
            }
        }
        for (public, path) in paths_in(&file.code) {
            let Some(absolute) = graph.absolute(&file.module, &path) else { continue };
            let target = graph.target(&absolute);
            if target.is_empty() || target == file.module {
                continue;
            }
            if let Some((target_rank, target_layer)) = layer_of(&target)
                && target_rank > rank
                && !file.test_only
            {
                found.push(format!(
                    "{}: {layer} imports {} from the {target_layer} layer above it",
                    file.path.display(),
                    target.join("::")
                ));
            }
            // A facade's `pub use` of its own child's item is no dependency of the facade.
            let facade = public && target.starts_with(&file.module);
            if !file.test_only && !facade {
                edges.entry(file.module.clone()).or_default().insert(target);
            }
        }
    }
    for cycle in cycles(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        found.push(format!("import cycle: {} → {}", names.join(" → "), names[0]));
    }
    found
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    #[derive(Default)]
    struct State<'a> {
        index: HashMap<&'a ModPath, usize>,
        low: HashMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(edges: &'a BTreeMap<ModPath, BTreeSet<ModPath>>, s: &mut State<'a>, v: &'a ModPath) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(edges, s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.reverse();
                s.found.push(component);
            }
        }
    }
    let mut state = State::default();
    for v in edges.keys() {
        if !state.index.contains_key(v) {
            visit(edges, &mut state, v);
        }
    }
    state.found
}

#[test]
fn imports_point_down_and_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 80, "the walk found only {} files", files.len());
    let found = check(&src);
    assert!(found.is_empty(), "layering violations:\n{}", found.join("\n"));
}

/// A tree of source files written to a temporary `src`.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (path, code) in files {
        let file = dir.path().join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&file, code).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// One file of each layer, each importing the one below it.
const CLEAN: &[(&str, &str)] = &[
    (
        "lib.rs",
        "pub mod chat; pub mod ports; pub mod config; pub mod backends; pub mod app; pub mod services; pub mod http; pub mod handlers; pub mod lambda;",
    ),
    ("chat/mod.rs", "pub mod engine;\npub use engine::Turn;\n"),
    ("chat/engine.rs", "use super::Turn;\npub struct Turn;\n"),
    ("ports.rs", "use crate::chat::Turn;\n"),
    ("config.rs", "use crate::ports;\n"),
    ("backends/mod.rs", "pub mod local;\n"),
    ("backends/local.rs", "use crate::{config::X, ports::Y};\n"),
    ("app.rs", "use crate::backends::local;\n"),
    ("services/mod.rs", "pub mod turns;\npub struct Origin;\n"),
    ("services/turns.rs", "use crate::app::App;\nuse crate::services::Origin;\n"),
    ("http.rs", "use crate::services::turns;\nuse axum::Router;\n"),
    ("handlers.rs", "use crate::http::Routes;\n"),
    ("lambda.rs", "use crate::handlers;\nuse crate::http;\n"),
    ("chat/tests.rs", "use crate::app::App;\n"),
];

fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut files: Vec<(&str, &str)> =
        CLEAN.iter().filter(|(p, _)| !changes.iter().any(|(c, _)| c == p)).copied().collect();
    files.extend_from_slice(changes);
    files
}

#[test]
fn the_check_passes_a_clean_tree_and_lets_tests_reach_up() {
    let dir = tree(CLEAN);
    assert_eq!(check(dir.path()), Vec::<String>::new());
}

#[test]
fn an_upward_import_fails_at_every_level() {
    let cases: &[(&str, &str)] = &[
        ("chat/engine.rs", "use crate::ports::Session;\n"),
        ("ports.rs", "use crate::config::Config;\n"),
        ("config.rs", "use crate::backends::local;\n"),
        ("backends/local.rs", "fn f(a: &crate::app::App) {}\n"),
        ("app.rs", "use crate::services::turns;\n"),
        ("services/turns.rs", "use crate::{app::App, http::ApiError};\n"),
        ("http.rs", "use crate::{\n    handlers,\n    services,\n};\n"),
        ("handlers.rs", "use crate::lambda::serve_http;\n"),
        ("chat/engine.rs", "fn f() { let _ = super::super::services::Origin; }\n"),
    ];
    for (file, code) in cases {
        let dir = tree(&with(&[(file, code)]));
        let found = check(dir.path());
        assert!(
            found.iter().any(|f| f.contains("from the") && f.contains("layer above it")),
            "not caught: {file}: {code} → {found:?}"
        );
    }
}

#[test]
fn the_http_edge_is_not_named_below_it() {
    let dir = tree(&with(&[("services/turns.rs", "fn f(h: &axum::http::HeaderMap) {}\n")]));
    assert!(check(dir.path()).iter().any(|f| f.contains("names the HTTP edge")));
    let commented = tree(&with(&[("services/turns.rs", "// axum is mentioned in a comment only\n")]));
    assert!(check(commented.path()).is_empty());
}

#[test]
fn import_cycles_are_found_and_facades_are_not_cycles() {
    let cycle = tree(&with(&[
        ("services/mod.rs", "pub mod turns;\npub mod tickets;\n"),
        ("services/turns.rs", "use crate::services::tickets::open;\npub struct Origin;\n"),
        ("services/tickets.rs", "use crate::services::turns::Origin;\npub fn open() {}\n"),
    ]));
    let found = check(cycle.path());
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("import cycle") && f.contains("services::turns") && f.contains("services::tickets")),
        "{found:?}"
    );

    let parent_and_child = tree(&with(&[
        ("services/mod.rs", "pub mod turns;\nuse turns::helper;\npub struct Origin;\n"),
        ("services/turns.rs", "use super::Origin;\npub fn helper() {}\n"),
    ]));
    assert!(check(parent_and_child.path()).iter().any(|f| f.starts_with("import cycle")));

    // chat/mod.rs re-exports engine's Turn and engine names it through the facade.
    assert!(check(tree(CLEAN).path()).is_empty());
}

#[test]
fn use_trees_expand_to_every_path() {
    let mut paths = expand_use_tree("crate::{a, b::{c, d as e}, f::self, g::*}");
    paths.sort();
    assert_eq!(paths, ["crate::a", "crate::b::c", "crate::b::d", "crate::f", "crate::g"]);
}

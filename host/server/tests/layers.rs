//! The import rule of the server's layers, checked on its own sources.
//!
//! Arrows point one way: a module may name (`crate::x`) modules of its own layer or of a
//! lower one, never of a higher one, and the modules' graph has no cycle. Only the layers
//! that speak HTTP may name `axum`, `StatusCode`, `ApiError` or `Caller`, so a service
//! cannot choose a status. A new top-level module must be given a layer here, or the check
//! fails: placing it is a decision, not an accident.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, highest first, and their top-level modules (`lib.rs` draws the same).
const LAYERS: &[(&str, &[&str])] = &[
    ("entry", &["main", "lib", "cli", "plugin_cli"]),
    ("startup", &["startup"]),
    ("http", &["http"]),
    (
        "services",
        &[
            "planning",
            "plugins",
            "audit",
            "jobs",
            "provision",
            "demo",
            "timesheets",
            "payroll",
            "exports",
            "analytics",
            "notify",
        ],
    ),
    ("state", &["state"]),
    (
        "parts",
        &[
            "storage",
            "auth",
            "plan_cache",
            "rate_limit",
            "rbac",
            "config",
            "default_plugins",
            "telemetry",
            "metrics",
        ],
    ),
    ("domain", &["domain"]),
];

/// Test support any test may use (the generated-documents check); not part of the product.
const TEST_SUPPORT: &[&str] = &["docs_check"];

/// Layers allowed to speak HTTP (statuses, extractors, the error shape).
const HTTP_LAYERS: &[&str] = &["entry", "startup", "http"];

/// Names that belong to HTTP.
const HTTP_NAMES: &[&str] = &["axum", "StatusCode", "ApiError", "Caller"];

/// Depth of a layer: 0 for the highest.
fn depth(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn layer_name(module: &str) -> Option<&'static str> {
    depth(module).map(|d| LAYERS[d].0)
}

/// The source without its line comments (doc comments may name any module).
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names: `crate::x` paths and the first segment of
/// each item of a grouped `use crate::{x, y::z}`.
fn references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            let mut current = String::new();
            for c in group.chars() {
                if item_start {
                    if c.is_alphanumeric() || c == '_' {
                        current.push(c);
                        continue;
                    }
                    if !current.is_empty() {
                        found.insert(std::mem::take(&mut current));
                        item_start = false;
                    }
                }
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    _ => {}
                }
            }
            if !current.is_empty() {
                found.insert(current);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Whether `code` names `word` as a whole identifier.
fn names(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// What a file breaks, given the top-level module it belongs to.
fn breaches(module: &str, code: &str) -> Vec<String> {
    if TEST_SUPPORT.contains(&module) {
        return Vec::new();
    }
    let Some(own) = depth(module) else {
        return vec![format!(
            "module `{module}` has no layer: add it to LAYERS in tests/layers.rs"
        )];
    };
    let mut found = Vec::new();
    for target in references(code) {
        if TEST_SUPPORT.contains(&target.as_str()) || target == module {
            continue;
        }
        if let Some(theirs) = depth(&target)
            && theirs < own
        {
            found.push(format!(
                "names `crate::{target}` ({}) from the lower layer {}",
                LAYERS[theirs].0, LAYERS[own].0
            ));
        }
    }
    if !HTTP_LAYERS.contains(&LAYERS[own].0) {
        for word in HTTP_NAMES {
            if names(code, word) {
                found.push(format!(
                    "names `{word}`, which only {HTTP_LAYERS:?} may know"
                ));
            }
        }
    }
    found
}

/// The top-level module a source file belongs to (`http/error.rs` -> `http`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/");
    let first = relative
        .components()
        .next()
        .expect("a non-empty path")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.strip_suffix(".rs").unwrap_or(&first).to_owned()
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source directory") {
        let path = entry.expect("a readable entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The first cycle of a graph of modules, if any, as the path that closes it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_server_s_imports_point_down_its_layers_and_never_in_a_circle() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} files", files.len());

    let mut problems = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code_of(&std::fs::read_to_string(file).expect("a readable file"));
        for problem in breaches(&module, &code) {
            problems.push(format!("{}: {problem}", file.display()));
        }
        if TEST_SUPPORT.contains(&module.as_str()) {
            continue;
        }
        let edges = graph.entry(module.clone()).or_default();
        for target in references(&code) {
            if target != module && layer_name(&target).is_some() {
                edges.insert(target);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layer rule broken:\n{}",
        problems.join("\n")
    );
    assert_eq!(
        cycle(&graph),
        None,
        "the modules import each other in a circle"
    );
}

#[test]
fn a_name_from_a_higher_layer_is_a_breach() {
    let service = "use crate::http::error::ApiError;\nfn f() -> StatusCode {}";
    let found = breaches("planning", service);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(breaches("http", service).is_empty());
    assert_eq!(
        breaches("storage", "use crate::{domain, state::AppState};").len(),
        1
    );
    assert!(breaches("storage", "use crate::domain::{Email, Role};").is_empty());
    assert_eq!(
        breaches("newcomer", "").len(),
        1,
        "an unplaced module fails"
    );
}

#[test]
fn references_read_grouped_uses_and_paths_but_not_comments() {
    let code = code_of(
        "use crate::{demo, plugin_cli::{self, Run}, storage};\n\
         let x = crate::audit::append(); // crate::http\n",
    );
    let found: Vec<_> = references(&code).into_iter().collect();
    assert_eq!(found, ["audit", "demo", "plugin_cli", "storage"]);
    assert!(names("Err(ApiError::Internal)", "ApiError"));
    assert!(!names("TenantApiErrorish", "ApiError"));
}

#[test]
fn a_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

//! `tests/common/routes.rs` lists every route; this reads the route declarations in `src/`
//! and fails when the two disagree, so the hostile-input sweep and the leak matrix (which
//! walk the table) cannot miss a route added later.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::routes::ROUTES;

/// Every `(METHOD, path)` declared with `web::resource(...)` and `.route(web::method()...)`
/// in one source file. `format!("{prefix}...")` resources (the Cloud dialect) are expanded
/// with each prefix that file's `for prefix in [...]` loop names.
fn declared(source: &str) -> BTreeSet<(String, String)> {
    let prefixes: Vec<String> = source
        .split_once("for prefix in [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| {
            list.split(',')
                .map(|p| p.trim().trim_matches('"').to_owned())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut out = BTreeSet::new();
    for chunk in source.split("web::resource(").skip(1) {
        let (paths, rest) = if let Some(fmt) = chunk.strip_prefix("format!(\"") {
            let (template, rest) = fmt.split_once('"').expect("closing quote");
            let template = template.replace("{{", "\u{1}").replace("}}", "\u{2}");
            let paths = prefixes
                .iter()
                .map(|p| {
                    template
                        .replace("{prefix}", p)
                        .replace('\u{1}', "{")
                        .replace('\u{2}', "}")
                })
                .collect::<Vec<_>>();
            (paths, rest)
        } else {
            let lit = chunk.strip_prefix('"').expect("a string literal path");
            let (path, rest) = lit.split_once('"').expect("closing quote");
            (vec![path.to_owned()], rest)
        };
        for method in rest.split(".route(web::").skip(1) {
            let m = method.split('(').next().unwrap_or("").to_uppercase();
            for p in &paths {
                out.insert((m.clone(), p.clone()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_route_table_lists_exactly_the_routes_the_code_declares() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut code = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        code.extend(declared(&text));
    }
    assert!(
        code.len() > 100,
        "the scan found only {} routes",
        code.len()
    );
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(table.len(), ROUTES.len(), "the table lists a route twice");
    let missing: Vec<_> = code.difference(&table).collect();
    let stale: Vec<_> = table.difference(&code).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "declared in src/ but not in tests/common/routes.rs: {missing:?}\n\
         in the table but not declared: {stale:?}"
    );
}

#[test]
fn fill_replaces_every_parameter() {
    let route = ROUTES
        .iter()
        .find(|r| r.path == "/api/repo/v1/{ns}/repository/{name:.+}")
        .expect("cloud route");
    assert_eq!(
        route.fill(|p| format!("<{p}>")),
        "/api/repo/v1/<ns>/repository/<name>"
    );
}

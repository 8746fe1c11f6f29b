//! The layering `src/lib.rs` promises, checked on the source: the rules (`domain`) use nothing
//! else of the crate; the booth decides over the rules and the store; adapters depend on the
//! core (`booth`, `domain`, `config`), never on each other, except that the API and the console
//! read through the store's one read module (`store::read`). Test code (after `#[cfg(test)]`,
//! and `tests.rs` files) may reach further.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What each top-level module may use of the crate besides itself. A module not listed is
/// wiring (the demo, the runtime, the command line) and may use anything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("config", &["domain"]),
    (
        "booth",
        &["domain", "config", "store", "worker", "priority"],
    ),
    ("store", &["domain", "config", "worker", "priority"]),
    ("devices", &["booth", "domain", "config", "priority"]),
    ("nwave", &["booth", "domain", "config", "priority"]),
    ("api", &["booth", "domain", "config", "store::read"]),
    ("tui", &["booth", "domain", "config", "store::read"]),
];

/// Every `crate::…` path a piece of Rust source names, with `use crate::{a, b::{c, d}}` groups
/// expanded and `super::` resolved from the module the file is (`module`, its path from the
/// crate root), as paths from the crate root.
fn crate_paths(source: &str, module: &[String]) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = (bytes[i..].starts_with(b"crate::") || bytes[i..].starts_with(b"super::"))
            && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':');
        if !starts {
            i += 1;
            continue;
        }
        let end = path_end(bytes, i);
        let end = if bytes.get(end) == Some(&b'{') {
            matching_brace(bytes, end) + 1
        } else {
            end
        };
        let text = String::from_utf8_lossy(&bytes[i..end])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for path in expand(&text) {
            let mut segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            let base: Vec<String> = if segments[0] == "crate" {
                segments.remove(0);
                Vec::new()
            } else {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                segments.drain(..supers);
                module[..module.len().saturating_sub(supers)].to_vec()
            };
            found.insert(
                base.into_iter()
                    .chain(segments)
                    .collect::<Vec<_>>()
                    .join("::"),
            );
        }
        i = end;
    }
    found
}

/// Where the path starting at `start` (identifiers and `::`) ends.
fn path_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() {
        if bytes[end..].starts_with(b"::") {
            end += 2;
        } else if bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' {
            end += 1;
        } else {
            break;
        }
    }
    end
}

/// The index of the `}` closing the `{` at `open`.
fn matching_brace(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (i, b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    bytes.len() - 1
}

/// `a::{b, c::{d, e as f}, self}` as its paths: `a::b`, `a::c::d`, `a::c::e`, `a`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        let path = path.split(" as ").next().unwrap_or(path).trim();
        return vec![path.trim_end_matches("::").to_owned()];
    };
    let prefix = path[..open].trim().trim_end_matches("::");
    let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
    let mut items = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[from..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .flat_map(|item| {
            if item == "self" {
                vec![prefix.to_owned()]
            } else {
                expand(&format!("{prefix}::{item}"))
            }
        })
        .collect()
}

/// The crate's top-level modules that are layers; anything else a path names (an item at the
/// crate root) is not.
const MODULES: &[&str] = &[
    "domain", "config", "booth", "store", "devices", "nwave", "api", "tui", "worker", "priority",
    "demo", "runtime",
];

/// Why `path`, named in module `top`, breaks the layering, if it does.
fn violation(top: &str, path: &str) -> Option<String> {
    let (_, allowed) = ALLOWED.iter().find(|(m, _)| *m == top)?;
    let target = path.split("::").next().unwrap_or("");
    if target == top || !MODULES.contains(&target) {
        return None;
    }
    let ok = allowed
        .iter()
        .any(|a| path == *a || path.starts_with(&format!("{a}::")));
    (!ok).then(|| format!("{top} uses crate::{path}"))
}

/// The module path of a source file under `src/`: `src/api/auth.rs` is `api::auth`,
/// `src/api/mod.rs` and `src/api.rs` are `api`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every violation in the tree under `src`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let module = module_of(src, &file);
        let Some(top) = module.first().cloned() else {
            continue;
        };
        // Test code assembles the whole booth: a `tests` module, or `testing` (the fixtures a
        // module's tests share, declared under #[cfg(test)]), is not part of a layer.
        if module
            .last()
            .is_some_and(|m| m == "tests" || m == "testing")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for path in crate_paths(code, &module) {
            if let Some(why) = violation(&top, &path) {
                out.push(format!("{}: {why}", file.display()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn adapters_use_the_core_and_never_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_an_adapter_importing_another() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("api")).unwrap();
    std::fs::create_dir_all(src.join("tui")).unwrap();
    std::fs::write(
        src.join("api/lists.rs"),
        "use crate::booth::BoothClient;\nuse crate::store::read::Reader;\n\
         use crate::{domain::model::Account, tui::app::App};\n\
         // use crate::devices::gate; (a comment)\n\
         fn f() { super::super::store::sessions::get(); }\n\
         #[cfg(test)]\nmod tests { use crate::devices::sim; }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("tui/mod.rs"),
        "use super::nwave::consumer;\nuse crate::store::read::{Reader, StoreError};\n",
    )
    .unwrap();
    assert_eq!(
        violations(src)
            .iter()
            .map(|v| v.rsplit(": ").next().unwrap())
            .collect::<Vec<_>>(),
        [
            "api uses crate::store::sessions::get",
            "api uses crate::tui::app::App",
            "tui uses crate::nwave::consumer",
        ]
    );
}

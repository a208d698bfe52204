//! The README's error table and `ErrorCode` say the same: every code with its status,
//! nothing more, nothing less.

use std::collections::BTreeMap;

use sti_shared::http::ErrorCode;

fn readme_table() -> BTreeMap<String, u16> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let section = readme.split("### Error codes").nth(1).unwrap_or_else(|| panic!("no '### Error codes' in README"));
    let mut table = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(code) = cells.first().and_then(|c| c.strip_prefix('`')).and_then(|c| c.strip_suffix('`')) else {
            continue;
        };
        let status = cells.get(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status for {code}"));
        assert!(table.insert(code.to_owned(), status).is_none(), "{code} twice in the README");
    }
    table
}

#[test]
fn readme_error_table_matches_the_enum() {
    let readme = readme_table();
    let code: BTreeMap<String, u16> =
        ErrorCode::ALL.iter().map(|c| (c.as_str().to_owned(), c.status().as_u16())).collect();
    for (name, status) in &code {
        assert_eq!(readme.get(name), Some(status), "README row for {name} ({status})");
    }
    for name in readme.keys() {
        assert!(code.contains_key(name), "the README lists {name}, which ErrorCode does not have");
    }
}

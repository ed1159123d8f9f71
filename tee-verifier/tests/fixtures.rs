//! The sample quotes are dcap-qvl 0.7.1's, byte for byte (see fixtures/README.md).
#![allow(non_snake_case)]

use sha2::{Digest, Sha256};
use std::path::Path;

const PINNED: [(&str, &str); 2] = [
    ("tdx_quote", "c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db"),
    ("tdx_quote_collateral.json", "b0a5f5fd620a8881b1eda45261fdf30dd930b49aff93231556645c81fcb4c0bc"),
];

#[test]
fn fixtures__should_match_the_pinned_checksums_and_the_readme() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("fixtures/README.md");
    for (name, pinned) in PINNED {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(Sha256::digest(&bytes)), pinned, "{name} is not dcap-qvl 0.7.1's sample");
        assert!(readme.contains(&format!("| `{name}` | `sample/{name}` | `{pinned}` |")), "README misses {name}");
    }
}

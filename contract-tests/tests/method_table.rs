#![allow(non_snake_case)]
//! The method table in `mpc-interface` (which the access-key method lists are
//! derived from) must name exactly the functions the contract wasm exports: a
//! new method missing from the table would be silently uncallable by a node's
//! key, and a stale entry would put a dead name on every key.

use contract_tests::wasm::contract_wasm;
use mpc_interface::methods::{self, Kind, Role};
use std::collections::BTreeSet;

fn leb(bytes: &[u8], at: &mut usize) -> u64 {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

/// Names of the exported functions, read from the wasm export section.
fn exported_functions(wasm: &[u8]) -> BTreeSet<String> {
    assert_eq!(&wasm[..4], b"\0asm", "not a wasm module");
    let mut at = 8;
    let mut names = BTreeSet::new();
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at) as usize;
        let end = at + size;
        if id == 7 {
            let mut p = at;
            for _ in 0..leb(wasm, &mut p) {
                let len = leb(wasm, &mut p) as usize;
                let name = String::from_utf8(wasm[p..p + len].to_vec()).unwrap();
                p += len;
                let kind = wasm[p];
                p += 1;
                leb(wasm, &mut p);
                if kind == 0 {
                    names.insert(name);
                }
            }
        }
        at = end;
    }
    names
}

#[test]
fn method_table__should_name_exactly_the_wasm_exports() {
    let exported = exported_functions(&contract_wasm());
    let table: BTreeSet<String> = methods::ALL.iter().map(|m| m.name.to_owned()).collect();
    let missing: Vec<_> = exported.difference(&table).collect();
    let stale: Vec<_> = table.difference(&exported).collect();
    assert!(missing.is_empty(), "exported by the contract but not in the method table: {missing:?}");
    assert!(stale.is_empty(), "in the method table but not exported by the contract: {stale:?}");
}

#[test]
fn access_key_lists__should_be_the_change_methods_of_each_role() {
    let exported = exported_functions(&contract_wasm());
    for role in Role::FUNCTION_CALL_KEYS {
        let list = methods::change_methods_for(role);
        assert!(!list.is_empty());
        for name in &list {
            assert!(exported.contains(*name), "{name} on the {role:?} key is not a contract method");
            assert_eq!(
                methods::by_name(name).unwrap().kind,
                Kind::Change,
                "{name} is a view; keys need no view methods"
            );
        }
    }
    insta::assert_debug_snapshot!(
        "access_key_method_lists",
        Role::FUNCTION_CALL_KEYS.map(|role| (role, methods::change_methods_for(role)))
    );
}

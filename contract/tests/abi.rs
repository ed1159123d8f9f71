#![allow(non_snake_case)]
//! The contract's ABI must not drift by accident: every method, argument and
//! JSON type a client relies on is pinned in `snapshots/abi__contract_abi.snap`.
//!
//! The ABI is generated the way `cargo near abi` does it, from the contract's
//! own code: the crate is built for the host as a cdylib with near-sdk's
//! `__abi-generate` feature (in its own target directory, `<target>/abi`, so
//! the tests' artifacts are not replaced), every exported `__near_abi_*`
//! function is called (each returns one `#[near] impl` block's JSON chunk) and
//! the chunks are combined. Doc comments are left out: rewording one is not an
//! interface change.
//!
//! `state()` and `participants()` return their JSON through
//! `env::value_return` (it splices the stored participant list into the view,
//! see `api/views.rs`), so the ABI shows no result for them; they return a
//! `ProtocolStateView` and a `ThresholdParameters` (mpc-interface). So does
//! near-sdk's own NEP-330 `contract_source_metadata`.
//! `raw_views__should_be_only_state_participants_and_source_metadata` keeps
//! that list from growing.

use near_abi::__private::ChunkedAbiEntry;
use near_abi::{AbiFunctionKind, AbiMetadata, AbiRoot};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

const SYMBOL_PREFIX: &str = "__near_abi_";

#[test]
fn contract_abi__should_match_snapshot() {
    let mut abi = serde_json::to_value(contract_abi()).expect("JSON of the ABI");
    strip_docs(&mut abi);
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!("contract_abi", abi);
    });
}

#[test]
fn raw_views__should_be_only_state_participants_and_source_metadata() {
    let untyped: Vec<&str> = contract_abi()
        .body
        .functions
        .iter()
        .filter(|f| f.kind == AbiFunctionKind::View && f.result.is_none())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(untyped, ["contract_source_metadata", "participants", "state"]);
}

#[test]
fn abi_argument_encoding__should_be_the_method_tables_for_every_method() {
    use mpc_interface::methods::{self, Args};
    let functions = &contract_abi().body.functions;
    for function in functions {
        let row = methods::by_name(&function.name)
            .unwrap_or_else(|| panic!("`{}` is in the ABI but not in the method table", function.name));
        let abi = match function.params {
            near_abi::AbiParameters::Json { .. } => Args::Json,
            near_abi::AbiParameters::Borsh { .. } => Args::Borsh,
        };
        assert_eq!(abi, row.args, "`{}`: the contract's encoding against the table's", function.name);
    }
    for row in methods::ALL {
        assert!(functions.iter().any(|f| f.name == row.name), "`{}` is in the table but not in the ABI", row.name);
    }
}

/// The ABI, built once per test run.
fn contract_abi() -> &'static AbiRoot {
    static ABI: OnceLock<AbiRoot> = OnceLock::new();
    ABI.get_or_init(|| {
        let started = Instant::now();
        let dylib = build_abi_dylib();
        let built = started.elapsed();
        let entries = abi_entries(&dylib);
        let metadata = AbiMetadata { name: Some(env!("CARGO_PKG_NAME").to_owned()), ..Default::default() };
        let abi = ChunkedAbiEntry::combine(entries).expect("ABI chunks of one schema version").into_abi_root(metadata);
        eprintln!(
            "ABI: {} methods; cdylib built in {:.1} s, extracted in {:.1} s",
            abi.body.functions.len(),
            built.as_secs_f64(),
            (started.elapsed() - built).as_secs_f64()
        );
        abi
    })
}

/// Builds the contract as a host cdylib with the ABI generators compiled in,
/// and returns its path (as cargo reports it).
fn build_abi_dylib() -> PathBuf {
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target_dir = target_tmp.parent().unwrap_or(target_tmp).join("abi");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| option_env!("CARGO").unwrap_or("cargo").to_owned());
    let output = Command::new(cargo)
        .args(["build", "--package", env!("CARGO_PKG_NAME"), "--lib", "--locked"])
        .args(["--features", "near-sdk/__abi-generate", "--message-format", "json-render-diagnostics"])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Its own target directory: no debug info needed to call a few functions.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .output()
        .expect("run cargo");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "building the ABI cdylib failed ({}):\n{log}", output.status);
    let suffix = std::env::consts::DLL_SUFFIX;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == env!("CARGO_PKG_NAME").replace('-', "_"))
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .find(|file| file.to_string_lossy().ends_with(suffix))
        .expect("cargo reported the contract's cdylib")
}

/// Calls every `__near_abi_*` function the cdylib exports, in name order.
fn abi_entries(dylib: &Path) -> Vec<ChunkedAbiEntry> {
    let bytes = std::fs::read(dylib).expect("read the cdylib");
    let file = object::File::parse(&*bytes).expect("parse the cdylib");
    let mut symbols: Vec<String> = object::Object::exports(&file)
        .expect("the cdylib's exports")
        .iter()
        .filter_map(|export| std::str::from_utf8(export.name()).ok())
        // Mach-O names carry a leading underscore that `dlsym` adds itself.
        .map(|name| name.strip_prefix('_').filter(|n| n.starts_with(SYMBOL_PREFIX)).unwrap_or(name))
        .filter(|name| name.starts_with(SYMBOL_PREFIX))
        .map(str::to_owned)
        .collect();
    symbols.sort();
    symbols.dedup();
    assert!(!symbols.is_empty(), "{} exports no {SYMBOL_PREFIX}* function", dylib.display());
    // SAFETY: the library is the contract built for this host; its ABI
    // functions take nothing and return a pointer and length of JSON bytes
    // that they leak (near-sdk's generated code), which stay valid while the
    // library is loaded.
    unsafe {
        let library = libloading::Library::new(dylib).expect("load the cdylib");
        symbols
            .iter()
            .map(|symbol| {
                let function = library
                    .get::<extern "C" fn() -> (*const u8, usize)>(symbol.as_bytes())
                    .unwrap_or_else(|e| panic!("{symbol}: {e}"));
                let (pointer, len) = function();
                let json = std::slice::from_raw_parts(pointer, len);
                serde_json::from_slice(json).unwrap_or_else(|e| panic!("{symbol} returned no ABI chunk: {e}"))
            })
            .collect()
    }
}

/// Removes documentation: the functions' `doc` and the schemas' `description`
/// strings.
fn strip_docs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| !((key == "doc" || key == "description") && v.is_string()));
            map.values_mut().for_each(strip_docs);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_docs),
        _ => {}
    }
}

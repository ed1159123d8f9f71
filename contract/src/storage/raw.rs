//! A map kept straight in storage, without near-sdk's cache.
//!
//! Entries live under `prefix ++ borsh(key)` with `borsh(value)`, and the map
//! itself is stored as its prefix: byte for byte the layout of near-sdk's
//! `LookupMap` (identity hasher), so a map can move between the two without a
//! migration. Reads and writes go to the host at once: nothing to flush, and
//! no cache (a `BTreeMap` of `OnceCell`s per map type) in the wasm, which cost
//! a few kilobytes per map type.

use borsh::schema::{Declaration, Definition, Fields};
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use near_sdk::env;
use std::collections::BTreeMap;
use std::marker::PhantomData;

pub struct RawMap<K, V> {
    prefix: Box<[u8]>,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> BorshSerialize for RawMap<K, V> {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        self.prefix.serialize(writer)
    }
}

impl<K, V> BorshDeserialize for RawMap<K, V> {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        Ok(Self { prefix: Box::<[u8]>::deserialize_reader(reader)?, types: PhantomData })
    }
}

impl<K: BorshSerialize, V: BorshSerialize + BorshDeserialize> RawMap<K, V> {
    pub fn new(prefix: impl BorshSerialize) -> Self {
        let prefix = borsh::to_vec(&prefix).expect("borsh of a storage prefix").into_boxed_slice();
        Self { prefix, types: PhantomData }
    }

    fn key(&self, key: &K) -> Vec<u8> {
        let mut bytes = self.prefix.to_vec();
        key.serialize(&mut bytes).expect("borsh of a map key");
        bytes
    }

    pub fn get(&self, key: &K) -> Option<V> {
        env::storage_read(&self.key(key)).map(|bytes| V::try_from_slice(&bytes).expect("a stored map value"))
    }

    pub fn contains_key(&self, key: &K) -> bool {
        env::storage_has_key(&self.key(key))
    }

    pub fn insert(&mut self, key: K, value: V) {
        env::storage_write(&self.key(&key), &borsh::to_vec(&value).expect("borsh of a map value"));
    }

    /// Deletes the entry; true if there was one.
    pub fn remove(&mut self, key: &K) -> bool {
        env::storage_remove(&self.key(key))
    }

    /// Deletes the entry and returns its value.
    pub fn take(&mut self, key: &K) -> Option<V> {
        if !self.remove(key) {
            return None;
        }
        env::storage_get_evicted().map(|bytes| V::try_from_slice(&bytes).expect("a stored map value"))
    }
}

/// Described as a struct holding the prefix, like near-sdk's `LookupMap`.
impl<K, V> BorshSchema for RawMap<K, V> {
    fn add_definitions_recursively(definitions: &mut BTreeMap<Declaration, Definition>) {
        let fields = Fields::NamedFields(vec![("prefix".to_string(), <Vec<u8>>::declaration())]);
        borsh::schema::add_definition(Self::declaration(), Definition::Struct { fields }, definitions);
        <Vec<u8>>::add_definitions_recursively(definitions);
    }

    fn declaration() -> Declaration {
        "RawMap".to_string()
    }
}

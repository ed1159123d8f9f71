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
        env::storage_read(&self.key(key)).map(|bytes| decode(&bytes))
    }

    pub fn contains_key(&self, key: &K) -> bool {
        env::storage_has_key(&self.key(key))
    }

    pub fn insert(&mut self, key: K, value: V) {
        env::storage_write(&self.key(&key), &encode(&value));
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
        env::storage_get_evicted().map(|bytes| decode(&bytes))
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

/// A map that keeps its keys in insertion order (removal moves the last key
/// into the gap), kept straight in storage: byte for byte the layout of
/// near-sdk's `IterableMap` (sha256 hasher). Key `i` lives under
/// `prefix ++ "v" ++ u32_le(i)`, each value with its key's index under
/// `sha256(prefix ++ "m" ++ borsh(key))`; the map is stored as the number of
/// keys and the two prefixes.
pub struct RawIterableMap<K, V> {
    len: u32,
    keys_prefix: Box<[u8]>,
    values_prefix: Box<[u8]>,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> BorshSerialize for RawIterableMap<K, V> {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        self.len.serialize(writer)?;
        self.keys_prefix.serialize(writer)?;
        self.values_prefix.serialize(writer)
    }
}

impl<K, V> BorshDeserialize for RawIterableMap<K, V> {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        Ok(Self {
            len: u32::deserialize_reader(reader)?,
            keys_prefix: Box::<[u8]>::deserialize_reader(reader)?,
            values_prefix: Box::<[u8]>::deserialize_reader(reader)?,
            types: PhantomData,
        })
    }
}

impl<K, V> RawIterableMap<K, V>
where
    K: BorshSerialize + BorshDeserialize,
    V: BorshSerialize + BorshDeserialize,
{
    pub fn new(prefix: impl BorshSerialize) -> Self {
        let prefix = borsh::to_vec(&prefix).expect("borsh of a storage prefix");
        Self {
            len: 0,
            keys_prefix: [prefix.as_slice(), b"v"].concat().into_boxed_slice(),
            values_prefix: [prefix.as_slice(), b"m"].concat().into_boxed_slice(),
            types: PhantomData,
        }
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index_key(&self, index: u32) -> Vec<u8> {
        [&self.keys_prefix[..], &index.to_le_bytes()].concat()
    }

    fn value_key(&self, key: &K) -> [u8; 32] {
        let mut bytes = self.values_prefix.to_vec();
        key.serialize(&mut bytes).expect("borsh of a map key");
        env::sha256_array(&bytes)
    }

    fn entry(&self, key: &K) -> Option<(V, u32)> {
        env::storage_read(&self.value_key(key)).map(|bytes| decode(&bytes))
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entry(key).map(|(value, _)| value)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        env::storage_has_key(&self.value_key(key))
    }

    /// The key at `index` (in insertion order, as moved by removals).
    pub fn key_at(&self, index: u32) -> Option<K> {
        (index < self.len).then(|| decode(&env::storage_read(&self.index_key(index)).expect("a stored map key")))
    }

    /// Stores `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let (previous, index) = match self.entry(&key) {
            Some((previous, index)) => (Some(previous), index),
            None => {
                env::storage_write(&self.index_key(self.len), &encode(&key));
                self.len += 1;
                (None, self.len - 1)
            }
        };
        env::storage_write(&self.value_key(&key), &encode(&(value, index)));
        previous
    }

    /// Deletes the entry and returns its value; the last key moves into its place.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        if !env::storage_remove(&self.value_key(key)) {
            return None;
        }
        let (value, index): (V, u32) = decode(&env::storage_get_evicted().expect("the evicted value"));
        let last = self.len - 1;
        env::storage_remove(&self.index_key(last));
        if index != last {
            let moved: K = decode(&env::storage_get_evicted().expect("the evicted key"));
            env::storage_write(&self.index_key(index), &encode(&moved));
            let (moved_value, _) = self.entry(&moved).expect("a listed key has a value");
            env::storage_write(&self.value_key(&moved), &encode(&(moved_value, index)));
        }
        self.len = last;
        Some(value)
    }
}

fn encode(value: &impl BorshSerialize) -> Vec<u8> {
    borsh::to_vec(value).expect("borsh of a stored value")
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> T {
    T::try_from_slice(bytes).expect("a stored value")
}

/// Described with the fields near-sdk's `IterableMap` stores.
impl<K, V> BorshSchema for RawIterableMap<K, V> {
    fn add_definitions_recursively(definitions: &mut BTreeMap<Declaration, Definition>) {
        let fields = Fields::NamedFields(vec![
            ("len".to_string(), u32::declaration()),
            ("keys_prefix".to_string(), <Vec<u8>>::declaration()),
            ("values_prefix".to_string(), <Vec<u8>>::declaration()),
        ]);
        borsh::schema::add_definition(Self::declaration(), Definition::Struct { fields }, definitions);
        u32::add_definitions_recursively(definitions);
        <Vec<u8>>::add_definitions_recursively(definitions);
    }

    fn declaration() -> Declaration {
        "RawIterableMap".to_string()
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use near_sdk::store::{IterableMap, LookupMap};

    #[test]
    fn raw_map__should_read_and_write_what_a_lookup_map_stores() {
        let mut sdk: LookupMap<u32, String> = LookupMap::new(b"t".to_vec());
        sdk.insert(7, "seven".into());
        sdk.flush();
        let mut raw: RawMap<u32, String> = borsh::from_slice(&borsh::to_vec(&sdk).unwrap()).unwrap();
        assert_eq!(borsh::to_vec(&raw).unwrap(), borsh::to_vec(&sdk).unwrap());
        assert_eq!(raw.get(&7).as_deref(), Some("seven"));
        raw.insert(8, "eight".into());
        assert_eq!(raw.take(&7).as_deref(), Some("seven"));
        let sdk: LookupMap<u32, String> = LookupMap::new(b"t".to_vec());
        assert_eq!(sdk.get(&8).map(String::as_str), Some("eight"));
        assert!(!sdk.contains_key(&7));
    }

    #[test]
    fn raw_iterable_map__should_keep_an_iterable_maps_layout_and_order() {
        let mut sdk: IterableMap<u32, String> = IterableMap::new(b"i".to_vec());
        for k in 1..=4 {
            sdk.insert(k, format!("v{k}"));
        }
        sdk.remove(&1);
        sdk.flush();
        let mut raw: RawIterableMap<u32, String> = borsh::from_slice(&borsh::to_vec(&sdk).unwrap()).unwrap();
        let order =
            |raw: &RawIterableMap<u32, String>| (0..raw.len()).filter_map(|i| raw.key_at(i)).collect::<Vec<_>>();
        assert_eq!(order(&raw), sdk.keys().copied().collect::<Vec<_>>());
        assert_eq!(raw.get(&3).as_deref(), Some("v3"));
        assert_eq!(raw.remove(&4).as_deref(), Some("v4"));
        raw.insert(5, "v5".into());
        raw.insert(2, "v2'".into());
        let sdk: IterableMap<u32, String> = borsh::from_slice(&borsh::to_vec(&raw).unwrap()).unwrap();
        let entries: Vec<(u32, String)> = sdk.iter().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(order(&raw), entries.iter().map(|(k, _)| *k).collect::<Vec<_>>());
        assert_eq!(entries.len(), 3);
        assert_eq!(sdk.get(&2).map(String::as_str), Some("v2'"));
        assert_eq!(sdk.get(&5).map(String::as_str), Some("v5"));
        assert!(raw.remove(&4).is_none());
    }
}

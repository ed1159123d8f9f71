//! `lost_machine` picks distinct machines spread over the set.
#![allow(non_snake_case)]

use super::lost_machine;
use std::collections::HashSet;

#[test]
fn lost_machine__should_pick_distinct_machines_spread_over_the_whole_set() {
    for n in 2..=64 {
        for lose in 1..=n {
            let picked: Vec<usize> = (0..lose).map(|round| lost_machine(round, n, lose)).collect();
            assert_eq!(picked.iter().collect::<HashSet<_>>().len(), lose, "n {n}, lose {lose}: {picked:?}");
            assert!(picked.iter().all(|&i| i < n));
            // Spread: consecutive picks are at least n / lose apart (cyclically).
            for pair in picked.windows(2) {
                assert!((pair[1] + n - pair[0]) % n >= n / lose, "n {n}, lose {lose}: {picked:?}");
            }
        }
    }
    assert_eq!((0..3).map(|r| lost_machine(r, 7, 3)).collect::<Vec<_>>(), [1, 3, 5]);
    assert_eq!((0..3).map(|r| lost_machine(r, 4, 3)).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!((0..2).map(|r| lost_machine(r, 12, 2)).collect::<Vec<_>>(), [1, 7]);
}

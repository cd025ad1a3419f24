//! The session's seeded random generator (SplitMix64).
//!
//! Written here rather than taken from a crate so that its algorithm and state, which
//! saves store, can never change under a dependency update: a save made today must replay
//! the same numbers in every later version.

use serde::{Deserialize, Serialize};

/// A small, fast, seeded generator whose whole state is one `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator resumed from a saved [`Rng::state`].
    pub fn from_state(state: u64) -> Self {
        Rng { state }
    }

    /// The full state, for saves.
    pub fn state(self) -> u64 {
        self.state
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (`lo <= hi`), by multiply-shift; the bias is below 2^-64 of
    /// the range and does not matter to stories.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let offset = (u128::from(self.next_u64()) * span) >> 64;
        (i128::from(lo) + offset as i128) as i64
    }
}

//! Replay protection for signed writes: a signature is accepted once.
//!
//! A v2 signature covers the method, path, query (with `timestamp` and the client's
//! per-request `requestid`) and body, so the same signature means the same request sent
//! again. Signatures are remembered for the accepted skew on either side of their
//! `timestamp` (after that the skew check refuses them anyway). The memory is bounded:
//! when it is full, the oldest half is forgotten and every signed write whose timestamp is
//! not newer than what was forgotten is refused from then on, so a flood of fresh
//! signatures cannot make room for a replay.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};

/// Signatures remembered at most (about 32 bytes each).
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// The signatures of recent signed writes.
#[derive(Debug)]
pub struct ReplayGuard {
    /// How long (seconds, either side of its timestamp) a signature stays valid; `None`
    /// when the skew check is off (then only the capacity bounds the memory).
    window: Option<u64>,
    capacity: usize,
    hasher: RandomState,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Keyed hash of the signature → its request's `timestamp`.
    by_sig: HashMap<u64, u64>,
    /// Writes whose timestamp is not above this are refused (their signatures may have
    /// been forgotten).
    floor: Option<u64>,
    /// When expired entries were last swept (Unix seconds).
    swept_at: u64,
}

impl ReplayGuard {
    /// A guard for signatures valid `window` seconds either side of their timestamp.
    pub fn new(window: Option<u64>, capacity: usize) -> ReplayGuard {
        ReplayGuard {
            window,
            capacity: capacity.max(2),
            hasher: RandomState::new(),
            seen: Mutex::new(Seen::default()),
        }
    }

    /// Records `signature` (of a request stamped `timestamp`); `Err` says why it is refused.
    pub fn check(&self, signature: &str, timestamp: u64, now: u64) -> Result<(), String> {
        let key = self.hasher.hash_one(signature.trim_end_matches('='));
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.floor.is_some_and(|floor| timestamp <= floor) {
            return Err(
                "this signed write is too old to be checked for replays; sign it again with a fresh timestamp"
                    .into(),
            );
        }
        if seen.by_sig.contains_key(&key) {
            return Err(
                "this signature was already used: a signed write is accepted once (send a fresh requestid and timestamp per attempt)"
                    .into(),
            );
        }
        if let Some(window) = self.window {
            if now > seen.swept_at || seen.by_sig.len() >= self.capacity {
                let oldest_valid = now.saturating_sub(window);
                seen.by_sig.retain(|_, ts| *ts >= oldest_valid);
                seen.swept_at = now;
            }
        }
        if seen.by_sig.len() >= self.capacity {
            // Forget the older half; refuse what could have been among it.
            let mut stamps: Vec<u64> = seen.by_sig.values().copied().collect();
            let mid = stamps.len() / 2;
            let (_, median, _) = stamps.select_nth_unstable(mid);
            let floor = *median;
            seen.by_sig.retain(|_, ts| *ts > floor);
            seen.floor = Some(seen.floor.map_or(floor, |f| f.max(floor)));
            tracing::warn!(
                floor,
                "replay memory full: older signed writes are now refused"
            );
            if timestamp <= floor {
                return Err("this signed write is too old to be checked for replays; sign it again with a fresh timestamp".into());
            }
        }
        seen.by_sig.insert(key, timestamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_accepted_once() {
        let g = ReplayGuard::new(Some(60), 100);
        assert!(g.check("v2.abc", 1000, 1000).is_ok());
        assert!(g
            .check("v2.abc", 1000, 1010)
            .unwrap_err()
            .contains("already used"));
        assert!(
            g.check("v2.abc=", 1000, 1010).is_err(),
            "padding does not make it new"
        );
        assert!(g.check("v2.abd", 1000, 1010).is_ok());
        // Past the window the entry is swept (the skew check refuses such requests anyway).
        assert!(g.check("v2.new", 1100, 1100).is_ok());
        assert_eq!(g.seen.lock().unwrap().by_sig.len(), 1);
    }

    #[test]
    fn a_full_memory_raises_a_floor_instead_of_forgetting_silently() {
        let g = ReplayGuard::new(None, 10);
        for i in 0..10u64 {
            assert!(g.check(&format!("s{i}"), 100 + i, 0).is_ok());
        }
        // Full: the older half is forgotten, and writes stamped at or before it refused.
        assert!(g.check("s10", 120, 0).is_ok());
        for i in 0..=5u64 {
            assert!(
                g.check(&format!("s{i}"), 100 + i, 0).is_err(),
                "replay of s{i}"
            );
        }
        assert!(g.check("s9", 109, 0).is_err(), "still remembered");
        assert!(g.check("fresh", 121, 0).is_ok());
    }
}

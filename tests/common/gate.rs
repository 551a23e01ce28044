//! Builds that share a graph must not run beside a test that asserts what the cache
//! holds.
//!
//! BuildKit merges concurrent builds' identical vertices into one solve graph. While
//! another build holds a shared vertex (the `debian:bookworm` base of `examples/go`, say)
//! in its `complete` state, a build that should load a cached step on top of it can run
//! the step again instead (moby/buildkit#4674). The output is right, but a test asserting
//! `CACHED` fails. So every build takes the gate shared, and a test that asserts cache
//! hits takes it exclusively (`cache_sensitive`) for its whole body: no other build of
//! its binary is in flight meanwhile.

use std::cell::Cell;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

static BUILDS: RwLock<()> = RwLock::new(());

thread_local! {
    /// Whether this thread holds the gate exclusively (its own builds then pass freely).
    static EXCLUSIVE: Cell<bool> = const { Cell::new(false) };
}

/// Held by a test that asserts cache hits: no other build of the test binary runs until
/// it is dropped. Tests waiting for it are not a failure; `std`'s lock lets a waiting
/// writer in before new readers.
pub struct CacheSensitive {
    _guard: RwLockWriteGuard<'static, ()>,
}

impl Drop for CacheSensitive {
    fn drop(&mut self) {
        EXCLUSIVE.with(|held| held.set(false));
    }
}

pub fn cache_sensitive() -> CacheSensitive {
    let guard = BUILDS.write().unwrap_or_else(PoisonError::into_inner);
    EXCLUSIVE.with(|held| held.set(true));
    CacheSensitive { _guard: guard }
}

/// Taken by every build for its duration; `None` on the thread that holds the gate.
pub fn shared_build() -> Option<RwLockReadGuard<'static, ()>> {
    if EXCLUSIVE.with(Cell::get) {
        None
    } else {
        Some(BUILDS.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Whether this thread holds the gate exclusively.
pub fn held_exclusively() -> bool {
    EXCLUSIVE.with(Cell::get)
}

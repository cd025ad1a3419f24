//! [`AssetCache`]: asset files in memory, bounded in bytes, least recently used out first,
//! with an optional time to live.
//!
//! Times are arguments (`now`), so tests drive expiry exactly; the cache reads no clock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::telemetry::{Counter, Gauge, Registry};

/// How an [`AssetCache`] is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// The most bytes held; an asset larger than this is refused.
    pub max_bytes: u64,
    /// How long an asset stays usable after it was loaded, if bounded.
    pub ttl: Option<Duration>,
}

impl Default for CacheConfig {
    /// 64 MiB, no time to live.
    fn default() -> Self {
        CacheConfig {
            max_bytes: 64 << 20,
            ttl: None,
        }
    }
}

/// The cache's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a usable asset.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Assets dropped to make room.
    pub evictions: u64,
    /// Assets dropped because their time to live ran out.
    pub expired: u64,
    /// Assets refused because they alone exceed the byte budget.
    pub rejected: u64,
    /// Bytes held now.
    pub bytes: u64,
    /// Assets held now.
    pub entries: usize,
}

/// What [`AssetCache::begin_load`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadClaim {
    /// The asset is held and usable: nothing to load.
    Held,
    /// Someone is loading it now: the request is coalesced with theirs.
    Loading,
    /// The caller loads it; the generation goes to [`AssetCache::insert_loaded`].
    Claimed(u64),
}

/// What [`AssetCache::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Held, after evicting this many others.
    Held {
        /// Assets evicted to make room.
        evicted: usize,
    },
    /// Refused: larger than the whole budget.
    TooLarge,
    /// Dropped: an invalidation came while it was being loaded, so it may be the file's
    /// old content.
    Stale,
}

struct Entry {
    data: Arc<[u8]>,
    loaded_at: Instant,
    /// Its key in `lru`.
    used: u64,
}

#[derive(Default)]
struct Inner {
    entries: FxHashMap<PathBuf, Entry>,
    /// Entries by last use, oldest first.
    lru: BTreeMap<u64, PathBuf>,
    clock: u64,
    bytes: u64,
    /// Paths being loaded now, so that requests for them are coalesced.
    loading: FxHashSet<PathBuf>,
    /// Counts invalidations, so that a load begun before one is not kept.
    generation: u64,
}

struct Metrics {
    hits: Arc<Counter>,
    misses: Arc<Counter>,
    evictions: Arc<Counter>,
    expired: Arc<Counter>,
    rejected: Arc<Counter>,
    bytes: Arc<Gauge>,
}

/// Asset files by path; shared between the game thread and the pool (`Arc<AssetCache>`).
/// Every method takes a lock briefly; none does I/O.
pub struct AssetCache {
    config: CacheConfig,
    inner: Mutex<Inner>,
    metrics: Metrics,
}

impl std::fmt::Debug for AssetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetCache")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl AssetCache {
    /// An empty cache counting into `registry` (`qnce_asset_cache_*`).
    pub fn new(config: CacheConfig, registry: &Registry) -> AssetCache {
        let counter = |name, help| registry.counter(name, help, &[]);
        AssetCache {
            config,
            inner: Mutex::default(),
            metrics: Metrics {
                hits: counter(
                    "qnce_asset_cache_hits_total",
                    "Asset lookups that found it ready",
                ),
                misses: counter(
                    "qnce_asset_cache_misses_total",
                    "Asset lookups that did not",
                ),
                evictions: counter(
                    "qnce_asset_cache_evictions_total",
                    "Assets evicted to stay within the byte budget",
                ),
                expired: counter(
                    "qnce_asset_cache_expired_total",
                    "Assets dropped when their time to live ran out",
                ),
                rejected: counter(
                    "qnce_asset_cache_rejected_total",
                    "Assets refused for being larger than the whole byte budget",
                ),
                bytes: registry.gauge("qnce_asset_cache_bytes", "Bytes the asset cache holds", &[]),
            },
        }
    }

    /// The cache's bounds.
    pub fn config(&self) -> CacheConfig {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding this lock (no I/O, no user code); take the data
        // as it is if something did.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_fresh(&self, entry: &Entry, now: Instant) -> bool {
        self.config
            .ttl
            .is_none_or(|ttl| now.saturating_duration_since(entry.loaded_at) < ttl)
    }

    /// The asset at `path`, counted as a hit, and marked as recently used; `None` (a
    /// miss) when absent or expired (an expired asset is dropped).
    pub fn get(&self, path: &Path, now: Instant) -> Option<Arc<[u8]>> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let fresh = inner.entries.get(path).map(|e| self.is_fresh(e, now));
        match fresh {
            Some(true) => {
                let entry = inner.entries.get_mut(path)?;
                inner.clock += 1;
                if let Some(key) = inner.lru.remove(&entry.used) {
                    inner.lru.insert(inner.clock, key);
                }
                entry.used = inner.clock;
                self.metrics.hits.inc();
                Some(Arc::clone(&entry.data))
            }
            Some(false) => {
                self.remove(inner, path);
                self.metrics.expired.inc();
                self.metrics.misses.inc();
                None
            }
            None => {
                self.metrics.misses.inc();
                None
            }
        }
    }

    /// Whether a usable asset is held at `path` (not counted, not marked as used).
    pub fn contains(&self, path: &Path, now: Instant) -> bool {
        self.lock()
            .entries
            .get(path)
            .is_some_and(|e| self.is_fresh(e, now))
    }

    /// Holds `data` as the asset at `path`, loaded at `now`, evicting the least recently
    /// used assets until it fits.
    pub fn insert(&self, path: &Path, data: Arc<[u8]>, now: Instant) -> Inserted {
        self.insert_locked(&mut self.lock(), path, data, now)
    }

    fn insert_locked(
        &self,
        inner: &mut Inner,
        path: &Path,
        data: Arc<[u8]>,
        now: Instant,
    ) -> Inserted {
        let size = data.len() as u64;
        self.remove(inner, path);
        if size > self.config.max_bytes {
            self.metrics.rejected.inc();
            return Inserted::TooLarge;
        }
        let mut evicted = 0;
        while inner.bytes + size > self.config.max_bytes {
            let Some((_, oldest)) = inner.lru.pop_first() else {
                break;
            };
            if let Some(entry) = inner.entries.remove(&oldest) {
                inner.bytes -= entry.data.len() as u64;
            }
            evicted += 1;
        }
        self.metrics.evictions.add(evicted as u64);
        inner.clock += 1;
        inner.lru.insert(inner.clock, path.to_owned());
        inner.bytes += size;
        inner.entries.insert(
            path.to_owned(),
            Entry {
                data,
                loaded_at: now,
                used: inner.clock,
            },
        );
        self.metrics.bytes.set(inner.bytes as i64);
        Inserted::Held { evicted }
    }

    /// Drops the asset at `path` (its file changed); returns whether one was held.
    pub fn invalidate(&self, path: &Path) -> bool {
        let mut inner = self.lock();
        inner.generation += 1;
        self.remove(&mut inner, path)
    }

    /// Drops every asset.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.lru.clear();
        inner.bytes = 0;
        self.metrics.bytes.set(0);
    }

    fn remove(&self, inner: &mut Inner, path: &Path) -> bool {
        let Some(entry) = inner.entries.remove(path) else {
            return false;
        };
        inner.lru.remove(&entry.used);
        inner.bytes -= entry.data.len() as u64;
        self.metrics.bytes.set(inner.bytes as i64);
        true
    }

    /// Claims the loading of `path`, unless it is held and usable or already being
    /// loaded. After [`LoadClaim::Claimed`] the caller must call [`AssetCache::loaded`]
    /// when done, whatever the outcome.
    pub fn begin_load(&self, path: &Path, now: Instant) -> LoadClaim {
        let mut inner = self.lock();
        let fresh = inner
            .entries
            .get(path)
            .is_some_and(|e| self.is_fresh(e, now));
        if fresh {
            LoadClaim::Held
        } else if inner.loading.insert(path.to_owned()) {
            LoadClaim::Claimed(inner.generation)
        } else {
            LoadClaim::Loading
        }
    }

    /// As [`AssetCache::insert`], for a load claimed at `generation`: dropped when an
    /// invalidation came since, as the file may have been read before it changed.
    pub fn insert_loaded(
        &self,
        path: &Path,
        data: Arc<[u8]>,
        now: Instant,
        generation: u64,
    ) -> Inserted {
        let mut inner = self.lock();
        if inner.generation != generation {
            return Inserted::Stale;
        }
        self.insert_locked(&mut inner, path, data, now)
    }

    /// Ends a load claimed by [`AssetCache::begin_load`].
    pub fn loaded(&self, path: &Path) {
        self.lock().loading.remove(path);
    }

    /// The counters now.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        let m = &self.metrics;
        CacheStats {
            hits: m.hits.get(),
            misses: m.misses.get(),
            evictions: m.evictions.get(),
            expired: m.expired.get(),
            rejected: m.rejected.get(),
            bytes: inner.bytes,
            entries: inner.entries.len(),
        }
    }
}

//! Assets (the files nodes reference): an in-memory [`AssetCache`], and [`Assets`], which
//! loads them on the [`Pool`] ahead of the player.
//!
//! When a flow enters a node, [`Assets::preload_ahead`] queues the assets of every node
//! reachable within [`AssetsConfig::depth`] choices: from the current node through the
//! choices displayed now (and its fallbacks and `next`), deeper through every choice not
//! already used up (`once`); the other flows' positions count as one choice away. Conditions deeper than the current node are not evaluated:
//! they depend on a state that does not exist yet, and evaluating them could draw from the
//! session's random generator. Loads are high-priority pool jobs, cancelled at shutdown;
//! two requests for one file are coalesced. The game thread only takes the cache's lock.

mod cache;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rustc_hash::FxHashSet;

pub use cache::{AssetCache, CacheConfig, CacheStats, Inserted, LoadClaim};

use crate::pool::{AtShutdown, Pool, Priority, SpawnError};
use crate::telemetry::{Counter, Event, Telemetry};
use qnce_core::internal::StoryInternals;
use qnce_core::runtime::Session;
use qnce_core::story::components::{Choices, Next, NodeAssets, NodeCall};
use qnce_core::story::{AssetId, ChoiceId, NodeId, Story};
use qnce_load::file_key;

/// How assets are cached and preloaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetsConfig {
    /// The cache's bounds.
    pub cache: CacheConfig,
    /// How many choices ahead to preload.
    pub depth: usize,
}

impl Default for AssetsConfig {
    /// The default cache, two choices ahead.
    fn default() -> Self {
        AssetsConfig {
            cache: CacheConfig::default(),
            depth: 2,
        }
    }
}

/// A node's assets as a lookup found them.
#[derive(Clone, Debug, Default)]
pub struct NodeAssetsReady {
    /// Loaded: the asset and its bytes.
    pub ready: Vec<(AssetId, Arc<[u8]>)>,
    /// Not loaded yet; requested now, to be ready at the next lookup.
    pub pending: Vec<AssetId>,
}

/// What [`Assets::request`] did with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Held already, or being loaded: nothing to do.
    Coalesced,
    /// A load was queued.
    Queued,
    /// The pool refused the load (its queue is full or it is shutting down).
    Refused,
}

struct Counters {
    queued: Arc<Counter>,
    coalesced: Arc<Counter>,
    refused: Arc<Counter>,
    failed: Arc<Counter>,
}

/// The asset cache and its preloader; clone it freely (it is `Arc`s).
#[derive(Clone)]
pub struct Assets {
    cache: Arc<AssetCache>,
    pool: Arc<Pool>,
    telemetry: Telemetry,
    depth: usize,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets")
            .field("cache", &self.cache)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

/// Releases a load's claim on its path however the job ends (done, failed, panicked,
/// cancelled at shutdown).
struct Claim {
    cache: Arc<AssetCache>,
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.cache.loaded(&self.path);
    }
}

impl Assets {
    /// A cache counting into the telemetry's registry, loading on `pool`.
    pub fn new(pool: Arc<Pool>, telemetry: Telemetry, config: AssetsConfig) -> Assets {
        let registry = telemetry.registry();
        let counter = |name, help| registry.counter(name, help, &[]);
        let counters = Counters {
            queued: counter(
                "qnce_asset_loads_queued_total",
                "Asset loads queued on the pool",
            ),
            coalesced: counter(
                "qnce_asset_requests_coalesced_total",
                "Asset requests for a file already being loaded, joined to that load",
            ),
            refused: counter(
                "qnce_asset_loads_refused_total",
                "Asset loads the pool refused (queue full or shutting down)",
            ),
            failed: counter(
                "qnce_asset_loads_failed_total",
                "Asset files that could not be read",
            ),
        };
        Assets {
            cache: Arc::new(AssetCache::new(config.cache, registry)),
            pool,
            telemetry,
            depth: config.depth,
            counters: Arc::new(counters),
        }
    }

    /// The cache.
    pub fn cache(&self) -> &AssetCache {
        &self.cache
    }

    /// The file of asset `id`, as the cache keys it.
    pub fn path(story: &Story, id: AssetId) -> Option<PathBuf> {
        story
            .asset(id)
            .map(|source| file_key(&story.root().join(&source.path)))
    }

    /// The assets of `node`: those loaded (counted as cache hits) and those not (misses,
    /// requested now).
    pub fn node(&self, story: &Story, node: NodeId, now: Instant) -> NodeAssetsReady {
        let mut found = NodeAssetsReady::default();
        for &id in node_assets(story, node) {
            let Some(path) = Assets::path(story, id) else {
                continue;
            };
            match self.cache.get(&path, now) {
                Some(data) => found.ready.push((id, data)),
                None => {
                    self.request(&path, now);
                    found.pending.push(id);
                }
            }
        }
        found
    }

    /// The voice file of line `line` in `locale` (see [`Story::voice`]), as the cache
    /// keys it.
    pub fn voice_path(story: &Story, locale: Option<&str>, line: &str) -> Option<PathBuf> {
        story
            .voice(locale, line)
            .map(|path| file_key(&story.root().join(path)))
    }

    /// The recording of line `line` in `locale`: its bytes when loaded (a cache hit), else
    /// `None`, and its load requested (a miss). `None` too for a line not voiced.
    pub fn voice(
        &self,
        story: &Story,
        locale: Option<&str>,
        line: &str,
        now: Instant,
    ) -> Option<Arc<[u8]>> {
        let path = Assets::voice_path(story, locale, line)?;
        let data = self.cache.get(&path, now);
        if data.is_none() {
            self.request(&path, now);
        }
        data
    }

    /// Queues the assets, and the voice files in the session's language, of every node
    /// reachable from `session`'s current node within the configured depth; returns how
    /// many loads were queued.
    pub fn preload_ahead(&self, story: &Story, session: &Session, now: Instant) -> usize {
        let mut n_queued = 0;
        let voiced = !story.voices().is_empty();
        for node in reachable(story, session, self.depth) {
            let assets = node_assets(story, node)
                .iter()
                .filter_map(|&id| Assets::path(story, id));
            let voices = story
                .node_texts(node)
                .filter(|_| voiced)
                .filter_map(|(line, _, _)| Assets::voice_path(story, session.locale(), line));
            for path in assets.chain(voices) {
                if self.request(&path, now) == Request::Queued {
                    n_queued += 1;
                }
            }
        }
        n_queued
    }

    /// Queues a load of the file at `path` (a cache key, see [`Assets::path`]) unless it
    /// is held or being loaded.
    pub fn request(&self, path: &Path, now: Instant) -> Request {
        let generation = match self.cache.begin_load(path, now) {
            LoadClaim::Claimed(generation) => generation,
            LoadClaim::Loading => {
                self.counters.coalesced.inc();
                return Request::Coalesced;
            }
            LoadClaim::Held => return Request::Coalesced,
        };
        let claim = Claim {
            cache: Arc::clone(&self.cache),
            path: path.to_owned(),
        };
        let telemetry = self.telemetry.clone();
        let failed = Arc::clone(&self.counters.failed);
        let job = move || {
            let _span = tracing::debug_span!("preload").entered();
            let budget = claim.cache.config().max_bytes;
            match read_within(&claim.path, budget) {
                Ok(Ok(bytes)) => {
                    let size = bytes.len() as u64;
                    let inserted = claim.cache.insert_loaded(
                        &claim.path,
                        bytes.into(),
                        Instant::now(),
                        generation,
                    );
                    if inserted == Inserted::TooLarge {
                        telemetry.record(Event::BudgetExceeded {
                            budget: "cache_bytes".to_owned(),
                            limit: budget,
                            requested: size,
                        });
                    }
                }
                Ok(Err(size)) => telemetry.record(Event::BudgetExceeded {
                    budget: "cache_bytes".to_owned(),
                    limit: budget,
                    requested: size,
                }),
                Err(e) => {
                    failed.inc();
                    telemetry.record(Event::Error {
                        message: format!("cannot read asset {}: {e}", claim.path.display()),
                    });
                }
            }
            drop(claim);
        };
        match self.pool.spawn(Priority::High, AtShutdown::Cancel, job) {
            Ok(()) => {
                self.counters.queued.inc();
                Request::Queued
            }
            Err(e) => {
                self.counters.refused.inc();
                if let SpawnError::Full(priority) = e {
                    let limit = self.pool.capacity(priority) as u64;
                    self.telemetry.record(Event::BudgetExceeded {
                        budget: "pool_queue".to_owned(),
                        limit,
                        requested: limit + 1,
                    });
                }
                Request::Refused
            }
        }
    }

    /// After an edit of asset files: drops the cached copies of `paths` (cache keys or
    /// watcher paths); returns how many were held.
    pub fn invalidate(&self, paths: &[PathBuf]) -> usize {
        paths
            .iter()
            .filter(|p| self.cache.invalidate(&file_key(p)))
            .count()
    }

    /// Drops every cached asset (any file may have changed).
    pub fn invalidate_all(&self) {
        self.cache.clear();
    }
}

/// The bytes of the regular file at `path` if it holds at most `budget` bytes, else
/// `Err(size)` (from its metadata, before reading; or one byte past the budget, for a
/// file that grows while read). Anything but a regular file is an error, since a FIFO
/// would block the pool's thread and a device would not end.
fn read_within(path: &Path, budget: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read as _;
    // Checked before opening (opening a FIFO waits for a writer) and again after.
    let not_a_file = || std::io::Error::other("not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_a_file());
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    if meta.len() > budget {
        return Ok(Err(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(budget.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > budget {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

fn node_assets(story: &Story, node: NodeId) -> &[AssetId] {
    story
        .node(node)
        .and_then(|n| n.get::<NodeAssets>())
        .map_or(&[], |a| &a.0)
}

/// The nodes reachable from `session`'s current node within `depth` choices, the current
/// node first. `next` links cost no choice; switching to another flow costs one.
pub fn reachable(story: &Story, session: &Session, depth: usize) -> Vec<NodeId> {
    let Some(start) = session.current_node() else {
        return Vec::new();
    };
    let mut seen = FxHashSet::default();
    let mut level = vec![start];
    let mut out = Vec::new();
    for distance in 0..=depth {
        // `next` chains first: they are part of this level.
        let level_start = out.len();
        let mut i = 0;
        while i < level.len() {
            let node = level[i];
            i += 1;
            if !seen.insert(node) {
                continue;
            }
            out.push(node);
            // A node with `call` goes there before `next`.
            if let Some(NodeCall(Some(call))) = story.node(node).and_then(|n| n.get::<NodeCall>()) {
                level.push(*call);
            }
            if let Some(Next(Some(next))) = story.node(node).and_then(|n| n.get::<Next>()) {
                level.push(*next);
            }
        }
        if distance == depth {
            break;
        }
        let mut following = Vec::new();
        // The choices on display, looked up once per choice of the current node (a node
        // may have a hundred thousand).
        let displayed: FxHashSet<ChoiceId> = if distance == 0 {
            session.choices().map(|(view, _)| view.id).collect()
        } else {
            FxHashSet::default()
        };
        for &node in &out[level_start..] {
            let Some(choices) = story.node(node).and_then(|n| n.get::<Choices>()) else {
                continue;
            };
            for c in &choices.0 {
                let id = c.choice.id;
                let shown_now = node != start || c.flags.fallback || displayed.contains(&id);
                let used_up = c.flags.once && session.was_chosen(node, id);
                if shown_now && !used_up {
                    following.extend(c.target.nodes());
                }
            }
        }
        if distance == 0 {
            // Switching to another flow is one input away, like a choice.
            for &flow in story.flow_ids() {
                let at = session
                    .flows()
                    .find(|&(f, _)| f == flow)
                    .and_then(|(_, at)| at);
                if let Some(node) = at.or_else(|| story.flow_start(flow)) {
                    following.push(node);
                }
            }
        }
        level = following;
    }
    out
}

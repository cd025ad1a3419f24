//! The asset cache (LRU, time to live, byte budget, coalescing) and preloading: the hit
//! rate of scripted playthroughs of the example stories, and edits of asset files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qnce::assets::{AssetCache, AssetsConfig, CacheConfig, Inserted, LoadClaim, Request};
use qnce::input::{Controls, Input};
use qnce::pool::{AtShutdown, PoolConfig, Priority};
use qnce::reload::Host;
use qnce::runtime::Rng;
use qnce::services::{Services, ServicesConfig};
use qnce::telemetry::Registry;
use qnce::watch::Batch;
use qnce::{Limits, SessionConfig};

use crate::support::{TempDir, example};

const PATIENCE: Duration = Duration::from_secs(30);

fn cache(max_bytes: u64, ttl: Option<Duration>) -> AssetCache {
    AssetCache::new(CacheConfig { max_bytes, ttl }, &Registry::default())
}

fn bytes(n: usize) -> Arc<[u8]> {
    vec![7u8; n].into()
}

#[test]
fn least_recently_used_asset_is_evicted_first() {
    let cache = cache(100, None);
    let t = Instant::now();
    let (a, b, c) = (Path::new("/a"), Path::new("/b"), Path::new("/c"));
    cache.insert(a, bytes(40), t);
    cache.insert(b, bytes(40), t);
    assert!(cache.get(a, t).is_some(), "a is now the most recently used");
    assert_eq!(cache.insert(c, bytes(40), t), Inserted::Held { evicted: 1 });
    assert!(cache.contains(a, t) && cache.contains(c, t));
    assert!(!cache.contains(b, t));
    let stats = cache.stats();
    assert_eq!((stats.evictions, stats.bytes, stats.entries), (1, 80, 2));
    assert_eq!((stats.hits, stats.misses), (1, 0));
}

#[test]
fn asset_past_its_time_to_live_is_a_miss_and_dropped() {
    let cache = cache(100, Some(Duration::from_secs(10)));
    let t = Instant::now();
    let a = Path::new("/a");
    cache.insert(a, bytes(10), t);
    assert!(cache.get(a, t + Duration::from_secs(9)).is_some());
    assert!(cache.get(a, t + Duration::from_secs(10)).is_none());
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.expired), (1, 1, 1));
    assert_eq!((stats.bytes, stats.entries), (0, 0));
}

#[test]
fn asset_larger_than_the_budget_is_refused_and_counted() {
    let cache = cache(100, None);
    let t = Instant::now();
    cache.insert(Path::new("/small"), bytes(60), t);
    assert_eq!(
        cache.insert(Path::new("/big"), bytes(101), t),
        Inserted::TooLarge
    );
    let stats = cache.stats();
    assert_eq!((stats.rejected, stats.evictions, stats.bytes), (1, 0, 60));
    // Exactly the budget fits, evicting the rest.
    assert_eq!(
        cache.insert(Path::new("/exact"), bytes(100), t),
        Inserted::Held { evicted: 1 }
    );
}

#[test]
fn requests_for_one_file_are_coalesced_into_one_load() {
    let dir = TempDir::new("assets-coalesce");
    let file = dir.path().join("bell.txt");
    std::fs::write(&file, "ding").unwrap();
    let services = Services::start(&ServicesConfig {
        pool: PoolConfig {
            threads: 1,
            ..PoolConfig::default()
        },
        ..ServicesConfig::default()
    })
    .unwrap();
    // Hold the worker so that the first load is still queued when the second comes.
    let (release, gate) = crossbeam_channel::bounded::<()>(0);
    services
        .pool
        .spawn(Priority::High, AtShutdown::Finish, move || {
            let _ = gate.recv();
        })
        .unwrap();
    let assets = &services.assets;
    let t = Instant::now();
    assert_eq!(assets.request(&file, t), Request::Queued);
    assert_eq!(assets.request(&file, t), Request::Coalesced);
    drop(release);
    assert!(services.pool.wait_idle(PATIENCE));
    assert_eq!(
        assets.cache().get(&file, Instant::now()).as_deref(),
        Some(&b"ding"[..])
    );
    // Held now: a third request is coalesced too, with no load.
    assert_eq!(assets.request(&file, Instant::now()), Request::Coalesced);
    assert_eq!(services.pool.stats().completed, 2, "the gate and one load");
    services.shutdown();
}

/// Plays `story` with seeded random choices (undoing now and then, switching flows when
/// there are several), waiting after each input for the preloads it started, as a player
/// reading the text would; returns the cache's hits and misses after the first node.
fn scripted_hit_rate(story: &Path, seed: u64, n_inputs: usize) -> (u64, u64) {
    let services = Services::start(&ServicesConfig::default()).unwrap();
    let mut host = Host::open(story, &Limits::default()).unwrap().value;
    host.attach(&services);
    let player = host.add_session(SessionConfig::with_seed(seed)).unwrap();
    assert!(services.pool.wait_idle(PATIENCE));
    let first = services.assets.cache().stats();
    let mut walk = Rng::new(seed);
    let mut controls = Controls::default();
    let flows: Vec<_> = host.story().flow_ids().to_vec();
    for _ in 0..n_inputs {
        let session = host.session(player).unwrap();
        let input = match walk.range(0, 9) {
            0 if session.can_undo() => Input::Undo,
            1 if flows.len() > 1 => {
                Input::SwitchFlow(flows[walk.range(0, flows.len() as i64 - 1) as usize])
            }
            _ if session.is_ended() => Input::Undo,
            _ => Input::Choose(walk.range(0, session.n_choices() as i64 - 1) as usize),
        };
        // A flow switch to the current flow, or undo with nothing to undo, is refused;
        // the walk goes on.
        let _ = host.input(player, &mut controls, input);
        assert!(services.pool.wait_idle(PATIENCE));
    }
    let stats = services.assets.cache().stats();
    services.shutdown();
    (stats.hits - first.hits, stats.misses - first.misses)
}

#[test]
fn preloading_gives_a_hit_rate_of_at_least_95_percent_after_the_first_node() {
    for story in ["crossroads", "lighthouse"] {
        let (mut hits, mut misses) = (0, 0);
        for seed in 1..=5 {
            let (h, m) = scripted_hit_rate(&example(story), seed, 40);
            hits += h;
            misses += m;
        }
        let rate = hits as f64 / (hits + misses) as f64;
        assert!(
            hits + misses >= 50,
            "{story}: only {} lookups",
            hits + misses
        );
        assert!(
            rate >= 0.95,
            "{story}: hit rate {rate:.3} ({hits} hits, {misses} misses)"
        );
    }
}

#[test]
fn without_preloading_the_same_playthrough_misses() {
    // The check above can fail: with nothing preloaded ahead, entering a node with assets
    // finds them missing.
    let services = Services::start(&ServicesConfig {
        assets: AssetsConfig {
            depth: 0,
            ..AssetsConfig::default()
        },
        ..ServicesConfig::default()
    })
    .unwrap();
    let mut host = Host::open(example("crossroads"), &Limits::default())
        .unwrap()
        .value;
    host.attach(&services);
    let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
    let mut controls = Controls::default();
    // start → mountain → summit: each node's assets are only requested on entry.
    for choice in [1, 0] {
        host.input(player, &mut controls, Input::Choose(choice))
            .unwrap()
            .unwrap();
        assert!(services.pool.wait_idle(PATIENCE));
    }
    let stats = services.assets.cache().stats();
    assert_eq!(stats.hits, 0);
    assert_eq!(stats.misses, 3, "sign, wind, valley");
    services.shutdown();
}

#[test]
fn edited_asset_file_is_invalidated_and_loaded_again() {
    let dir = TempDir::copy_of(&example("crossroads"), "assets-edit");
    let services = Services::start(&ServicesConfig::default()).unwrap();
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    host.attach(&services);
    let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
    assert!(services.pool.wait_idle(PATIENCE));
    let sign: PathBuf = dir.path().join("assets/sign.txt");
    let read = |services: &Services| {
        let key = std::path::absolute(&sign).unwrap();
        services.assets.cache().get(&key, Instant::now())
    };
    assert!(
        read(&services)
            .unwrap()
            .starts_with(b"A weathered signpost")
    );

    std::fs::write(&sign, "A new signpost.\n").unwrap();
    let batch = Batch {
        paths: vec![sign.clone()],
        ..Batch::default()
    };
    assert!(
        host.handle(&batch).is_none(),
        "an asset edit is not a story reload"
    );
    assert!(services.pool.wait_idle(PATIENCE));
    assert_eq!(read(&services).as_deref(), Some(&b"A new signpost.\n"[..]));
    assert_eq!(
        host.session(player).unwrap().text().split(',').next(),
        Some("You stand at a crossroads")
    );
    services.shutdown();
}

#[test]
fn a_load_begun_before_an_invalidation_is_not_kept() {
    let cache = cache(100, None);
    let t = Instant::now();
    let (a, b) = (Path::new("/a"), Path::new("/b"));
    let LoadClaim::Claimed(generation) = cache.begin_load(a, t) else {
        panic!("nothing holds or loads /a yet")
    };
    assert_eq!(
        cache.begin_load(a, t),
        LoadClaim::Loading,
        "coalesced while loading"
    );
    // The file may have been read before this edit: what the load read is dropped.
    cache.invalidate(a);
    assert_eq!(
        cache.insert_loaded(a, bytes(5), t, generation),
        Inserted::Stale
    );
    cache.loaded(a);
    assert!(!cache.contains(a, t));
    let LoadClaim::Claimed(generation) = cache.begin_load(b, t) else {
        panic!("nothing holds or loads /b yet")
    };
    assert_eq!(
        cache.insert_loaded(b, bytes(5), t, generation),
        Inserted::Held { evicted: 0 }
    );
    assert_eq!(cache.begin_load(b, t), LoadClaim::Held);
}

/// Issue 14, class 4: an asset was read whole before its size was compared with the
/// cache's budget (a 2 GB file took 4.2 GB), and a FIFO blocked a pool thread for good.
/// Sizes are read from metadata first, at most the budget is read, and only regular files.
#[test]
fn assets_past_the_budget_or_not_files_are_refused_without_reading() {
    let dir = TempDir::new("assets-hostile");
    // A sparse terabyte: reading it whole would abort on allocation.
    let huge = dir.path().join("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let fifo = dir.path().join("pipe.bin");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let services = Services::start(&ServicesConfig {
        assets: AssetsConfig {
            cache: CacheConfig {
                max_bytes: 1 << 20,
                ttl: None,
            },
            ..AssetsConfig::default()
        },
        ..ServicesConfig::default()
    })
    .unwrap();
    let t = Instant::now();
    assert_eq!(services.assets.request(&huge, t), Request::Queued);
    assert_eq!(services.assets.request(&fifo, t), Request::Queued);
    assert!(services.pool.wait_idle(PATIENCE), "a load never finished");
    let cache = services.assets.cache();
    assert!(cache.get(&huge, Instant::now()).is_none());
    assert!(cache.get(&fifo, Instant::now()).is_none());
    services.shutdown();
    let metrics = services.registry.snapshot();
    assert_eq!(
        metrics.counter(r#"qnce_budget_exceeded_total{budget="cache_bytes"}"#),
        1
    );
    assert_eq!(metrics.counter("qnce_asset_loads_failed_total"), 1);
}

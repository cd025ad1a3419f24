//! qnce-services: the engine's background machinery. [`pool`] (the thread pool: priorities,
//! refusal when full, cancelling at shutdown), [`assets`] (a byte-bounded cache and
//! preloading of the nodes ahead), [`telemetry`] (events, metrics, span timings, the
//! `/metrics` endpoint), and [`Services`], which starts them together and shuts them down
//! in order (telemetry flushed, then the pool's queues finished or cancelled).
#![forbid(unsafe_code)]

pub mod assets;
pub mod pool;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use crate::assets::{Assets, AssetsConfig};
use crate::pool::{Pool, PoolConfig, ShutdownReport};
use crate::telemetry::{Registry, Telemetry, TelemetryConfig, http};

/// How the services are set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicesConfig {
    /// The pool.
    pub pool: PoolConfig,
    /// Telemetry (queue, file, file budget).
    pub telemetry: TelemetryConfig,
    /// The asset cache and preloading.
    pub assets: AssetsConfig,
}

/// The pool, registry, telemetry and asset cache of one engine.
#[derive(Debug)]
pub struct Services {
    /// The thread pool.
    pub pool: Arc<Pool>,
    /// Every metric.
    pub registry: Arc<Registry>,
    /// Telemetry events to the registry and the JSON-lines file.
    pub telemetry: Telemetry,
    /// The asset cache and preloader.
    pub assets: Assets,
}

impl Services {
    /// Starts the pool and the rest.
    ///
    /// # Errors
    /// When a thread cannot start or the telemetry file cannot be opened.
    pub fn start(config: &ServicesConfig) -> std::io::Result<Services> {
        let registry = Arc::new(Registry::default());
        let pool = Arc::new(Pool::new(&config.pool)?);
        collect_pool(&registry, Arc::downgrade(&pool));
        let telemetry =
            Telemetry::new(Arc::clone(&pool), Arc::clone(&registry), &config.telemetry)?;
        let assets = Assets::new(Arc::clone(&pool), telemetry.clone(), config.assets);
        Ok(Services {
            pool,
            registry,
            telemetry,
            assets,
        })
    }

    /// Serves `/metrics` (and `/snapshot.json`, `POST /reset`) at `addr` until shutdown;
    /// returns the address bound (port 0 picks one).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn serve_metrics(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        http::serve(addr, Arc::clone(&self.registry), &self.pool)
    }

    /// Stops accepting telemetry and flushes it, then shuts the pool down (preloads
    /// cancelled, flushes finished, the metrics endpoint stopped).
    pub fn shutdown(&self) -> ShutdownReport {
        let start = std::time::Instant::now();
        self.telemetry.close();
        let mut report = self.pool.shutdown();
        report.took = start.elapsed();
        report
    }
}

/// Mirrors the pool's counters into the registry at each read. The collector holds the
/// pool weakly: the registry must not keep the pool's threads alive.
fn collect_pool(registry: &Arc<Registry>, pool: Weak<Pool>) {
    let gauge = |name, help, labels: &[(&'static str, &str)]| registry.gauge(name, help, labels);
    let counter = |name, help| registry.counter(name, help, &[]);
    let depth_help = "Jobs waiting in the pool's queue";
    let high = gauge("qnce_pool_queue_depth", depth_help, &[("priority", "high")]);
    let low = gauge("qnce_pool_queue_depth", depth_help, &[("priority", "low")]);
    let running = gauge("qnce_pool_running", "Jobs running now", &[]);
    let threads = gauge("qnce_pool_threads", "Worker threads", &[]);
    let completed = counter(
        "qnce_pool_jobs_completed_total",
        "Pool jobs run to their end",
    );
    let panicked = counter(
        "qnce_pool_jobs_panicked_total",
        "Pool jobs that panicked (caught)",
    );
    let rejected = counter(
        "qnce_pool_jobs_rejected_total",
        "Pool jobs refused: queue full",
    );
    let cancelled = counter(
        "qnce_pool_jobs_cancelled_total",
        "Pool jobs dropped at shutdown",
    );
    registry.collect_with(move || {
        let Some(pool) = pool.upgrade() else { return };
        let stats = pool.stats();
        high.set(stats.queued_high as i64);
        low.set(stats.queued_low as i64);
        running.set(stats.running as i64);
        threads.set(stats.threads as i64);
        completed.set_total(stats.completed);
        panicked.set_total(stats.panicked);
        rejected.set_total(stats.rejected);
        cancelled.set_total(stats.cancelled);
    });
}

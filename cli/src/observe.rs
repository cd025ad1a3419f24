//! `qnce play`'s performance and telemetry options: the engine's services (pool, asset
//! cache, telemetry), the metrics endpoint, span timing and Chrome traces.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use qnce::assets::{AssetsConfig, CacheConfig};
use qnce::pool::PoolConfig;
use qnce::services::{Services, ServicesConfig};
use qnce::telemetry::{SpanConfig, SpanTimings, TelemetryConfig};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(clap::Args)]
#[command(next_help_heading = "Performance and telemetry")]
pub(crate) struct ObserveArgs {
    /// Serve metrics at ADDR while playing: Prometheus text at /metrics, and what
    /// `qnce perf` reads (e.g. 127.0.0.1:9464; port 0 picks a free one). The address is
    /// printed on standard error.
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Allow `--metrics-addr` to be an address other machines can reach (the endpoint has
    /// no authentication, and `POST /reset` empties its histograms).
    #[arg(long)]
    metrics_public: bool,
    /// Append telemetry events (session start, node entered, choice made, reloads, input
    /// latency, errors) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    telemetry: Option<PathBuf>,
    /// Write every span (none sampled, expression evaluation included) to FILE as a
    /// Chrome trace, for chrome://tracing or ui.perfetto.dev.
    #[arg(long, value_name = "FILE")]
    trace_chrome: Option<PathBuf>,
    /// Budget of the telemetry file, in bytes; past it events are counted, not written.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    telemetry_budget: u64,
    /// Telemetry events queued between flushes; past it the oldest are dropped and
    /// counted.
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    telemetry_queue: usize,
    /// Budget of the asset cache, in bytes (least recently used assets are evicted).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    cache_bytes: u64,
    /// How long a cached asset stays usable, in seconds (default: until evicted).
    #[arg(long, value_name = "SECONDS")]
    cache_ttl: Option<u64>,
    /// Preload the assets of nodes up to this many choices ahead.
    #[arg(long, value_name = "N", default_value_t = 2)]
    preload_depth: usize,
    /// Worker threads of the engine's pool (default: cores minus one, at least one).
    #[arg(long, value_name = "N")]
    pool_threads: Option<usize>,
    /// Jobs each of the pool's two queues holds before refusing more.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pool_queue: usize,
}

/// The running services, and the Chrome trace's writer.
pub(crate) struct Observed {
    services: Services,
    chrome: Option<tracing_chrome::FlushGuard>,
}

impl Observed {
    pub(crate) fn services(&self) -> &Services {
        &self.services
    }

    /// Flushes telemetry, stops the pool and the endpoint, and finishes the trace file.
    pub(crate) fn shutdown(self) {
        self.services.shutdown();
        drop(self.chrome);
    }
}

/// Starts the services and, when metrics are served or a trace is written, installs the
/// span layers as the process's subscriber.
pub(crate) fn start(args: &ObserveArgs) -> Result<Observed, String> {
    check_metrics_addr(args)?;
    let defaults = PoolConfig::default();
    let config = ServicesConfig {
        pool: PoolConfig {
            threads: args.pool_threads.unwrap_or(defaults.threads),
            high_capacity: args.pool_queue,
            low_capacity: args.pool_queue,
        },
        telemetry: TelemetryConfig {
            queue: args.telemetry_queue,
            file: args.telemetry.clone(),
            file_budget: args.telemetry_budget,
        },
        assets: AssetsConfig {
            cache: CacheConfig {
                max_bytes: args.cache_bytes,
                ttl: args.cache_ttl.map(Duration::from_secs),
            },
            depth: args.preload_depth,
        },
    };
    let services = Services::start(&config).map_err(|e| match &args.telemetry {
        Some(path) => format!("cannot start telemetry ({}): {e}", path.display()),
        None => format!("cannot start the engine's threads: {e}"),
    })?;
    let chrome = match (&args.metrics_addr, &args.trace_chrome) {
        (None, None) => None,
        (_, trace) => {
            let span_config = match trace {
                // A trace wants every span, the frequent ones too.
                Some(_) => SpanConfig {
                    level: LevelFilter::TRACE,
                    sample_every: 1,
                },
                None => SpanConfig::default(),
            };
            let timings = SpanTimings::with_config(Arc::clone(&services.registry), span_config);
            let (chrome_layer, guard) = match trace {
                Some(path) => {
                    let (layer, guard) = tracing_chrome::ChromeLayerBuilder::new()
                        .file(path)
                        .include_args(true)
                        .build();
                    (Some(layer), Some(guard))
                }
                None => (None, None),
            };
            let subscriber = tracing_subscriber::registry()
                .with(timings)
                .with(chrome_layer);
            tracing::subscriber::set_global_default(subscriber)
                .map_err(|e| format!("cannot install the span layers: {e}"))?;
            guard
        }
    };
    if let Some(addr) = args.metrics_addr {
        let bound = services
            .serve_metrics(addr)
            .map_err(|e| format!("cannot serve metrics at {addr}: {e}"))?;
        eprintln!("metrics: http://{bound}/metrics");
    }
    Ok(Observed { services, chrome })
}

/// Refuses a metrics address other machines can reach unless `--metrics-public` says so,
/// and warns when it does: the endpoint has no authentication.
fn check_metrics_addr(args: &ObserveArgs) -> Result<(), String> {
    let Some(addr) = args.metrics_addr else {
        return Ok(());
    };
    if addr.ip().to_canonical().is_loopback() {
        return Ok(());
    }
    if !args.metrics_public {
        return Err(format!(
            "--metrics-addr {addr} can be reached from other machines, and the endpoint has \
             no authentication: use a loopback address (127.0.0.1, [::1]), or add \
             --metrics-public"
        ));
    }
    eprintln!(
        "qnce: warning: metrics at {addr} are served to the network, without authentication \
         (--metrics-public)"
    );
    Ok(())
}

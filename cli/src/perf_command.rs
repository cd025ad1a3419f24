//! `qnce perf`: the binary's side of `qnce_cli::perf`: arguments, printing, exit codes.

use std::net::SocketAddr;
use std::time::Duration;

use qnce_cli::perf::{self, Report, Thresholds};

use crate::{EXIT_ERRORS, EXIT_USAGE};

#[derive(clap::Args)]
pub(crate) struct PerfArgs {
    #[command(subcommand)]
    command: PerfCommand,
}

#[derive(clap::Subcommand)]
enum PerfCommand {
    /// Print the figures once as a table; exit 1 when an alert is raised.
    Dashboard {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        thresholds: ThresholdArgs,
    },
    /// A live full-screen dashboard with sparklines and alerts (q quits).
    Live {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        thresholds: ThresholdArgs,
        /// Milliseconds between readings.
        #[arg(long, value_name = "MS", default_value_t = 500)]
        interval: u64,
    },
    /// Print every metric, histograms with their quantiles.
    Export {
        #[command(flatten)]
        target: Target,
        /// json or csv.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Empty the engine's histograms (counters keep counting).
    Reset {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(clap::Args)]
struct Target {
    /// The address a running `qnce play --metrics-addr` serves.
    #[arg(long, value_name = "ADDR")]
    addr: SocketAddr,
}

#[derive(clap::Args)]
struct ThresholdArgs {
    /// Alert when reload p99 exceeds this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    alert_reload_p99: f64,
    /// Alert when step p99 exceeds this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1.0)]
    alert_step_p99: f64,
    /// Alert when the asset cache hit rate falls below this percentage (after 20 lookups).
    #[arg(long, value_name = "PERCENT", default_value_t = 95.0)]
    alert_hit_rate: f64,
    /// Alert when more jobs than this wait in the pool.
    #[arg(long, value_name = "N", default_value_t = 512)]
    alert_queue_depth: i64,
}

impl ThresholdArgs {
    fn thresholds(&self) -> Thresholds {
        let ms = |v: f64| Duration::from_secs_f64(v.max(0.0) / 1e3);
        Thresholds {
            reload_p99: ms(self.alert_reload_p99),
            step_p99: ms(self.alert_step_p99),
            hit_rate: self.alert_hit_rate / 100.0,
            queue_depth: self.alert_queue_depth,
            ..Thresholds::default()
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Csv,
}

pub(crate) fn run(args: &PerfArgs) -> u8 {
    let result = match &args.command {
        PerfCommand::Dashboard { target, thresholds } => perf::fetch(target.addr).map(|snapshot| {
            let report = Report::new(&snapshot, &thresholds.thresholds());
            print!("{}", perf::table(target.addr, &report));
            if report.alerts.is_empty() {
                0
            } else {
                EXIT_ERRORS
            }
        }),
        PerfCommand::Live {
            target,
            thresholds,
            interval,
        } => {
            let interval = Duration::from_millis((*interval).max(50));
            return match perf::live::run(target.addr, thresholds.thresholds(), interval) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("qnce: terminal: {e}");
                    EXIT_USAGE
                }
            };
        }
        PerfCommand::Export { target, format } => perf::fetch(target.addr).map(|snapshot| {
            match format {
                Format::Json => match serde_json::to_string_pretty(&snapshot) {
                    Ok(json) => say!("{json}"),
                    Err(e) => eprintln!("qnce: {e}"),
                },
                Format::Csv => print!("{}", perf::csv(&snapshot)),
            }
            0
        }),
        PerfCommand::Reset { target } => perf::reset(target.addr).map(|()| {
            eprintln!("reset the histograms of {}", target.addr);
            0
        }),
    };
    result.unwrap_or_else(|e| {
        eprintln!("qnce: {e}");
        EXIT_USAGE
    })
}

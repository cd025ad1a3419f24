//! The thread pool: priorities, full queues, panics caught, shutdown, `map`, services.
//! Workers are held on a gate (a channel) so that what is queued is known exactly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use qnce::pool::{AtShutdown, Pool, PoolConfig, Priority, SpawnError};

const PATIENCE: Duration = Duration::from_secs(30);

fn pool(threads: usize, capacity: usize) -> Pool {
    Pool::new(&PoolConfig {
        threads,
        high_capacity: capacity,
        low_capacity: capacity,
    })
    .unwrap()
}

/// Occupies every worker of `pool` until the returned sender is dropped; returns once
/// each worker has started its blocking job.
fn hold(pool: &Pool, threads: usize) -> Sender<()> {
    let (release, gate): (Sender<()>, Receiver<()>) = crossbeam_channel::bounded(0);
    let (started_tx, started) = crossbeam_channel::unbounded();
    for _ in 0..threads {
        let gate = gate.clone();
        let started_tx = started_tx.clone();
        pool.spawn(Priority::High, AtShutdown::Finish, move || {
            started_tx.send(()).unwrap();
            let _ = gate.recv();
        })
        .unwrap();
    }
    for _ in 0..threads {
        started.recv_timeout(PATIENCE).unwrap();
    }
    release
}

type Log = Arc<Mutex<Vec<String>>>;
type Job = Box<dyn FnOnce() + Send>;

/// A log, and a maker of jobs that write their name into it.
fn recorder() -> (Log, impl Fn(&str) -> Job) {
    let log = Log::default();
    let make = {
        let log = Arc::clone(&log);
        move |name: &str| -> Job {
            let log = Arc::clone(&log);
            let name = name.to_owned();
            Box::new(move || log.lock().unwrap().push(name))
        }
    };
    (log, make)
}

#[test]
fn high_priority_jobs_run_before_low_ones_queued_earlier() {
    let pool = pool(1, 16);
    let release = hold(&pool, 1);
    let (log, job) = recorder();
    for name in ["low 1", "low 2"] {
        pool.spawn(Priority::Low, AtShutdown::Finish, job(name))
            .unwrap();
    }
    for name in ["high 1", "high 2"] {
        pool.spawn(Priority::High, AtShutdown::Finish, job(name))
            .unwrap();
    }
    drop(release);
    assert!(pool.wait_idle(PATIENCE));
    assert_eq!(*log.lock().unwrap(), ["high 1", "high 2", "low 1", "low 2"]);
    assert_eq!(pool.stats().completed, 5);
}

#[test]
fn full_queue_refuses_without_blocking_and_counts() {
    let pool = pool(1, 2);
    let release = hold(&pool, 1);
    for _ in 0..2 {
        pool.spawn(Priority::Low, AtShutdown::Finish, || {})
            .unwrap();
    }
    assert_eq!(
        pool.spawn(Priority::Low, AtShutdown::Finish, || {}),
        Err(SpawnError::Full(Priority::Low))
    );
    // The other queue has room of its own.
    pool.spawn(Priority::High, AtShutdown::Finish, || {})
        .unwrap();
    let stats = pool.stats();
    assert_eq!(
        (stats.queued_low, stats.queued_high, stats.rejected),
        (2, 1, 1)
    );
    drop(release);
    assert!(pool.wait_idle(PATIENCE));
    assert_eq!(pool.stats().completed, 4);
}

#[test]
fn panicking_job_is_counted_and_reported_and_the_pool_goes_on() {
    let pool = pool(1, 16);
    pool.spawn(Priority::High, AtShutdown::Finish, || {
        panic!("asset decoder exploded")
    })
    .unwrap();
    let (log, job) = recorder();
    pool.spawn(Priority::High, AtShutdown::Finish, job("after"))
        .unwrap();
    assert!(pool.wait_idle(PATIENCE));
    assert_eq!(*log.lock().unwrap(), ["after"]);
    let stats = pool.stats();
    assert_eq!((stats.panicked, stats.completed), (1, 1));
    let panics = pool.take_panics();
    assert_eq!(panics.len(), 1);
    assert_eq!(panics[0].message, "asset decoder exploded");
    assert_eq!(panics[0].thread, "qnce-pool-0");
    assert!(pool.take_panics().is_empty());
}

#[test]
fn shutdown_finishes_what_must_finish_and_cancels_the_rest() {
    let pool = pool(2, 64);
    let release = hold(&pool, 2);
    let (log, job) = recorder();
    for i in 0..10 {
        pool.spawn(
            Priority::Low,
            AtShutdown::Finish,
            job(&format!("flush {i}")),
        )
        .unwrap();
        pool.spawn(
            Priority::High,
            AtShutdown::Cancel,
            job(&format!("preload {i}")),
        )
        .unwrap();
    }
    drop(release);
    let report = pool.shutdown();
    // The workers may run some preloads before they see the shutdown; the rest are
    // cancelled. Every flush runs.
    let log = log.lock().unwrap();
    let n_flushes = log.iter().filter(|l| l.starts_with("flush")).count();
    let n_preloads = log.iter().filter(|l| l.starts_with("preload")).count();
    assert_eq!(n_flushes, 10);
    assert_eq!(n_preloads as u64 + report.cancelled, 10);
    assert_eq!(pool.stats().cancelled, report.cancelled);
    assert_eq!(
        pool.spawn(Priority::Low, AtShutdown::Finish, || {}),
        Err(SpawnError::ShuttingDown)
    );
    assert_eq!(
        pool.shutdown().finished,
        0,
        "a second shutdown does nothing"
    );
}

#[test]
fn map_keeps_order_and_the_caller_works_when_every_worker_is_busy() {
    let pool = pool(2, 64);
    let squares = pool.map((0..100u64).collect(), |i| i * i);
    assert_eq!(squares, (0..100u64).map(|i| i * i).collect::<Vec<_>>());

    // Every worker held: the caller does all the work and does not wait for them.
    let release = hold(&pool, 2);
    let doubled = pool.map(vec![1, 2, 3], |i| i * 2);
    assert_eq!(doubled, [2, 4, 6]);
    drop(release);
    assert!(pool.wait_idle(PATIENCE));
}

#[test]
fn services_are_woken_and_joined_at_shutdown() {
    let pool = pool(1, 4);
    let (wake_tx, wake_rx) = crossbeam_channel::bounded::<()>(1);
    let (ran_tx, ran_rx) = crossbeam_channel::bounded(1);
    pool.service(
        "test-service",
        move || {
            let _ = wake_rx.recv();
            ran_tx
                .send(std::thread::current().name().map(str::to_owned))
                .unwrap();
        },
        move || drop(wake_tx),
    )
    .unwrap();
    pool.shutdown();
    assert_eq!(
        ran_rx.try_recv().unwrap().as_deref(),
        Some("qnce-test-service")
    );
}

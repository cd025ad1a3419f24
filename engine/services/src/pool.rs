//! The thread pool: the only place in the engine that starts threads (notify's watcher
//! threads aside, which notify starts itself).
//!
//! A [`Pool`] runs jobs from two bounded queues, high priority first (asset preloading,
//! parsing changed files during a reload) then low (telemetry flushing). Submitting never
//! blocks: a full queue refuses the job and counts the refusal, so the game thread never
//! waits for the pool. A job that panics is caught, counted and kept for
//! [`Pool::take_panics`]; its worker goes on. [`Pool::shutdown`] stops accepting work,
//! runs what must finish ([`AtShutdown::Finish`]), drops what may be dropped
//! ([`AtShutdown::Cancel`]), and joins every thread.
//!
//! Besides workers the pool owns long-running *services* (the metrics endpoint), each on
//! a thread of its own, stopped and joined at shutdown.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, select_biased};

/// How a pool is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Worker threads (at least one).
    pub threads: usize,
    /// Jobs the high-priority queue holds before refusing more.
    pub high_capacity: usize,
    /// Jobs the low-priority queue holds before refusing more.
    pub low_capacity: usize,
}

impl Default for PoolConfig {
    /// The available cores minus one (the game thread's), at least one; 1,024 jobs a queue.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PoolConfig {
            threads: cores.saturating_sub(1).max(1),
            high_capacity: 1024,
            low_capacity: 1024,
        }
    }
}

/// Which queue a job waits in; workers take every high-priority job before a low one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Priority {
    /// Work someone will soon wait for: preloading assets, parsing during a reload.
    High,
    /// Work nobody waits for: flushing telemetry.
    Low,
}

/// What [`Pool::shutdown`] does with a job still queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtShutdown {
    /// Run it: its result must not be lost (a telemetry flush).
    Finish,
    /// Drop it: nobody will use its result (a preload).
    Cancel,
}

/// Why a job was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// Its queue is full.
    #[error("the {0:?}-priority queue is full")]
    Full(Priority),
    /// The pool is shutting down.
    #[error("the pool is shutting down")]
    ShuttingDown,
}

/// A job that panicked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked {
    /// The worker's thread name.
    pub thread: String,
    /// The panic's message, when it was a string.
    pub message: String,
}

/// Counters of a pool's life so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Worker threads.
    pub threads: usize,
    /// Jobs waiting in the high-priority queue now.
    pub queued_high: usize,
    /// Jobs waiting in the low-priority queue now.
    pub queued_low: usize,
    /// Jobs running now.
    pub running: usize,
    /// Jobs that ran to their end.
    pub completed: u64,
    /// Jobs that panicked (caught).
    pub panicked: u64,
    /// Jobs refused because their queue was full.
    pub rejected: u64,
    /// Jobs dropped at shutdown.
    pub cancelled: u64,
}

/// What a shutdown did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Queued jobs that ran during shutdown.
    pub finished: u64,
    /// Queued jobs dropped.
    pub cancelled: u64,
    /// How long it took, from the call to the last thread joined.
    pub took: Duration,
}

type Run = Box<dyn FnOnce() + Send + 'static>;

struct Job {
    run: Run,
    at_shutdown: AtShutdown,
}

#[derive(Default)]
struct Counters {
    completed: AtomicU64,
    panicked: AtomicU64,
    rejected: AtomicU64,
    cancelled: AtomicU64,
    finished_at_shutdown: AtomicU64,
    running: AtomicUsize,
}

/// Jobs accepted but not yet done, to wait for the pool to be idle.
#[derive(Default)]
struct Outstanding {
    count: Mutex<usize>,
    idle: Condvar,
}

struct Service {
    thread: JoinHandle<()>,
    wake: Box<dyn FnOnce() + Send>,
}

struct Shared {
    closing: AtomicBool,
    counters: Counters,
    outstanding: Outstanding,
    panics: Mutex<Vec<Panicked>>,
}

/// The engine's thread pool; share it as `Arc<Pool>`.
pub struct Pool {
    high: Sender<Job>,
    low: Sender<Job>,
    high_rx: Receiver<Job>,
    low_rx: Receiver<Job>,
    /// Taken for reading to queue a job, for writing to begin shutting down.
    gate: RwLock<()>,
    /// Dropped at shutdown, which wakes idle workers.
    stop: Mutex<Option<Sender<()>>>,
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    services: Mutex<Vec<Service>>,
    threads: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The panics kept for [`Pool::take_panics`]; older ones are counted, not kept.
const KEPT_PANICS: usize = 32;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A job's panic is caught before it can poison a lock the pool holds; a poisoned
    // lock here still holds consistent data (counters and lists), so take it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    /// Starts the workers.
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn new(config: &PoolConfig) -> std::io::Result<Pool> {
        let threads = config.threads.max(1);
        let (high, high_rx) = crossbeam_channel::bounded(config.high_capacity.max(1));
        let (low, low_rx) = crossbeam_channel::bounded(config.low_capacity.max(1));
        let (stop, stop_rx) = crossbeam_channel::bounded::<()>(0);
        let shared = Arc::new(Shared {
            closing: AtomicBool::new(false),
            counters: Counters::default(),
            outstanding: Outstanding::default(),
            panics: Mutex::new(Vec::new()),
        });
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let worker = Worker {
                high: high_rx.clone(),
                low: low_rx.clone(),
                stop: stop_rx.clone(),
                shared: Arc::clone(&shared),
            };
            let thread = std::thread::Builder::new()
                .name(format!("qnce-pool-{i}"))
                .spawn(move || worker.run());
            match thread {
                Ok(thread) => workers.push(thread),
                Err(e) => {
                    drop(stop);
                    for worker in workers {
                        let _ = worker.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(Pool {
            high,
            low,
            high_rx,
            low_rx,
            gate: RwLock::new(()),
            stop: Mutex::new(Some(stop)),
            shared,
            workers: Mutex::new(workers),
            services: Mutex::new(Vec::new()),
            threads,
        })
    }

    /// Queues a job; never blocks.
    ///
    /// # Errors
    /// [`SpawnError::Full`] when the queue is full (counted as rejected),
    /// [`SpawnError::ShuttingDown`] after [`Pool::shutdown`] began.
    pub fn spawn(
        &self,
        priority: Priority,
        at_shutdown: AtShutdown,
        job: impl FnOnce() + Send + 'static,
    ) -> Result<(), SpawnError> {
        // Held while the job is queued, so that shutdown cannot begin in between and leave
        // it in a queue nobody drains.
        let gate = self.gate.read().unwrap_or_else(PoisonError::into_inner);
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(SpawnError::ShuttingDown);
        }
        let queue = match priority {
            Priority::High => &self.high,
            Priority::Low => &self.low,
        };
        *lock(&self.shared.outstanding.count) += 1;
        let job = Job {
            run: Box::new(job),
            at_shutdown,
        };
        let sent = queue.try_send(job);
        drop(gate);
        match sent {
            Ok(()) => Ok(()),
            Err(e) => {
                self.shared.outstanding.done();
                match e {
                    TrySendError::Full(_) => {
                        self.shared
                            .counters
                            .rejected
                            .fetch_add(1, Ordering::Relaxed);
                        Err(SpawnError::Full(priority))
                    }
                    TrySendError::Disconnected(_) => Err(SpawnError::ShuttingDown),
                }
            }
        }
    }

    /// Runs `work` on every item, on the pool's workers and on the calling thread at once,
    /// and returns the results in the items' order. The caller takes items too, so it
    /// never waits for a job that has not started: at worst (queue full, every worker
    /// busy) it does all the work itself.
    ///
    /// # Panics
    /// When `work` panics. On the calling thread the panic unwinds through `map`; in a
    /// pool job it is caught and counted like any job's, and `map`, which has no result
    /// for that item, then panics naming the items without one.
    pub fn map<T, R>(&self, items: Vec<T>, work: impl Fn(T) -> R + Send + Sync + 'static) -> Vec<R>
    where
        T: Send + 'static,
        R: Send + 'static,
    {
        let n_items = items.len();
        if n_items <= 1 {
            return items.into_iter().map(work).collect();
        }
        let todo = Arc::new(Mutex::new(
            items.into_iter().enumerate().collect::<Vec<_>>(),
        ));
        let work = Arc::new(work);
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let drain = {
            let todo = Arc::clone(&todo);
            let work = Arc::clone(&work);
            move |done: &Sender<(usize, R)>| {
                loop {
                    let item = lock(&todo).pop();
                    let Some((i, item)) = item else { break };
                    if done.send((i, work(item))).is_err() {
                        break;
                    }
                }
            }
        };
        for _ in 0..(n_items - 1).min(self.threads) {
            let drain = drain.clone();
            let done = done_tx.clone();
            if self
                .spawn(Priority::High, AtShutdown::Finish, move || drain(&done))
                .is_err()
            {
                break;
            }
        }
        drain(&done_tx);
        drop(done_tx);
        let mut results: Vec<Option<R>> = (0..n_items).map(|_| None).collect();
        // Every item was taken when the caller's drain ended, so each missing result comes
        // from a job that is running now. Counting them, rather than waiting for every
        // sender to drop, does not wait for helper jobs still queued (they find nothing
        // to do). Only a `work` that panicked in a job loses its result; then the senders'
        // dropping ends the wait.
        let mut n_results = 0;
        while n_results < n_items {
            let Ok((i, result)) = done_rx.recv() else {
                break;
            };
            results[i] = Some(result);
            n_results += 1;
        }
        let missing: Vec<usize> = (0..n_items).filter(|&i| results[i].is_none()).collect();
        assert!(
            missing.is_empty(),
            "Pool::map: work panicked on items {missing:?}"
        );
        results.into_iter().flatten().collect()
    }

    /// Starts a long-running service on a thread of its own. `run` should return soon
    /// after `wake` is called; [`Pool::shutdown`] calls `wake`, then joins the thread.
    ///
    /// # Errors
    /// When the operating system refuses a thread, or the pool is shutting down.
    pub fn service(
        &self,
        name: &str,
        run: impl FnOnce() + Send + 'static,
        wake: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(std::io::Error::other("the pool is shutting down"));
        }
        let thread = std::thread::Builder::new()
            .name(format!("qnce-{name}"))
            .spawn(run)?;
        lock(&self.services).push(Service {
            thread,
            wake: Box::new(wake),
        });
        Ok(())
    }

    /// Waits at most `timeout` until every accepted job is done; returns whether it is.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let outstanding = &self.shared.outstanding;
        let deadline = Instant::now() + timeout;
        let mut count = lock(&outstanding.count);
        while *count > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            count = outstanding
                .idle
                .wait_timeout(count, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// The counters now.
    pub fn stats(&self) -> PoolStats {
        let c = &self.shared.counters;
        PoolStats {
            threads: self.threads,
            queued_high: self.high_rx.len(),
            queued_low: self.low_rx.len(),
            running: c.running.load(Ordering::Relaxed),
            completed: c.completed.load(Ordering::Relaxed),
            panicked: c.panicked.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            cancelled: c.cancelled.load(Ordering::Relaxed),
        }
    }

    /// The panics caught since the last call (at most the last 32; all are counted in
    /// [`PoolStats::panicked`]).
    pub fn take_panics(&self) -> Vec<Panicked> {
        std::mem::take(&mut *lock(&self.shared.panics))
    }

    /// How many jobs the queue of `priority` holds before refusing more.
    pub fn capacity(&self, priority: Priority) -> usize {
        let queue = match priority {
            Priority::High => &self.high,
            Priority::Low => &self.low,
        };
        queue.capacity().unwrap_or(usize::MAX)
    }

    /// Whether [`Pool::shutdown`] has begun.
    pub fn is_closing(&self) -> bool {
        self.shared.closing.load(Ordering::Acquire)
    }

    /// Stops accepting jobs, runs the queued jobs marked [`AtShutdown::Finish`] (high
    /// priority first), drops the others, stops the services and joins every thread.
    /// Calling it again does nothing.
    pub fn shutdown(&self) -> ShutdownReport {
        let start = Instant::now();
        {
            let _gate = self.gate.write().unwrap_or_else(PoisonError::into_inner);
            if self.shared.closing.swap(true, Ordering::AcqRel) {
                return ShutdownReport::default();
            }
        }
        let c = &self.shared.counters;
        let cancelled_before = c.cancelled.load(Ordering::Relaxed);
        drop(lock(&self.stop).take());
        for worker in std::mem::take(&mut *lock(&self.workers)) {
            let _ = worker.join();
        }
        for service in std::mem::take(&mut *lock(&self.services)) {
            (service.wake)();
            let _ = service.thread.join();
        }
        ShutdownReport {
            finished: c.finished_at_shutdown.load(Ordering::Relaxed),
            cancelled: c.cancelled.load(Ordering::Relaxed) - cancelled_before,
            took: start.elapsed(),
        }
    }
}

/// A load reads and parses the story's files on the pool and compiles their nodes, and a
/// reload reads and parses several changed files, at high priority, the loading thread
/// helping (see [`Pool::map`]).
impl qnce_load::ParallelMap for Pool {
    fn map_files(
        &self,
        jobs: Vec<qnce_load::FileJob>,
        work: fn(qnce_load::FileJob) -> qnce_load::FileRead,
    ) -> Vec<qnce_load::FileRead> {
        self.map(jobs, work)
    }

    fn map_nodes(
        &self,
        jobs: Vec<qnce_load::NodesJob>,
        work: fn(qnce_load::NodesJob) -> qnce_load::NodesDone,
    ) -> Vec<qnce_load::NodesDone> {
        self.map(jobs, work)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Outstanding {
    fn done(&self) {
        let mut count = lock(&self.count);
        *count -= 1;
        if *count == 0 {
            self.idle.notify_all();
        }
    }
}

struct Worker {
    high: Receiver<Job>,
    low: Receiver<Job>,
    stop: Receiver<()>,
    shared: Arc<Shared>,
}

impl Worker {
    fn run(self) {
        loop {
            // High before low, every time: `select_biased!` tries its arms in order.
            let job = select_biased! {
                recv(self.high) -> job => job.ok(),
                recv(self.low) -> job => job.ok(),
                recv(self.stop) -> _ => None,
            };
            match job {
                Some(job) => self.execute(job),
                None if self.shared.closing.load(Ordering::Acquire) => break,
                None => {}
            }
        }
        self.drain();
    }

    /// At shutdown: what is left in the queues, high first, run or dropped.
    fn drain(&self) {
        let c = &self.shared.counters;
        while let Ok(job) = self.high.try_recv().or_else(|_| self.low.try_recv()) {
            match job.at_shutdown {
                AtShutdown::Finish => {
                    self.execute(job);
                    c.finished_at_shutdown.fetch_add(1, Ordering::Relaxed);
                }
                AtShutdown::Cancel => {
                    drop(job);
                    c.cancelled.fetch_add(1, Ordering::Relaxed);
                    self.shared.outstanding.done();
                }
            }
        }
    }

    fn execute(&self, job: Job) {
        let c = &self.shared.counters;
        c.running.fetch_add(1, Ordering::Relaxed);
        let result = catch_unwind(AssertUnwindSafe(job.run));
        c.running.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(()) => {
                c.completed.fetch_add(1, Ordering::Relaxed);
            }
            Err(payload) => {
                c.panicked.fetch_add(1, Ordering::Relaxed);
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                let thread = std::thread::current().name().unwrap_or("").to_owned();
                let mut panics = lock(&self.shared.panics);
                if panics.len() == KEPT_PANICS {
                    panics.remove(0);
                }
                panics.push(Panicked { thread, message });
            }
        }
        self.shared.outstanding.done();
    }
}

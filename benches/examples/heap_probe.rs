//! Temporary probe (not committed): heap held after a load, with and without the reloader.
#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a probe"
)]
use qnce::Limits;
use qnce::reload::Reloader;
use qnce_benches::generate::{StoryShape, write_story};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(100_000);
    let shape = StoryShape {
        n_nodes: n,
        n_files: n.div_ceil(100),
        seed: 1,
    };
    let dir = std::env::temp_dir().join(format!("qnce-probe-{n}"));
    if !dir.exists() {
        write_story(&dir, shape).unwrap();
    }
    let limits = Limits {
        max_nodes: n.max(Limits::default().max_nodes),
        max_files: (shape.n_files + 1).max(Limits::default().max_files),
        ..Limits::default()
    };
    if std::env::args().nth(2).as_deref() == Some("warnings") {
        let loaded = Reloader::load(&dir, &limits).unwrap();
        println!("{} warnings", loaded.warnings.iter().count());
        for w in loaded.warnings.iter().take(3) {
            println!("{w}");
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("reloads") {
        let (mut story, mut reloader) = Reloader::load(&dir, &limits).unwrap().value;
        let (part, [original, edited]) = qnce_benches::generate::middle_edit(&dir, shape).unwrap();
        let texts = [edited, original];
        let n: usize = std::env::var("N").ok().map_or(5000, |r| r.parse().unwrap());
        let t = std::time::Instant::now();
        let mut v = qnce::reload::Timings::default();
        for cycle in 0..n {
            std::fs::write(&part, &texts[cycle % 2]).unwrap();
            let r = reloader
                .reload(&mut story, Some(std::slice::from_ref(&part)))
                .unwrap();
            v.validating += r.timings.validating;
            v.parsing += r.timings.parsing;
        }
        println!(
            "{:?} per reload; validating {:?}, parsing {:?}",
            t.elapsed() / n as u32,
            v.validating / n as u32,
            v.parsing / n as u32
        );
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("step") {
        let (story, _reloader) = Reloader::load(&dir, &limits).unwrap().value;
        for _ in 0..5 {
            let mut walk = qnce_benches::Walk::new(&story, 1).unwrap();
            let t = std::time::Instant::now();
            for _ in 0..200_000 {
                walk.step(&story).unwrap();
            }
            print!("{:.0} ", t.elapsed().as_nanos() as f64 / 200_000.0);
        }
        println!("ns/step");
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("pool") {
        use std::sync::Arc;
        let pool: Arc<dyn qnce::load::ParallelMap> =
            Arc::new(qnce::pool::Pool::new(&qnce::pool::PoolConfig::default()).unwrap());
        let kib = |k: &str| qnce_benches::proc_status_kib(k) / 1024;
        let mut l = None;
        for i in 0..3 {
            drop(l.take());
            let t = std::time::Instant::now();
            l = Some(Reloader::load_in_parallel(&dir, &limits, Arc::clone(&pool)).unwrap());
            println!(
                "pool load {i}: {:?} rss {} hwm {}",
                t.elapsed(),
                kib("VmRSS"),
                kib("VmHWM")
            );
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("load") {
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let l = Reloader::load(&dir, &limits).unwrap();
            println!("{:?}", t.elapsed());
            drop(l);
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("timeline") {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let region = Region::new(GLOBAL);
        let t0 = std::time::Instant::now();
        let h = std::thread::spawn(move || {
            let mut v = Vec::with_capacity(100000);
            while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                let c = region.change();
                v.push((
                    t0.elapsed().as_millis(),
                    (c.bytes_allocated as i64 - c.bytes_deallocated as i64) / 1048576,
                    qnce_benches::proc_status_kib("VmRSS") / 1024,
                ));
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
            v
        });
        let l = if std::env::var("POOL").is_ok() {
            use std::sync::Arc;
            let pool: Arc<dyn qnce::load::ParallelMap> =
                Arc::new(qnce::pool::Pool::new(&qnce::pool::PoolConfig::default()).unwrap());
            Reloader::load_in_parallel(&dir, &limits, pool).unwrap()
        } else {
            Reloader::load(&dir, &limits).unwrap()
        };
        let t = t0.elapsed().as_millis();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let v = h.join().unwrap();
        let peak = v.iter().map(|x| x.1).max().unwrap();
        println!("load {t} ms, peak {peak} MiB");
        let mut last = 0;
        for (ms, mb, rss) in v {
            if ms >= last {
                println!("{ms} {mb} {rss}");
                last = ms + 10;
            }
        }
        drop(l);
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("rss") {
        let kib = |k: &str| qnce_benches::proc_status_kib(k) / 1024;
        println!("before: rss {} hwm {}", kib("VmRSS"), kib("VmHWM"));
        let mut l = None;
        for i in 0..3 {
            drop(l.take());
            l = Some(Reloader::load(&dir, &limits).unwrap());
            println!("load {i}: rss {} hwm {}", kib("VmRSS"), kib("VmHWM"));
        }
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("slow") {
        // Reloads that declare every file again: a syntax error and its fix, a node
        // renamed and named back, a variable added to an include and taken out.
        let (mut story, mut reloader) = Reloader::load(&dir, &limits).unwrap().value;
        let k = 500 * n / 100_000;
        let part = dir.join(qnce_benches::generate::file_name(k));
        let original = std::fs::read_to_string(&part).unwrap();
        let node = k * 100 + 7;
        let broken = original.replacen(&format!("\"n{node}\": ("), &format!("\"n{node}\": (("), 1);
        let renamed = original.replacen(&format!("\"n{node}\": ("), &format!("\"m{node}\": ("), 1);
        assert_ne!(broken, original);
        assert_ne!(renamed, original);
        for (what, text) in [
            ("syntax error, then fixed", &broken),
            ("renamed, then named back", &renamed),
        ] {
            let (mut there, mut back) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                for (times, t) in [(&mut there, text), (&mut back, &original)] {
                    std::fs::write(&part, t).unwrap();
                    let started = std::time::Instant::now();
                    let r = reloader.reload(&mut story, Some(std::slice::from_ref(&part)));
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                    if std::env::var_os("PHASES").is_some() {
                        match &r {
                            Ok(r) => println!("  ok {:?}", r.timings),
                            Err(e) => println!(
                                "  err {}",
                                format!("{e:?}").chars().take(200).collect::<String>()
                            ),
                        }
                    }
                }
            }
            for v in [&mut there, &mut back] {
                v.sort_by(f64::total_cmp);
            }
            println!(
                "{what}: {:.1} ms, {:.1} ms (medians of 5)",
                there[2], back[2]
            );
        }
        std::fs::write(&part, &original).unwrap();
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("edits") {
        let (mut story, mut reloader) = Reloader::load(&dir, &limits).unwrap().value;
        let mut first = Vec::new();
        let mut again = Vec::new();
        let reps: usize = std::env::var("REPS").ok().map_or(1, |r| r.parse().unwrap());
        let ks: Vec<usize> = if reps > 1 {
            vec![500; reps]
        } else {
            vec![100usize, 300, 500, 700, 900, 200, 400, 600, 800]
        };
        for k in ks {
            let k = k * n / 100_000;
            let part = dir.join(qnce_benches::generate::file_name(k));
            let original = std::fs::read_to_string(&part).unwrap();
            let node = k * 100;
            let edited =
                original.replacen(&format!("\"Room {node}. "), &format!("\"Hall {node}. "), 1);
            assert_ne!(edited, original);
            for (round, text) in [&edited, &original].into_iter().enumerate() {
                std::fs::write(&part, text).unwrap();
                let t = std::time::Instant::now();
                let r = reloader
                    .reload(&mut story, Some(std::slice::from_ref(&part)))
                    .unwrap();
                let e = t.elapsed().as_secs_f64() * 1e3;
                if std::env::var_os("PHASES").is_some() {
                    println!("{round} {e:.2} {:?}", r.timings);
                }
                if round == 0 {
                    first.push(e)
                } else {
                    again.push(e)
                }
            }
        }
        first.sort_by(f64::total_cmp);
        again.sort_by(f64::total_cmp);
        println!(
            "first edit of a file: median {:.2} ms {:?}",
            first[first.len() / 2],
            first
                .iter()
                .map(|x| (x * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
        println!(
            "second edit: median {:.2} ms {:?}",
            again[again.len() / 2],
            again
                .iter()
                .map(|x| (x * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
        return;
    }
    if std::env::args().nth(2).as_deref() == Some("warnings") {
        let l = Reloader::load(&dir, &limits).unwrap();
        let w: Vec<_> = l.warnings.iter().collect();
        println!("{} warnings", w.len());
        let mut files = std::collections::HashSet::new();
        for d in &w {
            files.insert(d.path.clone());
        }
        println!("in {} files", files.len());
        for d in w.iter().take(5) {
            println!("{d}");
        }
        return;
    }
    let region = Region::new(GLOBAL);
    let (story, reloader) = Reloader::load(&dir, &limits).unwrap().value;
    let c = region.change();
    let mib = |b: i64| b as f64 / 1048576.0;
    let held = c.bytes_allocated as i64 - c.bytes_deallocated as i64;
    println!(
        "story+reloader: {:.1} MiB held, {} allocs live, {} allocs total",
        mib(held),
        c.allocations as i64 - c.deallocations as i64,
        c.allocations
    );
    let r2 = Region::new(GLOBAL);
    drop(reloader);
    let d = r2.change();
    println!(
        "reloader: {:.1} MiB, {} allocs",
        mib(d.bytes_deallocated as i64 - d.bytes_allocated as i64),
        d.deallocations
    );
    let r3 = Region::new(GLOBAL);
    drop(story);
    let d = r3.change();
    println!(
        "story: {:.1} MiB, {} allocs",
        mib(d.bytes_deallocated as i64 - d.bytes_allocated as i64),
        d.deallocations
    );
}

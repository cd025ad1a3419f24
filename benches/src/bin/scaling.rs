//! How costs grow with the story: load, resident memory, bytes per node, a one-node live
//! edit with its phases, and a step, for generated stories of 100-node files.
//!
//! `cargo run --release -p qnce-benches --bin scaling [-- [--runs R] [NODES...]]`
//! (default: 1000 10000 100000 300000, one run each)
//!
//! Each size runs in a process of its own (the binary again, with `--one NODES`), so that
//! its peak resident memory is its own. In it: the story is written, loaded three times
//! reading, parsing and compiling its files on the engine's pool (as `qnce play` does;
//! in another process again, `--pool-loads DIR NODES`, with its own peak), then three
//! times on the calling thread alone (medians reported), then one node's text in the
//! middle file is edited and reloaded 20 times (medians of the whole reload and of each
//! phase, with the parse of the changed file), then the node's first choice is led
//! elsewhere and back 6 times (an edit of the graph: reachability is found again), then a
//! syntax error is saved in the file and mended 3 times (a reload that declares every
//! file afresh, and the one after it, which restores the running text: only that file is
//! declared again), then a seeded random walk of 20,000 steps is timed. Memory: the
//! resident set before the first load, after it (steady), its peak before the syntax
//! errors, and its peak with them (a reload that fails compiles a whole story beside the
//! running one).
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use qnce::Limits;
use qnce::load::ParallelMap;
use qnce::pool::{Pool, PoolConfig};
use qnce::reload::{Reloader, Timings};
use qnce_benches::Walk;
use qnce_benches::generate::{StoryShape, middle_edit, middle_retarget, write_story};

const LOADS: usize = 3;
const RELOADS: usize = 20;
const GRAPH_RELOADS: usize = 6;
const BROKEN_RELOADS: usize = 3;
const STEPS: usize = 20_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n] = args.as_slice()
        && flag == "--one"
    {
        return one(n.parse()?);
    }
    if let [flag, dir, n] = args.as_slice()
        && flag == "--pool-loads"
    {
        return pool_loads(Path::new(dir), n.parse()?);
    }
    let mut runs = 1;
    let mut sizes = Vec::new();
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        if a == "--runs" {
            runs = rest.next().ok_or("--runs needs a number")?.parse()?;
        } else {
            sizes.push(a.parse::<usize>()?);
        }
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 100_000, 300_000];
    }
    println!(
        "| nodes | load | load on the pool | peak RSS, loads on the pool | RSS after load | peak RSS | bytes/node | reload | reading | parsing (changed file) | validating | diff + apply | reload ÷ (2 × parse) | reload, graph edit | reload, syntax error | reload, mended | peak RSS, with the syntax error | step | reload ÷ reload(1,000), in turn |"
    );
    println!(
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    let me = std::env::current_exe()?;
    for n in sizes {
        for _ in 0..runs {
            let out = Command::new(&me).args(["--one", &n.to_string()]).output()?;
            if !out.status.success() {
                return Err(
                    format!("{n} nodes failed: {}", String::from_utf8_lossy(&out.stderr)).into(),
                );
            }
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
    }
    Ok(())
}

/// Measures one size and prints its table row.
fn one(n_nodes: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("qnce-scaling-{}", std::process::id()));
    let shape = shape(n_nodes);
    write_story(&dir, shape)?;
    let result = measure(&dir, shape);
    let _ = std::fs::remove_dir_all(&dir);
    let row = result?;
    println!("{row}");
    Ok(())
}

/// The story of `n_nodes` nodes in files of 100.
fn shape(n_nodes: usize) -> StoryShape {
    StoryShape {
        n_nodes,
        n_files: n_nodes.div_ceil(100),
        seed: 1,
    }
}

fn limits(shape: StoryShape) -> Limits {
    Limits {
        max_nodes: shape.n_nodes.max(Limits::default().max_nodes),
        max_files: (shape.n_files + 1).max(Limits::default().max_files),
        ..Limits::default()
    }
}

/// Loads the story in `dir` three times reading, parsing and compiling its files on the
/// engine's pool, as `qnce play` does (each story dropped before the next load), and prints the median
/// load and the peak resident set.
fn pool_loads(dir: &Path, n_nodes: usize) -> Result<(), Box<dyn std::error::Error>> {
    let limits = limits(shape(n_nodes));
    let pool: Arc<dyn ParallelMap> = Arc::new(Pool::new(&PoolConfig::default())?);
    let mut loads = Vec::new();
    for _ in 0..LOADS {
        let t = Instant::now();
        let loaded = Reloader::load_in_parallel(dir, &limits, Arc::clone(&pool))?;
        loads.push(t.elapsed());
        drop(loaded);
    }
    let peak = qnce_benches::proc_status_kib("VmHWM") as f64 / 1024.0;
    println!("{:.0} ms | {peak:.0} MiB", ms(median(loads)));
    Ok(())
}

fn measure(dir: &Path, shape: StoryShape) -> Result<String, Box<dyn std::error::Error>> {
    let limits = limits(shape);
    let rss_before = qnce_benches::proc_status_kib("VmRSS");
    // Loads on the pool run in a process of their own: memory a worker thread frees stays
    // in its allocator arena, and would count in this process's resident set.
    let out = Command::new(std::env::current_exe()?)
        .arg("--pool-loads")
        .arg(dir)
        .arg(shape.n_nodes.to_string())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "loads on the pool: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let pool_loads = String::from_utf8(out.stdout)?;
    let mut loads = Vec::new();
    let mut loaded = None;
    for _ in 0..LOADS {
        // The previous story is dropped first: one story in memory at a time.
        drop(loaded.take());
        let t = Instant::now();
        let (story, reloader) = Reloader::load(dir, &limits)?.value;
        loads.push(t.elapsed());
        loaded = Some((story, reloader));
    }
    let (mut story, mut reloader) = loaded.ok_or("no load")?;
    let rss_loaded = qnce_benches::proc_status_kib("VmRSS");
    let bytes_per_node =
        (rss_loaded.saturating_sub(rss_before) * 1024) as f64 / shape.n_nodes as f64;

    // A one-node text edit in the middle file, back and forth.
    let (part, [original, edited]) = middle_edit(dir, shape)?;
    let texts = [edited, original.clone()];
    let mut walls = Vec::new();
    let mut timings: Vec<Timings> = Vec::new();
    for cycle in 0..RELOADS {
        std::fs::write(&part, &texts[cycle % 2])?;
        let t = Instant::now();
        let report = reloader.reload(&mut story, Some(std::slice::from_ref(&part)))?;
        walls.push(t.elapsed());
        if report.delta.nodes_changed.len() != 1 {
            return Err("the edit changed other than one node".into());
        }
        timings.push(report.timings);
    }
    let phase = |f: fn(&Timings) -> Duration| median(timings.iter().map(f).collect());

    // An edit of the graph: the middle node's first choice leads elsewhere, back and
    // forth. Reachability is found again over every node.
    let mut graph_walls = Vec::new();
    if let Some((part, [original, edited])) = middle_retarget(dir, shape)? {
        let texts = [edited, original];
        for cycle in 0..GRAPH_RELOADS {
            std::fs::write(&part, &texts[cycle % 2])?;
            let t = Instant::now();
            reloader.reload(&mut story, Some(std::slice::from_ref(&part)))?;
            graph_walls.push(t.elapsed());
        }
    }

    // The peak so far; the reloads below compile a whole story beside the running one.
    let peak = qnce_benches::proc_status_kib("VmHWM");

    // A save that does not parse (an error: every file is declared again) and the save
    // that mends it.
    let (mut broken_walls, mut mended_walls) = (Vec::new(), Vec::new());
    let broken = format!("{original}(");
    for _ in 0..BROKEN_RELOADS {
        std::fs::write(&part, &broken)?;
        let t = Instant::now();
        if reloader
            .reload(&mut story, Some(std::slice::from_ref(&part)))
            .is_ok()
        {
            return Err("a file that does not parse was taken".into());
        }
        broken_walls.push(t.elapsed());
        std::fs::write(&part, &original)?;
        let t = Instant::now();
        let report = reloader.reload(&mut story, Some(std::slice::from_ref(&part)))?;
        mended_walls.push(t.elapsed());
        if !report.partial {
            return Err("the mended save compiled every node again".into());
        }
    }

    let peak_with_errors = qnce_benches::proc_status_kib("VmHWM");

    let mut walk = Walk::new(&story, 1)?;
    let t = Instant::now();
    for _ in 0..STEPS {
        walk.step(&story)?;
    }
    let step = t.elapsed().as_nanos() as f64 / STEPS as f64;

    // The same edit in a story of 1,000 nodes, loaded beside this one, each reloaded in
    // turn with this one's: the two costs in the same seconds, which the machine's speed
    // (varying between this process and the one of 1,000 nodes) does not sway.
    let small_shape = self::shape(1_000);
    let small_dir = dir.with_extension("small");
    write_story(&small_dir, small_shape)?;
    let in_turn = reloads_in_turn(
        (&mut story, &mut reloader, (&part, &texts)),
        &small_dir,
        small_shape,
    );
    let _ = std::fs::remove_dir_all(&small_dir);
    let in_turn = in_turn?;

    let reload = median(walls);
    let parsing = phase(|t| t.parsing);
    let mib = |kib: u64| kib as f64 / 1024.0;
    Ok(format!(
        "| {} | {:.0} ms | {} | {:.0} MiB | {:.0} MiB | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.3} ms | {:.2} | {} | {:.1} ms | {:.2} ms | {:.0} MiB | {:.0} ns | {:.2} |",
        shape.n_nodes,
        ms(median(loads)),
        pool_loads.trim(),
        mib(rss_loaded),
        mib(peak),
        bytes_per_node,
        ms(reload),
        ms(phase(|t| t.reading)),
        ms(parsing),
        ms(phase(|t| t.validating)),
        ms(phase(|t| t.diffing + t.applying)),
        reload.as_secs_f64() / (2.0 * parsing.as_secs_f64()),
        if graph_walls.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.2} ms", ms(median(graph_walls)))
        },
        ms(median(broken_walls)),
        ms(median(mended_walls)),
        mib(peak_with_errors),
        step,
        in_turn,
    ))
}

/// A story, its reloader and its one-node edit (the file and its two texts).
type Edited<'a> = (
    &'a mut qnce::Story,
    &'a mut Reloader,
    (&'a Path, &'a [String; 2]),
);

/// The median reload of `big`'s edit over that of the same edit in the story of `shape`
/// written at `dir`, the two reloaded in turn.
fn reloads_in_turn(
    (story, reloader, (part, texts)): Edited<'_>,
    dir: &Path,
    shape: StoryShape,
) -> Result<f64, Box<dyn std::error::Error>> {
    let (mut small, mut small_reloader) = Reloader::load(dir, &limits(shape))?.value;
    let (small_part, [original, edited]) = middle_edit(dir, shape)?;
    let small_texts = [edited, original];
    let (mut big_walls, mut small_walls) = (Vec::new(), Vec::new());
    for cycle in 0..RELOADS {
        for (story, reloader, part, text, walls) in [
            (
                &mut *story,
                &mut *reloader,
                part,
                &texts[cycle % 2],
                &mut big_walls,
            ),
            (
                &mut small,
                &mut small_reloader,
                &small_part,
                &small_texts[cycle % 2],
                &mut small_walls,
            ),
        ] {
            std::fs::write(part, text)?;
            let t = Instant::now();
            reloader.reload(story, Some(std::slice::from_ref(&part.to_path_buf())))?;
            walls.push(t.elapsed());
        }
    }
    Ok(median(big_walls).as_secs_f64() / median(small_walls).as_secs_f64())
}

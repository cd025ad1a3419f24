//! `qnce explore`: every playthrough of a story, breadth first (`qnce::explore`), and what
//! it found, rustc-style or as JSON, with the choices that replay each finding.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qnce::explore::{Bound, Config, Expanded, Job, Parallel, Report};
use qnce::pool::{Pool, PoolConfig};
use qnce::{Diagnostic, Limits, LoadError, Severity, Story};
use serde_json::{Value, json};

use crate::{EXIT_ERRORS, EXIT_USAGE};

#[derive(clap::Args)]
pub(crate) struct ExploreArgs {
    /// A story directory (holding story.ron) or a .ron file.
    path: PathBuf,
    /// Most distinct states to explore.
    #[arg(long, default_value_t = 1_000_000)]
    max_states: usize,
    /// Most choices from a flow's start.
    #[arg(long)]
    max_depth: Option<u32>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    time: Option<f64>,
    /// The seed `random(…)` draws with (as `qnce play --seed`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Branch on every outcome of each random draw (`random(…)`, `shuffle`) instead of
    /// following the seed: every value of a range of at most 8 values, the low end,
    /// middle and high end of a wider one. Findings replay with `qnce play --draws`.
    #[arg(long)]
    all_random: bool,
    /// Most memory, in MiB, that the states waiting to be explored may hold.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    max_memory: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// `--deny warnings`: exit 1 on warnings too (never-entered nodes, never-displayed
    /// choices, constant conditions), not only on errors and dead ends.
    #[arg(long, value_name = "LINT", value_parser = ["warnings"])]
    deny: Option<String>,
    /// Threads to explore on (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// The engine's thread pool, as the explorer's way to run on several cores.
struct OnPool(Pool);

impl Parallel for OnPool {
    fn run(&self, jobs: Vec<Job>, work: fn(Job) -> Expanded) -> Vec<Expanded> {
        self.0.map(jobs, work)
    }
}

/// One thing found, ready to print: where, how bad, what, and how to see it again.
struct Finding {
    diagnostic: Diagnostic,
    notes: Vec<String>,
    replay: Option<String>,
    json: Value,
}

pub(crate) fn run(args: &ExploreArgs) -> u8 {
    let story = match qnce::load(&args.path, &Limits::default()) {
        Ok(loaded) => Arc::new(loaded.value),
        Err(LoadError::Invalid(d)) => {
            for d in d.iter().filter(|d| d.is_error()) {
                eprintln!("{}", crate::check::render(d));
            }
            eprintln!("qnce: the story does not load; `qnce check` lists its errors");
            return EXIT_ERRORS;
        }
        Err(e) => {
            eprintln!("qnce: {e}");
            return EXIT_USAGE;
        }
    };
    let config = Config {
        max_states: args.max_states,
        max_depth: args.max_depth,
        time: args.time.map(Duration::from_secs_f64),
        seed: args.seed,
        max_memory: args.max_memory.saturating_mul(1 << 20),
        all_random: args.all_random,
    };
    // The calling thread explores too: one thread fewer in the pool.
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let pool = (threads > 1)
        .then(|| {
            Pool::new(&PoolConfig {
                threads: threads - 1,
                ..PoolConfig::default()
            })
            .ok()
        })
        .flatten()
        .map(OnPool);
    let report = qnce::explore::explore(
        Arc::clone(&story),
        &config,
        pool.as_ref().map(|p| p as &dyn Parallel),
    );
    if let Some(pool) = &pool {
        pool.0.shutdown();
    }
    let findings = findings(&story, &report, &args.path, args.seed, args.all_random);
    let n_errors = findings.iter().filter(|f| f.diagnostic.is_error()).count();
    let n_warnings = findings.len() - n_errors;
    if args.json {
        say!("{}", to_json(&story, &report, &findings));
    } else {
        print_human(&story, &report, &findings, &args.path, args.seed);
    }
    let deny_warnings = args.deny.is_some();
    if n_errors > 0 || (deny_warnings && n_warnings > 0) {
        EXIT_ERRORS
    } else {
        0
    }
}

/// The command that replays `path`'s choices.
fn replay(story_path: &Path, seed: u64, story: &Story, path: &qnce::explore::Path) -> String {
    let mut commands: Vec<String> = Vec::new();
    if path.flow != story.main_flow() {
        commands.push(format!("flow {}", story.flow_name(path.flow)));
    }
    commands.extend(path.choices.iter().map(u32::to_string));
    let story_path = story_path.display().to_string();
    let mut line = format!("qnce play {} --seed {seed}", shell_word(&story_path));
    if !path.draws.is_empty() {
        let draws: Vec<String> = path.draws.iter().map(i64::to_string).collect();
        line.push_str(&format!(" --draws {}", shell_word(&draws.join(","))));
    }
    if !commands.is_empty() {
        line.push_str(&format!(" --choices {}", shell_word(&commands.join(","))));
    }
    line
}

/// `word` as one word to a POSIX shell: as it is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-,=+:@".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A diagnostic at `at` (or at the story's main file when unknown), with its line's text.
fn diagnostic(
    (story, locate): (&Story, &qnce::Locator<'_>),
    at: Option<(PathBuf, usize, usize)>,
    severity: Severity,
    message: String,
) -> Diagnostic {
    let (path, line, col) = at.unwrap_or_else(|| {
        let main = story.files().first().map(|f| f.path.clone());
        (main.unwrap_or_default(), 1, 1)
    });
    let source_line = locate.line_text(&path, line);
    Diagnostic {
        severity,
        path,
        line,
        col,
        message,
        source_line,
    }
}

fn place(d: &Diagnostic) -> Value {
    json!({"path": d.path.display().to_string(), "line": d.line, "col": d.col})
}

/// Everything the report found, as diagnostics in file order.
fn findings(
    story: &Story,
    report: &Report,
    story_path: &Path,
    seed: u64,
    all_random: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let locate = qnce::Locator::new(story);
    let replay_of = |path: &qnce::explore::Path| replay(story_path, seed, story, path);
    let json_path = |path: &qnce::explore::Path| json!({"flow": story.flow_name(path.flow), "choices": path.choices, "draws": path.draws});
    for e in &report.errors {
        let d = diagnostic(
            (story, &locate),
            locate.error(&e.error),
            Severity::Error,
            e.error.to_string(),
        );
        let replay = replay_of(&e.path);
        out.push(Finding {
            json: json!({
                "kind": "error", "message": d.message, "at": place(&d),
                "node": e.error.node(), "path": json_path(&e.path), "replay": replay,
            }),
            diagnostic: d,
            notes: Vec::new(),
            replay: Some(replay),
        });
    }
    for dead in &report.dead_ends {
        let name = story.node_name(dead.node);
        let d = diagnostic(
            (story, &locate),
            locate.node(name),
            Severity::Error,
            format!(
                "dead end: play stops at node `{name}`, which has choices but shows none here \
                 and has no `next` or available fallback"
            ),
        );
        let replay = replay_of(&dead.path);
        out.push(Finding {
            json: json!({
                "kind": "dead_end", "message": d.message, "at": place(&d), "node": name,
                "path": json_path(&dead.path), "replay": replay,
            }),
            diagnostic: d,
            notes: Vec::new(),
            replay: Some(replay),
        });
    }
    // Each flow is explored from its start: with several, a switch in the middle of play
    // (which a player may make) is not explored, and nothing is proven.
    let one_flow = story.flow_ids().len() == 1;
    let proven = report.complete() && one_flow;
    let draws = if all_random {
        "for every outcome of its random draws (all values of ranges of up to 8 values, the \
         ends and middle of wider ones)"
            .to_owned()
    } else {
        format!("for seed {seed}")
    };
    let reach_note = if proven {
        format!(
            "proven {draws}: exploration finished within its bounds, so no playthrough reaches \
             it (with the story's function fallbacks)"
        )
    } else if report.complete() {
        "not proven: the story has several flows, and switching between them in the middle \
         of play is not explored"
            .to_owned()
    } else {
        format!(
            "not reached within the bounds: exploration was cut short by its {} limit",
            bound_name(report.cut)
        )
    };
    for &node in &report.unentered {
        let name = story.node_name(node);
        let d = diagnostic(
            (story, &locate),
            locate.node(name),
            Severity::Warning,
            format!("node `{name}` is never entered"),
        );
        out.push(Finding {
            json: json!({
                "kind": "unentered", "message": d.message, "at": place(&d), "node": name,
                "proven": proven,
            }),
            diagnostic: d,
            notes: vec![reach_note.clone()],
            replay: None,
        });
    }
    // A condition always false is why its choice is never displayed: one finding.
    let always_false = |node, choice| {
        report
            .constant
            .iter()
            .any(|c| c.node == node && c.choice == choice && !c.value)
    };
    for u in report.undisplayed.iter().filter(|u| u.node_entered) {
        let name = story.node_name(u.node);
        let never_holds = always_false(u.node, u.choice);
        let index = story.node_choices(u.node).position(|(c, _)| c == u.choice);
        let field = u.condition.as_ref().map(|_| "when");
        let at = index.and_then(|i| locate.choice(name, i, field));
        let d = diagnostic(
            (story, &locate),
            at,
            Severity::Warning,
            match (&u.condition, never_holds) {
                (Some(condition), true) => format!(
                    "choice `{}` of node `{name}` is never displayed: its condition \
                     `{condition}` is always false",
                    story.choice_name(u.choice)
                ),
                _ => format!(
                    "choice `{}` of node `{name}` is never displayed",
                    story.choice_name(u.choice)
                ),
            },
        );
        let mut notes = vec![reach_note.clone()];
        let ranges: serde_json::Map<String, Value> = u
            .ranges
            .iter()
            .map(|(v, r)| (story.var_name(*v).to_owned(), r.to_string().into()))
            .collect();
        if let Some(condition) = &u.condition {
            let took: Vec<String> = u
                .ranges
                .iter()
                .map(|(v, r)| format!("`{}` was {r}", story.var_name(*v)))
                .collect();
            if !never_holds {
                notes.insert(0, format!("its condition `{condition}` never held here"));
            }
            if !took.is_empty() {
                let place = if u.node_shown {
                    format!("wherever `{name}` was shown")
                } else {
                    format!(
                        "`{name}` never waits for a choice (play goes on at once); in every \
                         state explored"
                    )
                };
                notes.insert(
                    usize::from(!never_holds),
                    format!("{place}, {}", took.join("; ")),
                );
            }
        } else {
            notes.insert(0, "a `once` choice, or one with no chance to show".into());
        }
        out.push(Finding {
            json: json!({
                "kind": "undisplayed", "message": d.message, "at": place(&d), "node": name,
                "choice": story.choice_name(u.choice), "condition": u.condition,
                "always_false": never_holds, "ranges": ranges, "proven": proven,
            }),
            diagnostic: d,
            notes,
            replay: None,
        });
    }
    for c in report.constant.iter().filter(|c| c.value) {
        let name = story.node_name(c.node);
        let index = story
            .node_choices(c.node)
            .position(|(id, _)| id == c.choice);
        let at = index.and_then(|i| locate.choice(name, i, Some("when")));
        let d = diagnostic(
            (story, &locate),
            at,
            Severity::Warning,
            format!(
                "condition `{}` of choice `{}` is always true",
                c.condition,
                story.choice_name(c.choice),
            ),
        );
        out.push(Finding {
            json: json!({
                "kind": "constant_condition", "message": d.message, "at": place(&d),
                "node": name, "choice": story.choice_name(c.choice), "condition": c.condition,
                "value": c.value, "evaluations": c.evaluations, "proven": proven,
            }),
            diagnostic: d,
            notes: vec![format!(
                "in each of the {} distinct states where it was evaluated",
                c.evaluations
            )],
            replay: None,
        });
    }
    out.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.diagnostic.path.clone(),
                f.diagnostic.line,
                f.diagnostic.col,
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

fn bound_name(bound: Option<Bound>) -> &'static str {
    match bound {
        Some(Bound::States) => "--max-states",
        Some(Bound::Depth) => "--max-depth",
        Some(Bound::Time) => "--time",
        Some(Bound::Memory) => "--max-memory",
        Some(Bound::Outcomes) => "256-outcomes-a-step",
        None => "no",
    }
}

fn percent((seen, total): (usize, usize)) -> String {
    if total == 0 {
        return "none to see".to_owned();
    }
    format!(
        "{seen} of {total} ({:.0}%)",
        seen as f64 * 100.0 / total as f64
    )
}

fn print_human(story: &Story, report: &Report, findings: &[Finding], path: &Path, seed: u64) {
    for f in findings {
        say!("{}", crate::check::render(&f.diagnostic));
        for note in &f.notes {
            say!("  = note: {note}");
        }
        if let Some(replay) = &f.replay {
            say!("  = replay: {replay}");
        }
        say!("");
    }
    for e in &report.endings {
        say!(
            "ending `{}`: reached {} way(s); shortest: {}",
            story.node_name(e.node),
            e.paths,
            replay(path, seed, story, &e.path)
        );
    }
    let c = &report.coverage;
    say!(
        "coverage: nodes {}, choices {}, variation branches {}",
        percent(c.nodes),
        percent(c.choices),
        percent(c.branches)
    );
    let (n_errors, n_warnings) = (
        findings.iter().filter(|f| f.diagnostic.is_error()).count(),
        findings.iter().filter(|f| !f.diagnostic.is_error()).count(),
    );
    say!(
        "{}: {} states, {} steps, depth {}, in {:.2} s ({:.0} states/s); {}; {n_errors} error(s), {n_warnings} warning(s)",
        path.display(),
        report.states,
        report.steps,
        report.depth,
        report.elapsed.as_secs_f64(),
        report.states_per_second(),
        if report.complete() {
            "complete: every state explored".to_owned()
        } else {
            format!("cut short by the {} limit", bound_name(report.cut))
        }
    );
}

fn to_json(story: &Story, report: &Report, findings: &[Finding]) -> Value {
    let endings: Vec<Value> = report
        .endings
        .iter()
        .map(|e| {
            json!({
                "node": story.node_name(e.node),
                "paths": e.paths,
                "path": {"flow": story.flow_name(e.path.flow), "choices": e.path.choices},
            })
        })
        .collect();
    let c = &report.coverage;
    json!({
        "complete": report.complete(),
        "cut": report.cut.map(|b| match b {
            Bound::States => "states",
            Bound::Depth => "depth",
            Bound::Time => "time",
            Bound::Memory => "memory",
            Bound::Outcomes => "outcomes",
        }),
        "states": report.states,
        "steps": report.steps,
        "depth": report.depth,
        "seconds": report.elapsed.as_secs_f64(),
        "states_per_second": report.states_per_second(),
        "findings": findings.iter().map(|f| f.json.clone()).collect::<Vec<_>>(),
        "endings": endings,
        "coverage": {
            "nodes": [c.nodes.0, c.nodes.1],
            "choices": [c.choices.0, c.choices.1],
            "branches": [c.branches.0, c.branches.1],
        },
    })
}

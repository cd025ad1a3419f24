//! Live reload's files: which a reload reads and compiles, which it keeps pending after a
//! rejected edit, which outside files matter, and parsing several on the pool.

use qnce::reload::Host;
use qnce::story::NodeField;
use qnce::{Event, Limits, SessionConfig};

use crate::reload::Live;
use crate::support::TempDir;

/// A main file that includes `one.ron` and `two.ron`, whose nodes `one` and `two` its
/// node `a` leads to.
const TWO_INCLUDES: &str = r#"Story(title: "t", start: "a", include: ["one.ron", "two.ron"], nodes: { "a": (text: "A", choices: [(text: "1", to: "one"), (text: "2", to: "two")]) })"#;

#[test]
fn editing_one_include_reads_and_compiles_only_that_file() {
    let dir = TempDir::new("include");
    dir.write("story.ron", TWO_INCLUDES);
    dir.write("one.ron", r#"Include(nodes: { "one": (text: "One") })"#);
    let two = dir.write("two.ron", r#"Include(nodes: { "two": (text: "Two") })"#);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    std::fs::write(&two, r#"Include(nodes: { "two": (text: "Two!") })"#).unwrap();
    let report = host
        .reload(Some(std::slice::from_ref(&two)))
        .result
        .unwrap();
    assert_eq!(report.files, vec![two.clone()]);
    assert!(report.partial);
    assert_eq!(report.delta.nodes_changed.len(), 1);
    // A file that did not change is not read even when the watcher names it (say, a save
    // of identical text): its parse is kept.
    let report = host.reload(Some(&[two])).result.unwrap();
    assert!(report.delta.is_empty());
    // An edit that includes a new file reads it.
    let three = dir.write(
        "three.ron",
        r#"Include(nodes: { "three": (text: "Three") })"#,
    );
    let main = dir.write(
        "story.ron",
        r#"Story(title: "t", start: "a", include: ["one.ron", "two.ron", "three.ron"], nodes: { "a": (text: "A", choices: [(text: "1", to: "one"), (text: "2", to: "two"), (text: "3", to: "three")]) })"#,
    );
    let report = host
        .reload(Some(std::slice::from_ref(&main)))
        .result
        .unwrap();
    assert_eq!(report.files, vec![main, three]);
    assert_eq!(
        report.delta.nodes_added,
        vec![host.story().node_id("three").unwrap()]
    );
}

#[test]
fn a_file_changed_untold_is_read_anew_when_a_reload_needs_its_parse_again() {
    let dir = TempDir::new("untold");
    dir.write("story.ron", TWO_INCLUDES);
    let one = dir.write(
        "one.ron",
        r#"Include(nodes: { "one": (text: "One"), "spare": (text: "Spare") })"#,
    );
    let two = dir.write("two.ron", r#"Include(nodes: { "two": (text: "Two") })"#);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    // The story keeps no texts: a reload reads a file again when it needs one.
    assert!(host.story().files().iter().all(|f| f.text().is_none()));
    // `two.ron` changes, and no reload is told so (its event has not come yet).
    std::fs::write(&two, r#"Include(nodes: { "two": (text: "Two again") })"#).unwrap();
    // A node renamed: every file is declared again, `two.ron` from its parse made again,
    // which finds the file changed. The reload reads it anew and takes both changes.
    std::fs::write(
        &one,
        r#"Include(nodes: { "one": (text: "One"), "extra": (text: "Spare") })"#,
    )
    .unwrap();
    let report = host
        .reload(Some(std::slice::from_ref(&one)))
        .result
        .unwrap();
    assert_eq!(report.files, vec![one, two]);
    let story = host.story();
    let text = |name: &str| {
        story
            .node_text(story.node_id(name).unwrap())
            .unwrap()
            .source()
    };
    assert_eq!(text("two"), "Two again");
    assert_eq!(text("extra"), "Spare");
    assert!(story.node_id("spare").is_none());
}

#[test]
fn a_failed_reload_keeps_its_changed_files_for_the_next_attempt() {
    let dir = TempDir::new("pending");
    dir.write(
        "story.ron",
        r#"Story(title: "t", start: "a", include: ["one.ron"], nodes: { "a": (text: "A", next: "one") })"#,
    );
    let one = dir.write("one.ron", r#"Include(nodes: { "one": (text: "One") })"#);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    // `one.ron` now points at a node that `story.ron` will declare in the next save.
    std::fs::write(
        &one,
        r#"Include(nodes: { "one": (text: "One", next: "z") })"#,
    )
    .unwrap();
    assert!(host.reload(Some(&[one])).result.is_err());
    let main = dir.write(
        "story.ron",
        r#"Story(title: "t", start: "a", include: ["one.ron"], nodes: { "a": (text: "A", next: "one"), "z": (text: "Z") })"#,
    );
    // Only `story.ron` is named now; the change to `one.ron` is still taken.
    let report = host.reload(Some(&[main])).result.unwrap();
    let story = host.story();
    assert_eq!(report.delta.nodes_added, vec![story.node_id("z").unwrap()]);
    assert_eq!(
        Live::changed(&report, story),
        vec![("one".to_owned(), vec![NodeField::Next])]
    );
}

#[test]
fn ron_files_outside_the_story_matter_only_while_an_edit_waits_for_them() {
    use qnce::watch::Batch;
    let dir = TempDir::new("concerns");
    let main = dir.write(
        "story.ron",
        r#"Story(title: "t", start: "a", nodes: { "a": (text: "A") })"#,
    );
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let batch = |paths: Vec<std::path::PathBuf>| Batch {
        paths,
        rescan: false,
        errors: Vec::new(),
    };
    // A save file kept in the story directory is not part of the story.
    let save = dir.write("saves/slot-1.ron", "Save()");
    assert!(host.handle(&batch(vec![save])).is_none());
    assert!(host.handle(&batch(vec![main.clone()])).is_some());
    // An edit that includes a file not written yet is rejected and waits; writing the
    // file (named alone by the watcher) completes it.
    std::fs::write(
        &main,
        r#"Story(title: "t", start: "a", include: ["more.ron"], nodes: { "a": (text: "A", next: "b") })"#,
    )
    .unwrap();
    assert!(host.handle(&batch(vec![main])).unwrap().result.is_err());
    let more = dir.write("more.ron", r#"Include(nodes: { "b": (text: "B") })"#);
    let reloaded = host.handle(&batch(vec![more])).unwrap();
    assert!(reloaded.result.is_ok());
    assert!(host.story().node_id("b").is_some());
}

#[test]
fn ended_node_that_gains_a_next_advances_as_a_step() {
    let story = r#"Story(title: "t", start: "a", nodes: {
        "a": (text: "A", choices: [(text: "On", to: "b")]),
        "b": (text: "The end?"),
        "c": (text: "Not yet."),
    })"#;
    let mut live = Live::new("gains-next", story);
    live.choose(0);
    assert!(live.session().is_ended());
    live.edit(&story.replace(
        r#""b": (text: "The end?"),"#,
        r#""b": (text: "The end?", next: "c"),"#,
    ));
    let s = live.session();
    assert_eq!(s.current_node(), Some(live.node("c")));
    assert!(matches!(
        s.events(),
        [Event::NodeEntered { .. }, Event::StoryEnded { .. }]
    ));
    // Undo takes the advance back, and on past `b`, which play now passes by, to the
    // last place the player chose.
    let (a, c) = (live.node("a"), live.node("c"));
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!(session.current_node(), Some(a));
    assert_eq!(session.choices().count(), 1);
    // Redo goes forward through `b` again.
    session.redo(story).unwrap();
    assert_eq!(session.current_node(), Some(c));
}

#[test]
fn several_changed_files_are_read_and_parsed_on_the_pool_with_the_same_outcome() {
    use qnce::services::{Services, ServicesConfig};
    let services = Services::start(&ServicesConfig::default()).unwrap();
    let example = crate::support::example("lighthouse");
    let pooled_dir = TempDir::copy_of(&example, "reload-pooled");
    let plain_dir = TempDir::copy_of(&example, "reload-plain");
    let mut pooled = Host::open_attached(pooled_dir.path(), &Limits::default(), &services)
        .unwrap()
        .value;
    let mut plain = Host::open(plain_dir.path(), &Limits::default())
        .unwrap()
        .value;
    let mut outcomes = Vec::new();
    for (dir, host) in [(&pooled_dir, &mut pooled), (&plain_dir, &mut plain)] {
        let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
        let edit = |file: &str, from: &str, to: &str| {
            let path = dir.path().join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains(from), "{file} holds {from:?}");
            std::fs::write(&path, text.replace(from, to)).unwrap();
            path
        };
        // Two files at once: read and parsed together.
        let changed = [
            edit(
                "chapters/shore.ron",
                "Waves batter the rocks",
                "Grey waves pound the rocks",
            ),
            edit("chapters/tower.ron", "The door creaks", "The door groans"),
        ];
        let report = host.reload(Some(&changed)).result.unwrap();
        let mut files: Vec<_> = report
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_owned())
            .collect();
        files.sort();
        let text = host.session(player).unwrap().text().to_owned();
        // Then two at once again, one of them broken: rejected with the same position.
        let changed = [
            edit(
                "chapters/radio.ron",
                "The radio hisses.",
                "The radio hisses, \"),",
            ),
            edit("chapters/tower.ron", "The door groans", "The door sighs"),
        ];
        let error = host.reload(Some(&changed)).result.unwrap_err().to_string();
        let relative = error.replace(&dir.path().display().to_string(), "DIR");
        outcomes.push((files, report.delta.nodes_changed.len(), text, relative));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0].1, 2);
    assert!(outcomes[0].2.starts_with("Grey waves pound the rocks"));
    assert!(
        outcomes[0].3.contains("DIR/chapters/radio.ron:9:42: error"),
        "{}",
        outcomes[0].3
    );
    services.shutdown();
}

/// A pool that counts what it is given: how many batches and files, and how many jobs of
/// nodes to compile.
#[derive(Debug)]
struct Counting {
    pool: qnce::pool::Pool,
    batches: std::sync::atomic::AtomicUsize,
    files: std::sync::atomic::AtomicUsize,
    node_jobs: std::sync::atomic::AtomicUsize,
}

impl Counting {
    fn new(threads: usize) -> Counting {
        let config = qnce::pool::PoolConfig {
            threads,
            ..qnce::pool::PoolConfig::default()
        };
        Counting {
            pool: qnce::pool::Pool::new(&config).unwrap(),
            batches: 0.into(),
            files: 0.into(),
            node_jobs: 0.into(),
        }
    }
}

impl qnce::load::ParallelMap for Counting {
    fn map_files(
        &self,
        jobs: Vec<qnce::load::FileJob>,
        work: fn(qnce::load::FileJob) -> qnce::load::FileRead,
    ) -> Vec<qnce::load::FileRead> {
        use std::sync::atomic::Ordering::Relaxed;
        self.batches.fetch_add(1, Relaxed);
        self.files.fetch_add(jobs.len(), Relaxed);
        qnce::load::ParallelMap::map_files(&self.pool, jobs, work)
    }

    fn map_nodes(
        &self,
        jobs: Vec<qnce::load::NodesJob>,
        work: fn(qnce::load::NodesJob) -> qnce::load::NodesDone,
    ) -> Vec<qnce::load::NodesDone> {
        use std::sync::atomic::Ordering::Relaxed;
        self.node_jobs.fetch_add(jobs.len(), Relaxed);
        qnce::load::ParallelMap::map_nodes(&self.pool, jobs, work)
    }
}

/// A story of `files` included files of five nodes each, and a last node. Each node sets a
/// variable, and has choices named after their target, two that share a target (ids
/// derived from their text), one with an id written, a condition calling a function and an
/// effect running a command; each file has a node no choice leads to and a condition that
/// can never hold (warnings). The first `unknown` files also name three nodes and one
/// variable that do not exist, each a letter away from one that does (errors with a "did
/// you mean").
fn write_wide_story(dir: &TempDir, files: usize, unknown: usize) {
    let includes: Vec<String> = (0..files).map(|f| format!("\"f{f}.ron\"")).collect();
    dir.write(
        "story.ron",
        format!(
            r#"Story(title: "wide", start: "f0n0", include: [{}],
                variables: {{ "gold": Int(0), "steps": Int(0) }},
                commands: {{ "beep": (params: []) }},
                functions: {{ "luck": (params: [], returns: Int, fallback: "1") }},
                nodes: {{ "end": (text: "The end") }})"#,
            includes.join(", ")
        ),
    );
    for f in 0..files {
        let mut nodes = Vec::new();
        for n in 0..5 {
            let on = match (n, f + 1 < files) {
                (4, true) => format!("f{}n0", f + 1),
                (4, false) => "end".to_owned(),
                _ => format!("f{f}n{}", n + 1),
            };
            let to = match (f < unknown, n) {
                (true, 1..=3) => format!("{on}x"),
                _ => on.clone(),
            };
            let when = match (f < unknown, n) {
                (true, 1) => "goldx > 1",
                (_, 4) => "1 > 2",
                _ => "luck() > 0 && gold < 3",
            };
            nodes.push(format!(
                r#""f{f}n{n}": (text: "Room {f}.{n}, {{gold}} gold", on_enter: ["steps += 1"], choices: [
                    (text: "On", to: "{to}"),
                    (text: "Back", to: "f{f}n0", set: ["gold += 1", "beep()"]),
                    (text: "Back again", to: "f{f}n0"),
                    (id: "lucky", text: "Lucky", to: "end", when: "{when}"),
                ])"#
            ));
        }
        nodes.push(format!(r#""f{f}lost": (text: "No way in", next: "end")"#));
        dir.write(
            &format!("f{f}.ron"),
            format!("Include(nodes: {{ {} }})", nodes.join(",\n")),
        );
    }
}

/// A load on the pool compiles the story's nodes there, some files per job: the story, its
/// warnings, its errors (with as many "did you mean" as a load on one thread gives: a
/// budget, spent in order) and the order its choices' ids were given in are those of a
/// load on one thread, and so are a reload after it and its outcome.
#[test]
fn nodes_compiled_on_the_pool_are_those_compiled_on_one_thread() {
    use qnce::LoadError;
    use qnce::reload::Reloader;
    use qnce_core::internal::StoryInternals;
    use qnce_core::story::{ChoiceId, Id};
    use std::sync::Arc;
    use std::sync::atomic::Ordering::Relaxed;
    let choice_ids = |story: &qnce::Story| -> Vec<String> {
        let choices = &story.names().choices;
        (0..choices.len())
            .map(|i| choices.name(ChoiceId::from_index(i as u32)).to_owned())
            .collect()
    };
    let hinted = |d: &qnce::Diagnostics| {
        d.iter()
            .filter(|d| d.message.contains("did you mean"))
            .count()
    };
    // 40 files: five jobs or more. Unknown names in none, in 3 files (each gets a hint),
    // and in all 40: 120 nodes, whose hints (100) run out in the middle of file 34, and
    // 40 variables, each of which gets one.
    for unknown in [0, 3, 40] {
        let dir = TempDir::new("pool-compile");
        write_wide_story(&dir, 40, unknown);
        let counting = Arc::new(Counting::new(2));
        let limits = Limits::default();
        let alone = Reloader::load(dir.path(), &limits);
        let pooled = Reloader::load_in_parallel(dir.path(), &limits, counting.clone());
        assert!(counting.node_jobs.load(Relaxed) >= 5, "{counting:?}");
        match (alone, pooled, unknown) {
            (Ok(alone), Ok(pooled), 0) => {
                assert_eq!(alone.warnings, pooled.warnings);
                assert_eq!(alone.warnings.iter().count(), 80, "{:?}", alone.warnings);
                let (mut alone, mut alone_reloader) = alone.value;
                let (mut pooled, mut pooled_reloader) = pooled.value;
                let canonical = crate::support::canonical(&alone);
                assert_eq!(canonical, crate::support::canonical(&pooled));
                assert!(
                    canonical.contains("choice f3n0/back-again explicit false"),
                    "{canonical}"
                );
                assert_eq!(choice_ids(&alone), choice_ids(&pooled));
                assert_eq!(pooled.node_ids().count(), 241);
                // A node edited in a file of the middle, and an edge taken away: the
                // tables moved out for the jobs and back serve the reload as they would.
                let part = dir.path().join("f20.ron");
                let text = std::fs::read_to_string(&part).unwrap();
                let edited = text.replacen("Room 20.2", "Hall 20.2", 1).replacen(
                    r#"(text: "On", to: "f20n4"),"#,
                    "",
                    1,
                );
                std::fs::write(&part, edited).unwrap();
                let changed = std::slice::from_ref(&part);
                let a = alone_reloader.reload(&mut alone, Some(changed)).unwrap();
                let p = pooled_reloader.reload(&mut pooled, Some(changed)).unwrap();
                assert_eq!(a.warnings, p.warnings);
                assert!(
                    a.warnings.iter().any(|w| w.message.contains("`f20n4`")),
                    "{:?}",
                    a.warnings
                );
                let canonical = crate::support::canonical(&alone);
                assert_eq!(canonical, crate::support::canonical(&pooled));
                assert!(canonical.contains("Hall 20.2"));
                assert_eq!(choice_ids(&alone), choice_ids(&pooled));
            }
            (Err(LoadError::Invalid(alone)), Err(LoadError::Invalid(pooled)), _) => {
                assert_eq!(alone, pooled);
                let errors = alone.iter().filter(|d| d.severity == qnce::Severity::Error);
                assert_eq!(errors.count(), 4 * unknown, "{alone:?}");
                // Each kind of name has a budget of 100 hints.
                assert_eq!(
                    hinted(&alone),
                    (3 * unknown).min(100) + unknown,
                    "{alone:?}"
                );
            }
            (alone, pooled, _) => panic!(
                "{unknown}: alone {:?}, pooled {:?}",
                alone.map(|l| l.warnings),
                pooled.map(|l| l.warnings)
            ),
        }
    }
}

#[test]
fn a_story_read_on_the_pool_loads_as_on_one_thread_mistakes_and_all() {
    use qnce::LoadError;
    use qnce::pool::PoolConfig;
    use qnce::reload::Reloader;
    use std::sync::Arc;
    use std::sync::atomic::Ordering::Relaxed;
    let config = PoolConfig {
        threads: 2,
        ..PoolConfig::default()
    };
    let main = TWO_INCLUDES;
    let one = |includes: &str| {
        format!(
            r#"Include(include: [{includes}], nodes: {{ "one": (text: "One", choices: [(text: "on", to: "three")]) }})"#
        )
    };
    let two = r#"Include(nodes: { "two": (text: "Two"), "lost": (text: "No way in") })"#;
    let three = r#"Include(nodes: { "three": (text: "Three", next: "four") })"#;
    let four = r#"Include(nodes: { "four": (text: "Four") })"#;
    let outside = TempDir::new("pool-load-outside");
    let elsewhere = outside.write("elsewhere.ron", four);
    let default = Limits::default();
    let few_files = Limits {
        max_files: 3,
        ..Limits::default()
    };
    let few_nodes = Limits {
        max_nodes: 2,
        ..Limits::default()
    };
    // The main file includes two files, the first of them two more (a second level).
    // Each case changes one file: `None` for a story that loads (with a warning: `lost`
    // cannot be reached), else what its error says.
    let mut cases: Vec<(&str, String, Option<&str>, &Limits)> = vec![
        ("one.ron", one(r#""three.ron", "four.ron""#), None, &default),
        (
            "three.ron",
            "Include(nodes: {".into(),
            Some("three.ron"),
            &default,
        ),
        (
            "one.ron",
            one(r#""three.ron", "four.ron", "gone.ron""#),
            Some("gone.ron"),
            &default,
        ),
        (
            "four.ron",
            r#"Include(include: ["one.ron"])"#.into(),
            Some("cycle"),
            &default,
        ),
        (
            "one.ron",
            one(r#""three.ron", "four.ron", "two.ron""#),
            Some("more than once"),
            &default,
        ),
        (
            "one.ron",
            one(r#""three.ron", "four.ron", "../x.ron""#),
            Some("outside"),
            &default,
        ),
        ("four.ron", String::new(), Some("empty"), &default),
        (
            "one.ron",
            one(r#""three.ron", "four.ron""#),
            Some("more files than the limit"),
            &few_files,
        ),
        (
            "one.ron",
            one(r#""three.ron", "four.ron""#),
            Some("limit of 2"),
            &few_nodes,
        ),
    ];
    if cfg!(unix) {
        // A link out of the story directory: read ahead, then refused as the reader does.
        let link = one(r#""three.ron", "four.ron", "link.ron""#);
        cases.push(("one.ron", link, Some("outside"), &default));
    }
    for (file, text, error, limits) in cases {
        let dir = TempDir::new("pool-load");
        dir.write("story.ron", main);
        dir.write("one.ron", one(r#""three.ron", "four.ron""#));
        dir.write("two.ron", two);
        dir.write("three.ron", three);
        dir.write("four.ron", four);
        dir.write(file, &text);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("link.ron")).unwrap();
        let counting = Arc::new(Counting::new(config.threads));
        let alone = Reloader::load(dir.path(), limits);
        let pooled = Reloader::load_in_parallel(dir.path(), limits, counting.clone());
        let read = (counting.batches.load(Relaxed), counting.files.load(Relaxed));
        match (alone, pooled, error) {
            (Ok(alone), Ok(pooled), None) => {
                assert_eq!(alone.warnings, pooled.warnings);
                assert!(
                    alone.warnings.iter().any(|w| w.message.contains("`lost`")),
                    "{:?}",
                    alone.warnings
                );
                assert_eq!(
                    crate::support::canonical(&alone.value.0),
                    crate::support::canonical(&pooled.value.0)
                );
                assert_eq!(pooled.value.0.node_ids().count(), 6);
                // Read ahead on the pool: five files, in three levels of includes.
                assert_eq!(read, (3, 5));
            }
            (Err(LoadError::Invalid(alone)), Err(LoadError::Invalid(pooled)), Some(error)) => {
                assert_eq!(alone, pooled, "{file}: {text}");
                assert!(
                    alone.iter().any(|d| d.to_string().contains(error)),
                    "{error}: {alone:?}"
                );
                // Within the limits, ahead of the reader as well: past the node limit, no
                // further level is read.
                assert!(read.1 <= limits.max_files, "{read:?}");
                if limits.max_nodes == 2 {
                    assert_eq!(read, (2, 3));
                }
                // The link out of the story is read ahead too, then refused.
                if text.contains("link.ron") {
                    assert_eq!(read, (3, 6));
                }
            }
            (alone, pooled, _) => panic!(
                "{file}: {text}: alone {:?}, pooled {:?}",
                alone.map(|l| l.warnings),
                pooled.map(|l| l.warnings)
            ),
        }
    }
}

/// An include through a linked directory and `..`: the file the system finds is not the
/// one its name says lexically. Read ahead on the pool, it is the file the reader reads.
#[cfg(unix)]
#[test]
fn a_file_read_ahead_through_a_linked_directory_is_the_one_the_reader_reads() {
    use qnce::pool::{Pool, PoolConfig};
    use qnce::reload::Reloader;
    use std::sync::Arc;
    let dir = TempDir::new("pool-load-link");
    dir.write(
        "story.ron",
        r#"Story(title: "t", start: "a", include: ["sub/../x.ron"], nodes: { "a": (text: "A", next: "x") })"#,
    );
    std::fs::create_dir_all(dir.path().join("deep/inner")).unwrap();
    dir.write("deep/x.ron", r#"Include(nodes: { "x": (text: "Deep") })"#);
    dir.write("x.ron", r#"Include(nodes: { "x": (text: "Top") })"#);
    std::os::unix::fs::symlink(dir.path().join("deep/inner"), dir.path().join("sub")).unwrap();
    let pool: Arc<dyn qnce::load::ParallelMap> =
        Arc::new(Pool::new(&PoolConfig::default()).unwrap());
    let alone = Reloader::load(dir.path(), &Limits::default())
        .unwrap()
        .value
        .0;
    let pooled = Reloader::load_in_parallel(dir.path(), &Limits::default(), pool)
        .unwrap()
        .value
        .0;
    let text = |story: &qnce::Story| story.node_id("x").map(|x| story.node_source(x).to_owned());
    assert_eq!(text(&alone).as_deref(), Some("Deep"));
    assert_eq!(text(&pooled).as_deref(), Some("Deep"));
}

/// Issue 14, class 9: saving two files a few milliseconds apart (`story.ron` naming a node
/// that the second, `vault.ron`, adds) showed "reload rejected" first. A rejection is held
/// until the files have been quiet for the settle window; a good reload passes at once.
#[test]
fn a_rejection_is_reported_only_once_the_files_settle() {
    use qnce::reload::Settle;
    use qnce::watch::Batch;
    use std::time::{Duration, Instant};
    let dir = TempDir::new("settle");
    let story = |to: &str| {
        format!(
            r#"Story(title: "t", start: "a", include: ["vault.ron"], nodes: {{ "a": (text: "A", choices: [(text: "Go", to: "{to}")]) }})"#
        )
    };
    let main = dir.write("story.ron", story("hall"));
    let vault = dir.write("vault.ron", r#"Include(nodes: { "hall": (text: "H") })"#);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let batch = |path: &std::path::Path| Batch {
        paths: vec![path.to_owned()],
        rescan: false,
        errors: Vec::new(),
    };
    let window = Duration::from_millis(150);
    let mut settle = Settle::new(window);
    let t0 = Instant::now();

    // The first file of the save: rejected, and held.
    std::fs::write(&main, story("vault")).unwrap();
    let first = host.handle(&batch(&main)).unwrap();
    assert!(first.result.is_err());
    assert!(settle.offer(first, t0).is_none());
    assert_eq!(settle.deadline(), Some(t0 + window));
    assert!(settle.due(t0 + Duration::from_millis(20)).is_none());
    // The second, 20 ms later: the whole save loads, is reported, and the rejection is
    // never shown.
    dir.write(
        "vault.ron",
        r#"Include(nodes: { "hall": (text: "H"), "vault": (text: "V") })"#,
    );
    let second = host.handle(&batch(&vault)).unwrap();
    let shown = settle
        .offer(second, t0 + Duration::from_millis(20))
        .unwrap();
    assert!(shown.result.is_ok());
    assert_eq!(settle.deadline(), None);
    assert!(settle.due(t0 + Duration::from_secs(10)).is_none());

    // A save that stays broken is reported once the window has passed since its last
    // change.
    std::fs::write(&main, story("nowhere")).unwrap();
    let broken = host.handle(&batch(&main)).unwrap();
    let t1 = t0 + Duration::from_secs(1);
    assert!(settle.offer(broken, t1).is_none());
    assert!(settle.due(t1 + window - Duration::from_millis(1)).is_none());
    let shown = settle.due(t1 + window).unwrap();
    assert!(shown.result.unwrap_err().to_string().contains("`nowhere`"));
}

//! Helpers shared by the test modules: temporary story directories and the `qnce` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A fresh, empty temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("qnce-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A fresh copy of the directory tree at `from`.
    pub fn copy_of(from: &Path, tag: &str) -> TempDir {
        fn copy(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).unwrap();
            for entry in std::fs::read_dir(from).unwrap() {
                let entry = entry.unwrap();
                let target = to.join(entry.file_name());
                if entry.file_type().unwrap().is_dir() {
                    copy(&entry.path(), &target);
                } else {
                    std::fs::copy(entry.path(), target).unwrap();
                }
            }
        }
        let dir = TempDir::new(tag);
        copy(from, dir.path());
        dir
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The example story `stories/<name>`.
pub fn example(name: &str) -> PathBuf {
    root().join("stories").join(name)
}

/// A story directory holding `story.ron` with `text`.
pub fn story_dir(tag: &str, text: &str) -> TempDir {
    let dir = TempDir::new(tag);
    dir.write("story.ron", text);
    dir
}

/// Loads a story, panicking with the diagnostics if it has errors.
pub fn load(path: &Path) -> qnce::Story {
    match qnce::load(path, &qnce::Limits::default()) {
        Ok(l) => l.value,
        Err(e) => panic!("{e}"),
    }
}

/// The `qnce` binary, built here once per test run with its default features (cargo
/// builds a package's binary only for that package's own tests, so what lies in the target
/// directory may be stale, or a keyboard-only build). Up to date, the build takes a moment.
pub fn qnce_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/integration-<hash> -> target/<profile>/qnce
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_owned();
        let bin = profile_dir.join(format!("qnce{}", std::env::consts::EXE_SUFFIX));
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "qnce-cli", "--bin", "qnce"])
            .current_dir(root());
        if release {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "building qnce failed");
        bin
    })
}

/// Runs `qnce` with `args` in the workspace root.
pub fn qnce(args: &[&str]) -> Output {
    Command::new(qnce_bin())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Starts `qnce` with `args` in the workspace root, its standard streams piped.
pub fn spawn_qnce(args: &[&str]) -> std::process::Child {
    use std::process::Stdio;
    Command::new(qnce_bin())
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `qnce` with `stdin` as standard input.
pub fn qnce_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = spawn_qnce(args);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses a JSON-lines transcript.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// A description of a story by names, equal for two stories exactly when they have the
/// same title, variables, assets, flows and nodes with the same fields and choices,
/// whatever the ids and entities inside.
pub fn canonical(story: &qnce::Story) -> String {
    use qnce_core::internal::StoryInternals;
    use qnce_core::story::components::*;
    use std::fmt::Write;
    let names = story.names();
    let mut out = format!("title {:?}\n", story.title());
    for &v in story.var_ids() {
        writeln!(
            out,
            "var {} = {:?}",
            story.var_name(v),
            story.var_initial(v)
        )
        .unwrap();
    }
    let mut assets: Vec<String> = story
        .asset_ids()
        .map(|a| format!("asset {} = {:?}", names.assets.name(a), story.asset(a)))
        .collect();
    assets.sort();
    for &f in story.flow_ids() {
        let start = story.flow_start(f).map(|n| story.node_name(n));
        writeln!(out, "flow {} -> {start:?}", story.flow_name(f)).unwrap();
    }
    let mut nodes: Vec<String> = story
        .node_ids()
        .map(|id| {
            let node = story.node(id).unwrap();
            let mut s = format!(
                "node {}: {:?}",
                story.node_name(id),
                node.get::<Text>().unwrap().source()
            );
            let next = node.get::<Next>().unwrap().0.map(|n| story.node_name(n));
            let assets: Vec<&str> = node
                .get::<NodeAssets>()
                .unwrap()
                .0
                .iter()
                .map(|&a| names.assets.name(a))
                .collect();
            write!(
                s,
                " next {next:?} on_enter {:?} tags {:?} assets {assets:?}",
                node.get::<OnEnter>()
                    .unwrap()
                    .0
                    .sources()
                    .collect::<Vec<_>>(),
                node.get::<Tags>().unwrap().0,
            )
            .unwrap();
            for c in &node.get::<Choices>().unwrap().0 {
                write!(
                    s,
                    "\n  choice {} explicit {} {:?} -> {} when {:?} set {:?} {:?} tags {:?}",
                    story.choice_name(c.choice.id),
                    c.choice.explicit_id,
                    c.text.source(),
                    story.node_name(c.target.named()),
                    c.condition.0.as_deref().map(|(s, _)| s),
                    c.effects.0.sources().collect::<Vec<_>>(),
                    c.flags,
                    c.tags.0,
                )
                .unwrap();
            }
            s
        })
        .collect();
    nodes.sort();
    for line in assets.iter().chain(&nodes) {
        writeln!(out, "{line}").unwrap();
    }
    out
}

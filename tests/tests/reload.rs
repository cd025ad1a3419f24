//! Live reload through the engine API: one test per kind of edit, asserting the patched
//! story, the session state that survives, and which components change detection flags.

use bevy_ecs::change_detection::DetectChanges;
use qnce::reload::{Host, ReloadReport, SessionKey};
use qnce::story::{NodeField, TextPiece};
use qnce::{Event, Limits, LoadError, RuntimeError, Session, SessionConfig, Value};
use qnce_core::internal::StoryInternals;

use crate::support::{TempDir, canonical};

/// A story in a temporary directory, loaded in a host with one session.
pub struct Live {
    pub dir: TempDir,
    pub host: Host,
    pub player: SessionKey,
}

impl Live {
    pub fn new(tag: &str, story: &str) -> Live {
        let dir = TempDir::new(tag);
        dir.write("story.ron", story);
        let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
        let player = host.add_session(SessionConfig::with_seed(3)).unwrap();
        Live { dir, host, player }
    }

    /// Writes `file` and reloads it; panics if the edit is rejected.
    pub fn edit_file(&mut self, file: &str, text: &str) -> ReloadReport {
        let path = self.dir.write(file, text);
        let reloaded = self.host.reload(Some(&[path]));
        for (_, outcome) in &reloaded.sessions {
            outcome.as_ref().unwrap();
        }
        match reloaded.result {
            Ok(report) => report,
            Err(e) => panic!("edit rejected: {e}"),
        }
    }

    pub fn edit(&mut self, text: &str) -> ReloadReport {
        self.edit_file("story.ron", text)
    }

    /// Writes `story.ron` and reloads it, expecting the edit to be rejected.
    pub fn edit_rejected(&mut self, text: &str) -> String {
        let path = self.dir.write("story.ron", text);
        match self.host.reload(Some(&[path])).result {
            Err(e @ LoadError::Invalid(_)) => e.to_string(),
            other => panic!("expected a rejected edit, got {other:?}"),
        }
    }

    pub fn session(&self) -> &Session {
        self.host.session(self.player).unwrap()
    }

    pub fn choose(&mut self, index: usize) {
        let (story, session) = self.host.play(self.player).unwrap();
        session.choose(story, index).unwrap();
    }

    pub fn node(&self, name: &str) -> qnce::NodeId {
        self.host.story().node_id(name).unwrap()
    }

    /// The records of node `name`'s choices, as the story holds them.
    pub fn choice_records(&self, name: &str) -> Vec<qnce_core::story::ChoiceData> {
        let node = self.host.story().node(self.node(name)).unwrap();
        node.get::<qnce_core::story::components::Choices>()
            .unwrap()
            .0
            .clone()
    }

    pub fn choices(&self) -> Vec<String> {
        self.session()
            .choices()
            .map(|(_, t)| t.to_owned())
            .collect()
    }

    /// The node names the last reload changed, with their fields.
    pub fn changed(report: &ReloadReport, story: &qnce::Story) -> Vec<(String, Vec<NodeField>)> {
        report
            .delta
            .nodes_changed
            .iter()
            .map(|c| (story.node_name(c.node).to_owned(), c.fields.clone()))
            .collect()
    }

    /// Every node with a field that change detection flags, with those fields.
    pub fn flagged(&self) -> Vec<(String, Vec<NodeField>)> {
        let story = self.host.story();
        let mut out: Vec<_> = story
            .node_ids()
            .map(|id| (story.node_name(id).to_owned(), story.changed_fields(id)))
            .filter(|(_, f)| !f.is_empty())
            .collect();
        out.sort();
        out
    }
}

const BASE: &str = r#"Story(title: "Base", start: "a",
    variables: { "gold": Int(0), "name": Str("Ann") },
    assets: { "map": (path: "map.txt", kind: Text) },
    flows: { "side": "s" },
    nodes: {
        "a": (text: "You have {gold} gold.", choices: [
            (text: "Dig", to: "a", set: ["gold += 1"]),
            (text: "Rest once", to: "b", once: true),
            (text: "Walk", to: "c"),
        ]),
        "b": (text: "You rest.", next: "a"),
        "c": (text: "A road.", choices: [(text: "Back", to: "a")]),
        "s": (text: "A side story."),
    })"#;

/// `BASE` with `from` replaced by `to` (which must occur).
fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

fn map_asset_story(tag: &str) -> Live {
    let dir = TempDir::new(tag);
    dir.write("map.txt", "a map");
    dir.write("story.ron", BASE);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let player = host.add_session(SessionConfig::with_seed(3)).unwrap();
    Live { dir, host, player }
}

/// Plays `a` -> Dig twice -> Rest (back at `a` via `next`), so that the session has
/// variables, visits, history, a used `once` choice and undo steps.
fn played(tag: &str) -> Live {
    let mut live = map_asset_story(tag);
    live.choose(0);
    live.choose(0);
    live.choose(1);
    assert_eq!(live.session().text(), "You have 2 gold.");
    live
}

#[test]
fn text_edit_changes_only_the_text_and_rerenders_the_current_node() {
    let mut live = played("text");
    let a = live.node("a");
    let visits = live.session().visits(a);
    let history = live
        .session()
        .history(live.host.story().main_flow())
        .to_vec();
    let report = live.edit(&with("You have {gold} gold.", "You hold {gold} coins."));
    assert_eq!(
        Live::changed(&report, live.host.story()),
        vec![("a".to_owned(), vec![NodeField::Text])]
    );
    assert_eq!(
        live.flagged(),
        vec![("a".to_owned(), vec![NodeField::Text])]
    );
    assert_eq!(
        report.delta.nodes_changed[0].text_diff,
        vec![
            TextPiece::Same("You ".into()),
            TextPiece::Removed("have".into()),
            TextPiece::Added("hold".into()),
            TextPiece::Same(" {gold} ".into()),
            TextPiece::Removed("gold.".into()),
            TextPiece::Added("coins.".into()),
        ]
    );
    let s = live.session();
    assert_eq!(s.text(), "You hold 2 coins.");
    assert!(matches!(s.events(), [Event::NodeShown { .. }]));
    assert_eq!(s.visits(a), visits);
    assert_eq!(s.history(live.host.story().main_flow()), history);
    assert_eq!(s.turns(), 3);
    assert!(s.can_undo());
    assert!(report.partial);
    // Undo still walks back through the steps taken before the edit.
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!(session.text(), "You hold 2 coins.");
    assert_eq!(live.choices(), ["Dig", "Rest once", "Walk"]);
}

#[test]
fn unchanged_save_changes_nothing() {
    let mut live = played("same");
    let report = live.edit(BASE);
    assert!(report.delta.is_empty());
    assert!(live.flagged().is_empty());
    assert!(live.session().events().is_empty());
}

#[test]
fn each_node_field_edit_is_reported_and_flagged_alone() {
    // (edit from, edit to, the field)
    let cases = [
        (
            r#""b": (text: "You rest.", next: "a")"#,
            r#""b": (text: "You rest.", next: "c")"#,
            NodeField::Next,
        ),
        (
            r#""c": (text: "A road.","#,
            r#""c": (text: "A road.", on_enter: ["gold += 10"],"#,
            NodeField::OnEnter,
        ),
        (
            r#""c": (text: "A road.","#,
            r#""c": (text: "A road.", tags: ["outdoor"],"#,
            NodeField::Tags,
        ),
        (
            r#""c": (text: "A road.","#,
            r#""c": (text: "A road.", assets: ["map"],"#,
            NodeField::Assets,
        ),
        (
            r#"(text: "Back", to: "a")"#,
            r#"(text: "Go back", to: "a")"#,
            NodeField::Choices,
        ),
    ];
    for (from, to, field) in cases {
        let mut live = played(&format!("field-{}", field.name()));
        let report = live.edit(&with(from, to));
        let node = if field == NodeField::Next { "b" } else { "c" };
        let expected = vec![(node.to_owned(), vec![field])];
        assert_eq!(
            Live::changed(&report, live.host.story()),
            expected,
            "{field:?}"
        );
        assert_eq!(live.flagged(), expected, "{field:?}");
        // The current node `a` did not change: nothing to show again.
        assert!(live.session().events().is_empty(), "{field:?}");
    }
}

#[test]
fn inserted_choice_is_one_operation_and_others_keep_identity_and_once_state() {
    let mut live = played("insert-choice");
    let a = live.node("a");
    let before = live.choice_records("a");
    let report = live.edit(&with(
        r#"(text: "Walk", to: "c"),"#,
        r#"(text: "Sing", to: "s"),
            (text: "Walk", to: "c"),"#,
    ));
    let c = &report.delta.nodes_changed[0];
    assert_eq!(c.fields, vec![NodeField::Choices]);
    assert_eq!(c.choices_added.len(), 1);
    assert!(c.choices_removed.is_empty() && c.choices_changed.is_empty());
    // `Rest once` was chosen before the edit and stays hidden.
    assert_eq!(live.choices(), ["Dig", "Sing", "Walk"]);
    // The other choices are kept as they were, around the new one.
    let after = live.choice_records("a");
    assert_eq!(after.len(), 4);
    assert_eq!(after[..2], before[..2]);
    assert_eq!(after[3], before[2]);
    assert_eq!(
        live.flagged(),
        vec![("a".to_owned(), vec![NodeField::Choices])]
    );
    assert!(
        live.session()
            .was_chosen(a, live.host.story().choice_id("b").unwrap())
    );
}

/// A story whose node `hub` has a choice to each of `to`, tagged with its target, and a
/// node for each.
fn hub_story(to: &[usize]) -> String {
    let choices: String = to
        .iter()
        .map(|t| format!(r#"(text: "Go {t}", to: "r{t}", tags: ["to {t}"]),"#))
        .collect();
    let rooms: String = (0..40)
        .map(|t| format!(r#""r{t}": (text: "Room {t}"),"#))
        .collect();
    format!(
        r#"Story(title: "t", start: "hub", nodes: {{ "hub": (text: "Hub", choices: [{choices}]), {rooms} }})"#
    )
}

#[test]
fn a_node_keeps_finding_its_choices_by_id_as_edits_make_it_wide_and_narrow_again() {
    // Past 16 choices a node's choices are found through an index by id: it must follow
    // every edit (grown past the bound, reordered, a choice removed, shrunk below it).
    let mut live = Live::new("wide-hub", &hub_story(&(0..16).collect::<Vec<_>>()));
    let lists: [Vec<usize>; 5] = [
        (0..17).collect(),
        (0..17).rev().collect(),
        (0..30).filter(|t| t % 7 != 3).collect(),
        vec![29, 2, 5],
        (10..40).collect(),
    ];
    for to in lists {
        live.edit(&hub_story(&to));
        let story = live.host.story();
        let hub = live.node("hub");
        let ids: Vec<_> = story.node_choices(hub).map(|(id, _)| id).collect();
        assert_eq!(ids.len(), to.len());
        for (id, t) in ids.into_iter().zip(&to) {
            let target = story.choice_target(hub, id).unwrap();
            assert_eq!(target.to, Some(live.node(&format!("r{t}"))), "{to:?}");
            assert_eq!(
                story.choice_tags(hub, id),
                [format!("to {t}").into()],
                "{to:?}"
            );
        }
        // The player sees them all, in order, and each leads where it says.
        let (story, session) = live.host.play(live.player).unwrap();
        session.refresh(story).unwrap();
        assert_eq!(session.choices().count(), to.len());
        let last = to.len() - 1;
        session.choose(story, last).unwrap();
        assert_eq!(session.text(), format!("Room {}", to[last]));
        session.undo(story).unwrap();
    }
}

#[test]
fn removed_choice_is_one_operation() {
    let mut live = played("remove-choice");
    let surplus = surplus_entities(&live);
    let report = live.edit(&with(r#"(text: "Dig", to: "a", set: ["gold += 1"]),"#, ""));
    let c = &report.delta.nodes_changed[0];
    assert_eq!(c.choices_removed.len(), 1);
    assert!(c.choices_added.is_empty() && c.choices_changed.is_empty());
    assert_eq!(live.choices(), ["Walk"]);
    assert_eq!(surplus_entities(&live), surplus);
}

/// The names of the entities of kind `K` (by its identity component) whose component `C`
/// change detection flags, sorted.
fn flagged_of<K, C>(live: &Live, name: impl Fn(&K) -> String) -> Vec<String>
where
    K: bevy_ecs::component::Component,
    C: bevy_ecs::component::Component,
{
    let mut out: Vec<String> = live
        .host
        .story()
        .world()
        .iter_entities()
        .filter(|e| e.get_ref::<C>().is_some_and(|c| c.is_changed()))
        .filter_map(|e| e.get::<K>().map(&name))
        .collect();
    out.sort();
    out
}

/// Entities in the world beyond the story's nodes, variables, assets and flows (counted
/// through the public accessors): bevy_ecs keeps some of its own. A reload that missed a
/// despawn, or spawned twice, changes this number.
fn surplus_entities(live: &Live) -> i64 {
    let story = live.host.story();
    let ours = story.n_nodes()
        + story.var_ids().len()
        + story.asset_ids().count()
        + story.flow_ids().len();
    i64::from(story.world().entity_count()) - ours as i64
}

#[test]
fn reworded_choice_sharing_a_target_keeps_its_once_state_under_its_new_id() {
    let story = r#"Story(title: "t", start: "a", nodes: {
        "a": (text: "Hall", choices: [
            (text: "Knock once", to: "a", once: true),
            (text: "Wait", to: "a"),
        ]),
    })"#;
    let mut live = Live::new("reword", story);
    live.choose(0);
    assert_eq!(live.choices(), ["Wait"]);
    let before = live.choice_records("a");
    let report = live.edit(&story.replace("Knock once", "Knock loudly"));
    let c = &report.delta.nodes_changed[0];
    let names = &live.host.story().names().choices;
    assert_eq!(
        c.choices_renamed,
        vec![(
            names.lookup("a/knock-once").unwrap(),
            names.lookup("a/knock-loudly").unwrap()
        )]
    );
    assert_eq!(
        c.choices_changed,
        vec![names.lookup("a/knock-loudly").unwrap()]
    );
    assert!(c.choices_added.is_empty() && c.choices_removed.is_empty());
    // The other choice is kept as it was, in its place.
    let after = live.choice_records("a");
    assert_eq!(after.len(), 2);
    assert_eq!(after[1], before[1]);
    assert_ne!(after[0], before[0]);
    // Still chosen, so still hidden.
    assert_eq!(live.choices(), ["Wait"]);
    // Undo still reverts the choice under its new id.
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!(live.choices(), ["Knock loudly", "Wait"]);
}

#[test]
fn reordered_choices_rewrite_only_the_list_and_keep_every_choice() {
    let mut live = played("reorder");
    let report = live.edit(&with(
        r#"(text: "Dig", to: "a", set: ["gold += 1"]),
            (text: "Rest once", to: "b", once: true),
            (text: "Walk", to: "c"),"#,
        r#"(text: "Walk", to: "c"),
            (text: "Dig", to: "a", set: ["gold += 1"]),
            (text: "Rest once", to: "b", once: true),"#,
    ));
    let c = &report.delta.nodes_changed[0];
    assert_eq!(c.fields, vec![NodeField::Choices]);
    assert!(c.choices_added.is_empty() && c.choices_removed.is_empty());
    assert!(c.choices_changed.is_empty() && c.choices_renamed.is_empty());
    assert_eq!(live.choices(), ["Walk", "Dig"]);
}

#[test]
fn choices_with_explicit_ids_are_matched_by_id() {
    let story = r#"Story(title: "t", start: "a", nodes: {
        "a": (text: "Hall", choices: [
            (id: "knock", text: "Knock", to: "a", once: true),
            (id: "leave", text: "Leave", to: "b"),
        ]),
        "b": (text: "Out"),
    })"#;
    let mut live = Live::new("explicit", story);
    live.choose(0);
    // Reworded, retargeted and moved: still the same choice by id.
    let report = live.edit(&story.replace(
        r#"(id: "knock", text: "Knock", to: "a", once: true),
            (id: "leave", text: "Leave", to: "b"),"#,
        r#"(id: "leave", text: "Go", to: "b"),
            (id: "knock", text: "Bang", to: "b", once: true),"#,
    ));
    let c = &report.delta.nodes_changed[0];
    let names = &live.host.story().names().choices;
    let (knock, leave) = (
        names.lookup("knock").unwrap(),
        names.lookup("leave").unwrap(),
    );
    let mut changed = c.choices_changed.clone();
    changed.sort();
    let mut expected = vec![knock, leave];
    expected.sort();
    assert_eq!(changed, expected);
    assert!(c.choices_added.is_empty() && c.choices_removed.is_empty());
    assert_eq!(live.choices(), ["Go"]);
}

#[test]
fn a_choice_is_found_by_its_id_after_edits_add_remove_and_rename_choices() {
    let story = r#"Story(title: "t", start: "a", nodes: {
        "a": (text: "Hall", choices: [
            (id: "knock", text: "Knock", to: "a", tags: ["loud"]),
            (id: "leave", text: "Leave", to: "b"),
        ]),
        "b": (text: "Out"),
    })"#;
    let mut live = Live::new("choice-index", story);
    live.edit(&story.replace(
        r#"(id: "knock", text: "Knock", to: "a", tags: ["loud"]),"#,
        r#"(id: "bang", text: "Bang", to: "b", tags: ["louder"]),
            (id: "wait", text: "Wait", to: "a", tags: ["quiet"]),"#,
    ));
    let story = live.host.story();
    let a = story.node_id("a").unwrap();
    let id = |name: &str| story.names().choices.lookup(name).unwrap();
    let tags = |name: &str| -> Vec<String> {
        story
            .choice_tags(a, id(name))
            .iter()
            .map(|t| t.to_string())
            .collect()
    };
    assert_eq!(tags("bang"), ["louder"]);
    assert_eq!(tags("wait"), ["quiet"]);
    assert_eq!(tags("knock"), Vec::<String>::new(), "removed");
    let b = story.node_id("b").unwrap();
    assert_eq!(story.choice_target(a, id("bang")).unwrap().to, Some(b));
    assert_eq!(story.choice_target(a, id("leave")).unwrap().to, Some(b));
    assert!(
        story.choice_target(b, id("leave")).is_none(),
        "another node's"
    );
}

#[test]
fn a_line_id_clash_with_an_unchanged_file_is_caught_on_reload() {
    // Every line id is plain at first; the reload reads only story.ron, whose new node's
    // dotted name is the line id of a choice in the file it did not read again.
    let story = r#"Story(title: "t", start: "b", include: ["part.ron"], nodes: {
        "b": (text: "B", choices: [(text: "on", to: "a")]),
    })"#;
    let dir = TempDir::new("line-clash");
    dir.write(
        "part.ron",
        r#"Include(nodes: { "a": (text: "A", choices: [(text: "go", to: "b")]) })"#,
    );
    dir.write("story.ron", story);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let edited = story.replace(
        r#""b": (text: "B","#,
        r#""a.b": (text: "X"), "b": (text: "B","#,
    );
    let path = dir.write("story.ron", &edited);
    let Err(LoadError::Invalid(d)) = host.reload(Some(&[path])).result else {
        panic!("the clash was not caught");
    };
    assert!(
        d.to_string()
            .contains("line id `a.b` is already the id of the text of node `a.b`"),
        "{d}"
    );
    // As a full load says it.
    let Err(LoadError::Invalid(full)) = qnce::load(dir.path(), &Limits::default()) else {
        panic!("a full load took the clash");
    };
    assert_eq!(d, full);
}

/// A running story and its reloader, without sessions.
type Reloading = (qnce::Story, qnce::reload::Reloader);

/// A story of `files` (name, text) in a new directory, loaded with its reloader.
fn live_files(tag: &str, files: &[(&str, &str)]) -> (TempDir, Reloading) {
    let dir = TempDir::new(tag);
    for (name, text) in files {
        dir.write(name, text);
    }
    let live = qnce::reload::Reloader::load(dir.path(), &Limits::default())
        .unwrap()
        .value;
    (dir, live)
}

/// Reloads `dir` after `file` is written as `text`, and checks the outcome against a load
/// from scratch: the same diagnostics, and when it loads, the same story. Returns the
/// report of a reload that loads.
fn reload_as_a_load_does(
    dir: &TempDir,
    (story, reloader): &mut Reloading,
    file: &str,
    text: &str,
) -> Option<ReloadReport> {
    let path = dir.write(file, text);
    let reloaded = reloader.reload(story, Some(&[path]));
    match (reloaded, qnce::load(dir.path(), &Limits::default())) {
        (Ok(report), Ok(full)) => {
            assert_eq!(report.warnings, full.warnings);
            assert_eq!(canonical(story), canonical(&full.value));
            Some(report)
        }
        (Err(LoadError::Invalid(d)), Err(LoadError::Invalid(full))) => {
            assert_eq!(d, full);
            None
        }
        (reloaded, full) => panic!("reload: {:?}\nload: {:?}", reloaded.err(), full.err()),
    }
}

const PART_B: &str = r#"Include(nodes: { "b": (text: "B", choices: [(text: "back", to: "a")]) })"#;

#[test]
fn warnings_of_files_a_reload_did_not_read_are_still_reported() {
    // The reload reads only part.ron; the unreachable node and the condition that can
    // never hold are in story.ron, and stay: the reload reports them as a load does.
    let main = r#"Story(title: "t", start: "a", include: ["part.ron"], nodes: {
        "a": (text: "A", choices: [(text: "on", to: "b"), (text: "never", to: "b", when: "1 > 2")]),
        "lost": (text: "Nobody comes here."),
    })"#;
    let (dir, mut live) = live_files(
        "kept-warnings",
        &[("story.ron", main), ("part.ron", PART_B)],
    );
    let edited = PART_B.replace("\"B\"", "\"Bee\"");
    let report = reload_as_a_load_does(&dir, &mut live, "part.ron", &edited).unwrap();
    let messages: Vec<&str> = report.warnings.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("`lost` is unreachable")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("can never hold")),
        "{messages:?}"
    );
    // Nothing new to show the author: both were there at the load.
    assert!(report.new_warnings.is_empty(), "{:?}", report.new_warnings);
}

#[test]
fn a_node_that_no_longer_compiles_loses_its_old_warnings() {
    let main = r#"Story(title: "t", start: "a", include: ["part.ron"], nodes: {
        "a": (text: "A", choices: [(text: "on", to: "x")]),
    })"#;
    let part =
        r#"Include(nodes: { "x": (text: "X", choices: [(text: "go", to: "a", when: "1 > 2")]) })"#;
    let (dir, mut live) = live_files("stale-warning", &[("story.ron", main), ("part.ron", part)]);
    // Its condition's warning is gone with the condition; the error is all there is.
    let broken = r#"Include(nodes: { "x": (text: "X", choices: [(text: "go", to: "nowhere")]) })"#;
    assert!(reload_as_a_load_does(&dir, &mut live, "part.ron", broken).is_none());
}

#[test]
fn an_endless_loop_is_told_from_the_node_declared_first_whatever_the_ids() {
    let main = r#"Story(title: "t", start: "b", include: ["part.ron"])"#;
    let part = r#"Include(nodes: {
        "b": (text: "B", choices: [(text: "go", to: "a")]),
        "a": (text: "A", choices: [(text: "back", to: "b")]),
    })"#;
    let (dir, mut live) = live_files("loop-order", &[("story.ron", main), ("part.ron", part)]);
    // `c` is new, so its id is the highest; it is declared first.
    let looped = r#"Include(nodes: {
        "c": (text: "C", next: "b"),
        "b": (text: "B", next: "c"),
        "a": (text: "A", choices: [(text: "back", to: "b")]),
    })"#;
    reload_as_a_load_does(&dir, &mut live, "part.ron", looped);
}

#[test]
fn files_reordered_by_a_failed_reload_are_not_taken_for_the_running_ones() {
    // A failed reload declares every file in its own order; reverting to the running
    // story's order must not leave the nodes of `b.ron` where `a.ron` is.
    let main = r#"Story(title: "t", start: "a1", include: ["a.ron", "b.ron", "c.ron"])"#;
    let c = r#"Include(nodes: { "c1": (text: "C", choices: [(text: "back", to: "a1")]) })"#;
    let files = [
        ("story.ron", main),
        (
            "a.ron",
            r#"Include(nodes: { "a1": (text: "A", choices: [(text: "on", to: "b1")]) })"#,
        ),
        (
            "b.ron",
            r#"Include(nodes: {
                "b1": (text: "B", choices: [(text: "on", to: "c1"), (text: "no", to: "b2", when: "1 > 2")]),
                "b2": (text: "B2"),
            })"#,
        ),
        ("c.ron", c),
    ];
    let (dir, mut live) = live_files("reordered", &files);
    let reordered = main
        .replace(r#"["a.ron", "b.ron""#, r#"["b.ron", "a.ron""#)
        .replace(r#"start: "a1""#, r#"start: "nowhere""#);
    assert!(reload_as_a_load_does(&dir, &mut live, "story.ron", &reordered).is_none());
    reload_as_a_load_does(&dir, &mut live, "story.ron", main);
    // A line id that meets a text of `b.ron` is caught.
    let clash = c.replace(
        r#""c1": (text: "C","#,
        r#""c2": (text: "D", line: "b2"), "c1": (text: "C","#,
    );
    assert!(reload_as_a_load_does(&dir, &mut live, "c.ron", &clash).is_none());
}

#[test]
fn a_reload_planned_and_not_applied_leaves_the_next_one_right() {
    // The tables a reload keeps go with the plan; a plan dropped leaves the next reload
    // to compile every node again, with the same outcome as a load.
    let main = r#"Story(title: "t", start: "a", include: ["part.ron"], nodes: {
        "a": (text: "A", choices: [(text: "on", to: "b")]),
    })"#;
    let (dir, mut live) = live_files("dropped-plan", &[("story.ron", main), ("part.ron", PART_B)]);
    let path = dir.write("part.ron", PART_B.replace("\"B\"", "\"Bee\""));
    let (story, reloader) = &mut live;
    drop(reloader.plan(story, Some(&[path])).unwrap());
    let more = r#"Include(nodes: { "b": (text: "Bo", choices: [(text: "back", to: "a")]), "c": (text: "C") })"#;
    reload_as_a_load_does(&dir, &mut live, "part.ron", more);
}

#[test]
fn added_node_is_spawned_and_reachable_at_once() {
    let mut live = played("add-node");
    let surplus = surplus_entities(&live);
    let report = live.edit(&with(
        r#""s": (text: "A side story."),"#,
        r#""s": (text: "A side story."),
        "d": (text: "A new place."),"#,
    ));
    assert_eq!(report.delta.nodes_added, vec![live.node("d")]);
    assert!(report.delta.nodes_changed.is_empty());
    assert_eq!(
        live.flagged(),
        vec![(
            "d".to_owned(),
            vec![
                NodeField::Text,
                NodeField::Choices,
                NodeField::Next,
                NodeField::Call,
                NodeField::Return,
                NodeField::OnEnter,
                NodeField::Tags,
                NodeField::Assets
            ]
        )]
    );
    assert_eq!(live.host.story().n_nodes(), 5);
    assert_eq!(surplus_entities(&live), surplus);
}

#[test]
fn removed_node_is_despawned_with_its_choices() {
    let mut live = played("remove-node");
    let c = live.node("c");
    let surplus = surplus_entities(&live);
    let report = live.edit(&with(r#"(text: "Walk", to: "c"),"#, "").replace(
        r#""c": (text: "A road.", choices: [(text: "Back", to: "a")]),"#,
        "",
    ));
    assert_eq!(report.delta.nodes_removed, vec![c]);
    assert!(live.host.story().node_id("c").is_none());
    assert_eq!(surplus_entities(&live), surplus);
    // A removed name means unchanged files may refer to it: everything was checked again.
    assert!(!report.partial);
}

#[test]
fn removing_the_current_node_moves_back_along_history_and_says_so() {
    let mut live = map_asset_story("remove-current");
    live.choose(2); // a -> c
    let (a, c) = (live.node("a"), live.node("c"));
    let gold_before = live
        .session()
        .var(live.host.story().var_id("gold").unwrap())
        .cloned();
    live.edit(&with(r#"(text: "Walk", to: "c"),"#, "").replace(
        r#""c": (text: "A road.", choices: [(text: "Back", to: "a")]),"#,
        "",
    ));
    let s = live.session();
    assert_eq!(s.current_node(), Some(a));
    let main = live.host.story().main_flow();
    assert!(matches!(
        s.events(),
        [Event::Relocated { flow, from, to }, Event::NodeShown { .. }]
            if *flow == main && *from == c && *to == a
    ));
    assert_eq!(s.text(), "You have 0 gold.");
    // Moving is not entering: no visit counted, history as it was.
    assert_eq!(s.visits(a), 1);
    assert_eq!(s.history(main).last(), Some(&c));
    assert_eq!(
        s.var(live.host.story().var_id("gold").unwrap()).cloned(),
        gold_before
    );
    // Undo leads back to `a` as before; redo would lead to the removed node and relocates.
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!(session.current_node(), Some(a));
    session.redo(story).unwrap();
    assert_eq!(session.current_node(), Some(a));
    assert!(matches!(session.events()[0], Event::Relocated { .. }));
}

#[test]
fn removing_the_current_flow_returns_to_main() {
    let mut live = map_asset_story("remove-flow");
    let side = live.host.story().flow_id("side").unwrap();
    {
        let (story, session) = live.host.play(live.player).unwrap();
        session.switch_flow(story, side).unwrap();
    }
    let report = live.edit(&with(r#"flows: { "side": "s" },"#, ""));
    assert_eq!(report.delta.flows_removed, vec![side]);
    let s = live.session();
    assert_eq!(s.current_flow(), live.host.story().main_flow());
    assert_eq!(s.text(), "You have 0 gold.");
    assert!(matches!(s.events()[0], Event::FlowSwitched { from, .. } if from == side));
}

#[test]
fn flows_added_and_restarted_are_reported() {
    let mut live = map_asset_story("flows");
    let report = live.edit(&with(
        r#"flows: { "side": "s" },"#,
        r#"flows: { "side": "c", "more": "b" },"#,
    ));
    let story = live.host.story();
    let (side, more) = (
        story.flow_id("side").unwrap(),
        story.flow_id("more").unwrap(),
    );
    assert_eq!(report.delta.flows_restarted, vec![side]);
    assert_eq!(report.delta.flows_added, vec![more]);
    assert_eq!(story.flow_start(side), story.node_id("c"));
    use qnce_core::story::components::{Flow, FlowStart};
    let flow_name = |f: &Flow| live.host.story().flow_name(f.id).to_owned();
    assert_eq!(
        flagged_of::<Flow, FlowStart>(&live, flow_name),
        ["more", "side"]
    );
    assert!(live.flagged().is_empty());
    assert_eq!(story.flow_ids(), [story.main_flow(), side, more]);
}

#[test]
fn variables_added_removed_changed_and_retyped() {
    let story = r#"Story(title: "t", start: "a",
        variables: { "gold": Int(0), "name": Str("Ann"), "lamp": Bool(false) },
        nodes: { "a": (text: "{name} has {gold}.", choices: [(text: "Dig", to: "a", set: ["gold += 5"])]) })"#;
    let mut live = Live::new("vars", story);
    live.choose(0);
    let gold = live.host.story().var_id("gold").unwrap();
    let name = live.host.story().var_id("name").unwrap();
    let lamp = live.host.story().var_id("lamp").unwrap();
    // gold: initial 0 -> 100 (kept at 5); name: Str -> Int (reset); lamp removed; hp added.
    let edited = r#"Story(title: "t", start: "a",
        variables: { "gold": Int(100), "name": Int(7), "hp": Int(3) },
        nodes: { "a": (text: "{name} has {gold}, hp {hp}.", choices: [(text: "Dig", to: "a", set: ["gold += 5"])]) })"#;
    let report = live.edit(edited);
    use qnce_core::story::components::{Initial, Variable};
    let var_name = |v: &Variable| live.host.story().var_name(v.id).to_owned();
    // `gold` and `name` were written; `hp` is new (a new entity counts as changed).
    assert_eq!(
        flagged_of::<Variable, Initial>(&live, var_name),
        ["gold", "hp", "name"]
    );
    let hp = live.host.story().var_id("hp").unwrap();
    let d = &report.delta;
    assert_eq!(
        (
            &d.vars_added[..],
            &d.vars_removed[..],
            &d.vars_initial[..],
            &d.vars_retyped[..]
        ),
        (&[hp][..], &[lamp][..], &[gold][..], &[name][..])
    );
    let s = live.session();
    assert_eq!(s.var(gold), Some(&Value::Int(5)));
    assert_eq!(s.var(name), Some(&Value::Int(7)));
    assert_eq!(s.var(hp), Some(&Value::Int(3)));
    assert_eq!(s.var(lamp), None);
    assert!(s.events().iter().any(|e| matches!(
        e,
        Event::VariableReset { var, old: Some(Value::Str(_)), new: Value::Int(7) } if *var == name
    )));
    assert_eq!(s.text(), "7 has 5, hp 3.");
    assert_eq!(live.host.story().var_initial(gold), Some(&Value::Int(100)));
    // Undo reverts `gold` but not the reset variable, whose old value has the old type.
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!(session.var(gold), Some(&Value::Int(0)));
    assert_eq!(session.var(name), Some(&Value::Int(7)));
}

#[test]
fn assets_added_removed_and_moved() {
    let mut live = map_asset_story("assets");
    live.dir.write("maps/old.txt", "old");
    live.dir.write("song.ogg", "la");
    let report = live.edit(&with(
        r#"assets: { "map": (path: "map.txt", kind: Text) },"#,
        r#"assets: { "map": (path: "maps/old.txt", kind: Text), "song": (path: "song.ogg", kind: Audio) },"#,
    ));
    let story = live.host.story();
    let (map, song) = (
        story.asset_id("map").unwrap(),
        story.asset_id("song").unwrap(),
    );
    assert_eq!(report.delta.assets_changed, vec![map]);
    assert_eq!(report.delta.assets_added, vec![song]);
    assert_eq!(
        story.asset(map).unwrap().path,
        std::path::Path::new("maps/old.txt")
    );
    let report = live.edit(BASE);
    assert_eq!(report.delta.assets_removed, vec![song]);
    assert!(live.host.story().asset_id("song").is_none());
}

#[test]
fn syntax_error_is_rejected_whole_and_the_fix_applies() {
    let mut live = played("syntax");
    let before = canonical(live.host.story());
    let text_before = live.session().text().to_owned();
    let broken = with(
        "You have {gold} gold.\", choices: [",
        "You have {gold} gold.\", choices: [[",
    );
    let error = live.edit_rejected(&broken);
    let line = broken
        .lines()
        .position(|l| l.contains("choices: [["))
        .unwrap()
        + 1;
    assert!(error.contains(&format!("story.ron:{line}:")), "{error}");
    assert_eq!(canonical(live.host.story()), before);
    assert_eq!(live.session().text(), text_before);
    let report = live.edit(&with("You have {gold} gold.", "Gold: {gold}."));
    assert_eq!(report.delta.nodes_changed.len(), 1);
    assert_eq!(live.session().text(), "Gold: 2.");
}

#[test]
fn dangling_target_and_type_errors_are_rejected_with_positions() {
    let mut live = played("dangling");
    let before = canonical(live.host.story());
    let line_of = |text: &str, what: &str| text.lines().position(|l| l.contains(what)).unwrap() + 1;
    let dangling = with(
        r#"(text: "Walk", to: "c")"#,
        r#"(text: "Walk", to: "nowhere")"#,
    );
    let error = live.edit_rejected(&dangling);
    let at = format!("story.ron:{}:", line_of(&dangling, "nowhere"));
    assert!(
        error.contains(&at) && error.contains("`nowhere`"),
        "{error}"
    );
    let mistyped = with(r#"set: ["gold += 1"]"#, r#"set: ["gold += \"x\""]"#);
    let error = live.edit_rejected(&mistyped);
    let at = format!("story.ron:{}:", line_of(&mistyped, "gold += "));
    assert!(error.contains(&at), "{error}");
    assert_eq!(canonical(live.host.story()), before);
    assert_eq!(
        live.session()
            .var(live.host.story().var_id("gold").unwrap()),
        Some(&Value::Int(2))
    );
}

#[test]
fn half_written_file_is_rejected_and_the_complete_write_applies() {
    let mut live = played("half");
    let full = with("You rest.", "You rest well.");
    let error = live.edit_rejected(&full[..full.len() / 2]);
    assert!(error.contains("story.ron:"), "{error}");
    let report = live.edit(&full);
    assert_eq!(
        Live::changed(&report, live.host.story()),
        vec![("b".to_owned(), vec![NodeField::Text])]
    );
}

/// Issue 14, class 8: buy, undo, rename the node the purchase's `next` led to, redo: the
/// session landed on the node with `next` and stayed there, neither advancing nor ended.
/// An advance cut short by undo or redo across a reload resumes like any other entry.
#[test]
fn a_redo_across_a_reload_resumes_the_advance_it_cut_short() {
    let shop = |done: &str| {
        format!(
            r#"Story(title: "Shop", start: "shop", variables: {{ "coins": Int(5) }},
            nodes: {{
                "shop": (text: "Coins: {{coins}}.", choices: [(text: "Buy", to: "paid", set: ["coins -= 2"])]),
                "paid": (text: "Paid.", next: "{done}"),
                "{done}": (text: "Done.", choices: [(text: "Again", to: "shop")]),
            }})"#
        )
    };
    let mut live = Live::new("redo-across-reload", &shop("done"));
    live.choose(0);
    assert_eq!(live.session().text(), "Done.");
    {
        let (story, session) = live.host.play(live.player).unwrap();
        session.undo(story).unwrap();
        assert_eq!(session.text(), "Coins: 5.");
    }
    live.edit(&shop("finished"));
    let (story, session) = live.host.play(live.player).unwrap();
    let events = session.redo(story).unwrap().to_vec();
    // The redo lands on `paid` (its `done` is gone), whose `next` now leads on.
    assert_eq!(session.text(), "Done.");
    assert_eq!(session.current_node(), story.node_id("finished"));
    assert!(!session.is_ended());
    assert_eq!(session.choices().count(), 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::NodeEntered { node, .. } if Some(*node) == story.node_id("finished"))),
        "{events:?}"
    );
    assert_eq!(
        session.var(story.var_id("coins").unwrap()),
        Some(&Value::Int(3))
    );
    session.choose(story, 0).unwrap();
    assert_eq!(session.text(), "Coins: 3.");
}

/// An undo whose every earlier step leads back only to nodes that play now passes by (an
/// edit gave them a `next`) undoes nothing, and keeps what can be redone.
#[test]
fn an_undo_with_no_place_left_to_choose_changes_nothing() {
    let shop = r#"Story(title: "S", start: "s", nodes: {
        "s": (text: "S", choices: [(text: "On", to: "b")]),
        "b": (text: "B", choices: [(text: "Back", to: "s")]),
    })"#;
    let mut live = Live::new("undo-nowhere", shop);
    live.choose(0);
    live.edit(&shop.replace(
        r#""s": (text: "S", choices: [(text: "On", to: "b")]),"#,
        r#""s": (text: "S", next: "b"),"#,
    ));
    let b = live.node("b");
    let (story, session) = live.host.play(live.player).unwrap();
    assert_eq!(session.current_node(), Some(b));
    assert_eq!(
        session.undo(story).unwrap_err(),
        RuntimeError::NothingToUndo
    );
    assert_eq!(session.current_node(), Some(b));
    assert_eq!(session.text(), "B");
    assert!(session.can_undo() && !session.can_redo());
}

/// Conditional text across a live edit: the current node shows the edited branch for the
/// session's state as it is, and the state stays.
#[test]
fn conditional_text_is_edited_live() {
    let story = |word: &str| {
        format!(
            r#"Story(title: "C", start: "a", variables: {{ "coins": Int(0) }}, nodes: {{
                "a": (text: "{{coins}} coin{{if coins != 1}}{word}{{end}}.", choices: [(text: "Add", to: "a", set: ["coins += 1"])]),
            }})"#
        )
    };
    let mut live = Live::new("conditional-live", &story("s"));
    assert_eq!(live.session().text(), "0 coins.");
    live.choose(0);
    assert_eq!(live.session().text(), "1 coin.");
    live.choose(0);
    live.edit(&story("s!"));
    assert_eq!(live.session().text(), "2 coins!.");
    assert_eq!(live.session().turns(), 2);
}

/// A variation keeps its count across a live edit while it stays the same variation (by
/// its place among its text's variations); a re-shown node does not advance it, and fewer
/// branches are read as the rule of its kind says (a sequence stays on its last).
#[test]
fn variations_keep_their_count_across_live_edits() {
    let story = |branches: &str| {
        format!(
            r#"Story(title: "V", start: "a", nodes: {{
                "a": (text: "{{cycle: tick | tock}} {{sequence: {branches}}}", choices: [(text: "Again", to: "a")]),
            }})"#
        )
    };
    let mut live = Live::new("variation-live", &story("one | two | three"));
    live.choose(0);
    live.choose(0);
    assert_eq!(live.session().text(), "tick three");
    live.edit(&story("uno | dos | tres | cuatro"));
    assert_eq!(live.session().text(), "tick tres");
    live.choose(0);
    assert_eq!(live.session().text(), "tock cuatro");
    live.edit(&story("A | B"));
    assert_eq!(live.session().text(), "tock B");
    live.choose(0);
    assert_eq!(live.session().text(), "tick B");
}

/// A choice whose id derives from its text (it shares its target) is renamed by an edit
/// of its text; its variation's count follows it.
#[test]
fn a_renamed_choice_keeps_its_variation_count() {
    let story = |word: &str| {
        format!(
            r#"Story(title: "R", start: "a", nodes: {{
                "a": (text: "A", choices: [
                    (text: "{{cycle: Wait | {word} | Stay}}", to: "a"),
                    (text: "Leave", to: "a"),
                ]),
            }})"#
        )
    };
    let mut live = Live::new("renamed-choice-variation", &story("Linger"));
    live.choose(0);
    assert_eq!(live.choices()[0], "Linger");
    live.edit(&story("Dawdle"));
    assert_eq!(live.choices()[0], "Dawdle");
    live.choose(0);
    assert_eq!(live.choices()[0], "Stay");
}

/// Commands declared and called by a live edit work at once; removing one that an
/// unchanged file still calls is rejected (the unchanged file is checked again).
#[test]
fn commands_are_declared_and_called_live() {
    let main = |commands: &str| {
        format!(
            r#"Story(title: "C", start: "a", include: ["more.ron"], commands: {{ {commands} }}, nodes: {{
                "a": (text: "A", choices: [(text: "On", to: "b", set: ["ring(1)"])]),
            }})"#
        )
    };
    let declared = main(r#""ring": (params: [("times", Int)])"#);
    // First without the include, `b` in the main file; then `b` moves to an include.
    let mut live = Live::new(
        "commands-live",
        &declared
            .replace(r#"include: ["more.ron"], "#, "")
            .replace("nodes: {", r#"nodes: { "b": (text: "B"),"#),
    );
    live.dir.write(
        "more.ron",
        r#"Include(nodes: { "b": (text: "B", on_enter: ["ring(2)"], choices: [(text: "Back", to: "a")]) })"#,
    );
    live.edit(&declared);
    live.choose(0);
    let rings: Vec<_> = live
        .session()
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Command { args, .. } => Some(live.session().command_args(*args).to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(rings, [vec![Value::Int(1)], vec![Value::Int(2)]]);
    // `ring` gone while more.ron still rings: rejected, at more.ron's call.
    let error = live.edit_rejected(&main("").replace(r#"set: ["ring(1)"]"#, "set: []"));
    assert!(error.contains("more.ron:1:"), "{error}");
    assert!(
        error.contains("`ring` is not a command the story declares"),
        "{error}"
    );
}

/// Functions declared by a live edit answer at once; an edit of a fallback alone applies
/// (the nodes that call it are kept as compiled); removing a function that an unchanged
/// file still calls is rejected.
#[test]
fn functions_are_declared_and_their_fallbacks_edited_live() {
    let main = |functions: &str, when: &str| {
        format!(
            r#"Story(title: "F", start: "a", include: ["more.ron"], functions: {{ {functions} }}, nodes: {{
                "a": (text: "A", choices: [(text: "Lamp", to: "b", when: "{when}"), (text: "Wait", to: "a")]),
            }})"#
        )
    };
    let lamp = |item: &str| {
        format!(r#""has": (params: [("item", Str)], returns: Bool, fallback: "item == '{item}'")"#)
    };
    let mut live = Live::new(
        "functions-live",
        &main("", "true")
            .replace(r#"include: ["more.ron"], "#, "")
            .replace("nodes: {", r#"nodes: { "b": (text: "B"),"#),
    );
    assert_eq!(live.choices(), ["Lamp", "Wait"]);
    live.dir.write(
        "more.ron",
        r#"Include(nodes: { "b": (text: "B{has('lamp') ? '!' : '?'}", choices: [(text: "Back", to: "a")]) })"#,
    );
    live.edit(&main(&lamp("lamp"), "has('lamp')"));
    assert_eq!(live.choices(), ["Lamp", "Wait"]);
    live.edit(&main(&lamp("key"), "has('lamp')"));
    assert_eq!(live.choices(), ["Wait"]);
    live.edit(&main(&lamp("lamp"), "has('lamp')"));
    live.choose(0);
    assert_eq!(live.session().text(), "B!");
    // `has` gone while more.ron still calls it: rejected, at more.ron's call.
    let error = live.edit_rejected(&main("", "true"));
    assert!(error.contains("more.ron:1:"), "{error}");
    assert!(error.contains("unknown function `has`"), "{error}");
}

/// The call stack survives live edits; a return target an edit removes is replaced, with
/// an event saying so.
#[test]
fn calls_survive_live_edits_and_a_removed_return_target_relocates() {
    let story = |gate: &str, to: &str| {
        format!(
            r#"Story(title: "C", start: "square", nodes: {{
                "square": (text: "Square", choices: [(text: "Ask", call: "talk"{to})]),
                "talk": (text: "Talk", choices: [(text: "Done", to: "done")]),
                "done": (text: "Done.", return: true),
                {gate}
            }})"#
        )
    };
    let gate = r#""gate": (text: "Gate"),"#;
    let mut live = Live::new("calls-live", &story(gate, r#", to: "gate""#));
    live.choose(0);
    assert_eq!(live.session().call_depth(), 1);
    live.edit(&story(gate, r#", to: "gate""#).replace("\"Talk\"", "\"Talk more\""));
    assert_eq!(
        (live.session().text(), live.session().call_depth()),
        ("Talk more", 1)
    );
    live.edit(&story("", ""));
    let square = live.node("square");
    let relocated: Vec<_> = live
        .session()
        .events()
        .iter()
        .filter(|e| matches!(e, Event::ReturnRelocated { to, .. } if *to == square))
        .collect();
    assert_eq!(relocated.len(), 1, "{:?}", live.session().events());
    // The choice's `to` is gone: the call goes back to its caller, shown again.
    live.choose(0);
    assert_eq!(live.session().text(), "Square");
    assert_eq!(live.session().visits(square), 1);
}

/// Text written over several lines, single-quoted strings and `turns_since` arrive by a
/// live edit and read the state play built before it: the entries' turns survive.
#[test]
fn multi_line_text_quotes_and_turns_since_arrive_live() {
    let story = |a_text: &str, when: &str| {
        format!(
            r##"Story(title: "M", start: "a", nodes: {{
                "a": (text: {a_text}, choices: [(text: "On", to: "b"), (text: "Back", to: "b", when: "{when}")]),
                "b": (text: "B", choices: [(text: "Back", to: "a")]),
            }})"##
        )
    };
    let mut live = Live::new("multi-line-live", &story("\"A\"", "false"));
    live.choose(0);
    live.choose(0);
    live.choose(0);
    live.choose(0);
    assert_eq!(live.session().text(), "A");
    let edited = story(
        "r#\"\n                    Back at {'a'}.\n                      B was {turns_since('b')} turn(s) ago.\n                \"#",
        "visits('b') > 1",
    );
    live.edit(&edited);
    assert_eq!(live.session().text(), "Back at a.\n  B was 1 turn(s) ago.");
    assert_eq!(live.choices(), ["On", "Back"]);
}

/// An edit that removes the node a flow is at inside a call moves the flow back before
/// the call, and the call is over; an edit that moves a node call's `next` makes the
/// return go to the new `next`, not into the call again; the repair is recorded in the
/// undo log, so undo and redo do not report it again.
#[test]
fn edits_inside_calls_keep_the_stack_true() {
    let story = |talk: &str, next: &str| {
        format!(
            r#"Story(title: "C", start: "square", nodes: {{
                "square": (text: "Square", choices: [(text: "Ask", call: "talk"), (text: "Crier", to: "crier")]),
                {talk}
                "done": (text: "Done.", return: true),
                "crier": (text: "Crier", call: "bark", next: "{next}"),
                "bark": (text: "Bark", choices: [(text: "Hm", to: "bark_end")]),
                "bark_end": (text: "Bark end", return: true),
                "gate": (text: "Gate", choices: [(text: "Back", to: "square")]),
                "wall": (text: "Wall", choices: [(text: "Back", to: "square")]),
            }})"#
        )
    };
    let talk = r#""talk": (text: "Talk", choices: [(text: "Done", to: "done")]),"#;
    let mut live = Live::new("calls-edits", &story(talk, "gate"));
    live.choose(0);
    assert_eq!(live.session().call_depth(), 1);
    // `talk` removed (and the choice that called it): back at the square, no call.
    live.edit(&story("", "gate").replace(r#"(text: "Ask", call: "talk"), "#, ""));
    assert_eq!(
        (live.session().text(), live.session().call_depth()),
        ("Square", 0)
    );

    // Into the crier's call; `next` moves from `gate` to `wall` and `gate` goes.
    live.choose(0);
    assert_eq!(
        (live.session().text(), live.session().call_depth()),
        ("Bark", 1)
    );
    let no_gate = |s: String| {
        s.replace(
            r#""gate": (text: "Gate", choices: [(text: "Back", to: "square")]),"#,
            "",
        )
    };
    live.edit(&no_gate(
        story("", "wall").replace(r#"(text: "Ask", call: "talk"), "#, ""),
    ));
    let relocated = live
        .session()
        .events()
        .iter()
        .filter(|e| matches!(e, Event::ReturnRelocated { .. }))
        .count();
    assert_eq!(relocated, 1);
    let crier = live.node("crier");
    live.choose(0);
    assert_eq!(
        (live.session().text(), live.session().call_depth()),
        ("Wall", 0)
    );
    assert_eq!(live.session().visits(crier), 1);
    // Undo and redo go through the repaired call without repairing it again.
    let (story, session) = live.host.play(live.player).unwrap();
    session.undo(story).unwrap();
    assert_eq!((session.text(), session.call_depth()), ("Bark", 1));
    assert!(
        !session
            .events()
            .iter()
            .any(|e| matches!(e, Event::ReturnRelocated { .. }))
    );
    session.redo(story).unwrap();
    assert_eq!(session.text(), "Wall");
    assert!(
        !session
            .events()
            .iter()
            .any(|e| matches!(e, Event::ReturnRelocated { .. }))
    );
}

/// A live edit reports each warning it brings once: a node made unreachable is a new
/// warning at the edit that made it so, and not again at the next edit, while the line
/// and JSON runners print what the report gives.
#[test]
fn a_live_edit_reports_each_new_warning_once() {
    let story = r#"Story(title: "W", start: "a", nodes: {
        "a": (text: "A", choices: [(text: "On", to: "b")]),
        "b": (text: "B"),
    })"#;
    let mut live = Live::new("reload-warnings", story);
    let lonely = story.replace(
        r#""b": (text: "B"),"#,
        r#""b": (text: "B"), "c": (text: "C"),"#,
    );
    let report = live.edit(&lonely);
    let new: Vec<String> = report
        .new_warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("node `c` is unreachable"), "{new:?}");
    // An edit of the graph: reachability is checked again, and `c` is still out of reach.
    let again = lonely.replace(
        r#""b": (text: "B"),"#,
        r#""b": (text: "B", choices: [(text: "Back", to: "a")]),"#,
    );
    let report = live.edit(&again);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("node `c` is unreachable")),
        "{}",
        report.warnings
    );
    assert!(
        report.new_warnings.is_empty(),
        "seen already: {}",
        report.new_warnings
    );
}

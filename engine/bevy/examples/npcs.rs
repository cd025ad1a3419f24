//! Two NPCs in a headless Bevy app talk through the market example story: each has its
//! own session; a "UI" system ordered after qnce's prints their lines and picks their
//! first option. Edit `stories/market/story.ron` while it runs and the next line shows
//! the edit. Run: `cargo run -p qnce-bevy --example npcs`.
#![expect(clippy::print_stdout, reason = "the example's UI is the terminal")]

use std::time::Duration;

use bevy_app::{App, Update};
use bevy_ecs::prelude::*;
use qnce::SessionConfig;
use qnce_bevy::{
    Dialogue, DialogueCommand, DialogueEnded, DialogueLine, DialogueOptions, QncePlugin,
    QnceSystems, SelectOption, StoryReloaded,
};

/// Who is speaking.
#[derive(Component)]
struct Name(&'static str);

fn main() {
    let story = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stories/market");
    let mut app = App::new();
    app.add_plugins(QncePlugin::new(story))
        .add_systems(Update, show_and_answer.after(QnceSystems::Play));
    app.world_mut()
        .spawn((Name("Ada"), Dialogue::new(SessionConfig::with_seed(1))));
    app.world_mut()
        .spawn((Name("Bo"), Dialogue::new(SessionConfig::with_seed(2))));
    for _ in 0..8 {
        app.update();
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The game's side: print what the dialogues say, and answer each with its first option.
fn show_and_answer(
    names: Query<&Name>,
    mut lines: MessageReader<DialogueLine>,
    mut options: MessageReader<DialogueOptions>,
    mut commands: MessageReader<DialogueCommand>,
    mut ended: MessageReader<DialogueEnded>,
    mut reloaded: MessageReader<StoryReloaded>,
    mut select: MessageWriter<SelectOption>,
) {
    let who = |e: Entity| names.get(e).map_or("?", |n| n.0);
    for r in reloaded.read() {
        println!("[story reloaded: ok {}, {:?}]", r.ok, r.errors);
    }
    for c in commands.read() {
        println!("{}: [{}{:?}]", who(c.entity), c.name, c.args);
    }
    for line in lines.read() {
        println!("{}: {}", who(line.entity), line.text);
    }
    for e in ended.read() {
        println!("{}: (the end, at {})", who(e.entity), e.node);
    }
    for o in options.read() {
        if let Some(first) = o.options.first() {
            println!("{} chooses: {}", who(o.entity), first.text);
            select.write(SelectOption {
                entity: o.entity,
                index: first.index,
            });
        }
    }
}

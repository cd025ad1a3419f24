//! What [`Host::attach`](super::Host::attach) connects: telemetry and the asset cache of
//! the engine's services (feature `services`). Without the feature, [`Attached`] has no
//! value, so a host is never attached and these calls cannot happen.

#[cfg(feature = "services")]
use std::time::Instant;

use qnce_core::runtime::{Event, Session};
use qnce_core::story::Story;
use qnce_load::LoadError;
#[cfg(feature = "services")]
use qnce_services::assets::{Assets, NodeAssetsReady};
#[cfg(feature = "services")]
use qnce_services::telemetry::{self, Telemetry};

use super::ReloadReport;
use crate::watch::Batch;

/// The services a host reports to and preloads through, and each session's current
/// node's assets as last looked up (by session index).
#[cfg(feature = "services")]
#[derive(Debug)]
pub(super) struct Attached {
    pub(super) telemetry: Telemetry,
    assets: Assets,
    pub(super) ready: Vec<NodeAssetsReady>,
}

/// Without the `services` feature a host cannot be attached: no value of this type exists.
#[cfg(not(feature = "services"))]
#[derive(Debug)]
pub(super) enum Attached {}

#[cfg(feature = "services")]
impl Attached {
    pub(super) fn new(services: &qnce_services::Services) -> Attached {
        Attached {
            telemetry: services.telemetry.clone(),
            assets: services.assets.clone(),
            ready: Vec::new(),
        }
    }

    pub(super) fn session_started(&self, story: &Story, session: &Session) {
        self.telemetry.record(telemetry::Event::SessionStarted {
            story: story.title().to_owned(),
            seed: session.seed(),
        });
    }

    /// Reports a session's last call; whether it moved the session to another node.
    pub(super) fn report_events(&self, story: &Story, events: &[Event]) -> bool {
        let mut moved = false;
        for event in events {
            match *event {
                Event::NodeEntered { flow, node, .. } => {
                    moved = true;
                    self.telemetry.record(telemetry::Event::NodeEntered {
                        flow: story.flow_name(flow).to_owned(),
                        node: story.node_name(node).to_owned(),
                    });
                }
                Event::ChoiceMade {
                    flow, node, choice, ..
                } => self.telemetry.record(telemetry::Event::ChoiceMade {
                    flow: story.flow_name(flow).to_owned(),
                    node: story.node_name(node).to_owned(),
                    choice: story.choice_name(choice).to_owned(),
                }),
                Event::NodeShown { .. } | Event::Relocated { .. } => moved = true,
                _ => {}
            }
        }
        moved
    }

    /// Looks up the assets of session `index`'s current node and preloads those ahead.
    pub(super) fn look_ahead(&mut self, story: &Story, index: usize, session: &Session) {
        let now = Instant::now();
        if self.ready.len() <= index {
            self.ready.resize_with(index + 1, NodeAssetsReady::default);
        }
        if let Some(node) = session.current_node() {
            self.ready[index] = self.assets.node(story, node, now);
        }
        self.assets.preload_ahead(story, session, now);
    }

    pub(super) fn reloaded(&self, result: &Result<ReloadReport, LoadError>) {
        self.telemetry.record(reload_event(result));
    }

    /// Drops the changed asset files of `batch` from the cache and loads them again for
    /// the sessions near them (without counting a lookup: no node was shown).
    pub(super) fn files_changed<'a>(
        &self,
        story: &Story,
        sessions: impl Iterator<Item = &'a Session>,
        batch: &Batch,
    ) {
        // Events were lost: any asset file may have changed.
        if batch.rescan {
            self.assets.invalidate_all();
        }
        if batch.rescan || self.assets.invalidate(&batch.paths) > 0 {
            let now = Instant::now();
            for session in sessions {
                self.assets.preload_ahead(story, session, now);
            }
        }
    }
}

#[cfg(not(feature = "services"))]
impl Attached {
    pub(super) fn session_started(&self, _: &Story, _: &Session) {
        match *self {}
    }

    pub(super) fn report_events(&self, _: &Story, _: &[Event]) -> bool {
        match *self {}
    }

    pub(super) fn look_ahead(&mut self, _: &Story, _: usize, _: &Session) {
        match *self {}
    }

    pub(super) fn reloaded(&self, _: &Result<ReloadReport, LoadError>) {
        match *self {}
    }

    pub(super) fn files_changed<'a>(
        &self,
        _: &Story,
        _: impl Iterator<Item = &'a Session>,
        _: &Batch,
    ) {
        match *self {}
    }
}

#[cfg(feature = "services")]
fn reload_event(result: &Result<ReloadReport, LoadError>) -> telemetry::Event {
    match result {
        Ok(report) => {
            let delta = &report.delta;
            telemetry::Event::ReloadSucceeded {
                nodes_changed: delta.nodes_added.len()
                    + delta.nodes_removed.len()
                    + delta.nodes_changed.len(),
                micros: u64::try_from(report.timings.total().as_micros()).unwrap_or(u64::MAX),
            }
        }
        Err(LoadError::Invalid(diagnostics)) => telemetry::Event::ReloadFailed {
            errors: diagnostics.n_errors(),
            first: diagnostics
                .iter()
                .find(|d| d.is_error())
                .map_or_else(String::new, ToString::to_string),
        },
        Err(e) => telemetry::Event::ReloadFailed {
            errors: 1,
            first: e.to_string(),
        },
    }
}

//! Shared by the benches and the tests: a seeded generator of large stories.
//!
//! [`generate::write_story`] writes a story of N nodes split over F include files, with
//! variables interpolated in text, two to four choices per node (some conditional, some with
//! effects) and a few endings, so that loading, stepping and reloading can be measured on
//! something the size of a real game.

pub mod generate;

/// A memory figure of this process from `/proc/self/status` (such as `VmRSS` or `VmHWM`),
/// in KiB; 0 where the file or the field is missing (not Linux).
pub fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.split(':').next() == Some(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// A seeded random walk through a story: each step takes a random available choice, and
/// an ending starts a new game (its seed drawn from the walk). What the step benches time.
#[derive(Debug)]
pub struct Walk {
    session: qnce::Session,
    rng: qnce::runtime::Rng,
}

impl Walk {
    /// A walk from the story's start, with `seed` for both the first game and the walk.
    ///
    /// # Errors
    /// When a session cannot start.
    pub fn new(story: &qnce::Story, seed: u64) -> Result<Walk, qnce::RuntimeError> {
        Ok(Walk {
            session: qnce::Session::new(story, qnce::SessionConfig::with_seed(seed))?,
            rng: qnce::runtime::Rng::new(seed.wrapping_add(6)),
        })
    }

    /// One step; how many events it gave (0 for a restart).
    ///
    /// # Errors
    /// A step or a restart that fails.
    pub fn step(&mut self, story: &qnce::Story) -> Result<usize, qnce::RuntimeError> {
        if self.session.is_ended() {
            let seed = self.rng.next_u64();
            self.session = qnce::Session::new(story, qnce::SessionConfig::with_seed(seed))?;
            return Ok(0);
        }
        let pick = self.rng.range(0, self.session.n_choices() as i64 - 1) as usize;
        Ok(self.session.choose(story, pick)?.len())
    }
}

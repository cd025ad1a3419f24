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

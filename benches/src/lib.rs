//! Shared by the benches and the tests: a seeded generator of large stories.
//!
//! [`generate::write_story`] writes a story of N nodes split over F include files, with
//! variables interpolated in text, two to four choices per node (some conditional, some with
//! effects) and a few endings, so that loading, stepping and reloading can be measured on
//! something the size of a real game.

pub mod generate;

//! Functions the game provides to a story: bound by name before a session starts, called
//! from the story's expressions.

use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::value::Value;

/// A game's implementation of a function the story declares. It receives the arguments
/// with the declared parameters' types (an `Int` passed for a `Float` parameter arrives
/// as a `Float`) and returns a value of the declared return type; any other type is a
/// run-time error naming the function.
pub type HostFn = Arc<dyn Fn(&[Value]) -> Value + Send + Sync>;

/// The functions a game binds for a session, by the names the story declares them under.
///
/// A declared function the game does not bind answers with its `fallback`; a declared
/// function with neither keeps the session from starting
/// ([`RuntimeError::UnboundFunction`](super::RuntimeError::UnboundFunction)).
///
/// # Examples
/// ```
/// use qnce_core::{HostFunctions, Value};
///
/// let mut functions = HostFunctions::default();
/// functions.bind("has_item", |args: &[Value]| {
///     Value::Bool(matches!(&args[0], Value::Str(item) if &**item == "lamp"))
/// });
/// assert!(functions.contains("has_item"));
/// ```
#[derive(Clone, Default)]
pub struct HostFunctions {
    by_name: FxHashMap<Arc<str>, HostFn>,
}

impl HostFunctions {
    /// Binds `f` as the function the story declares as `name`, replacing an earlier
    /// binding. Binding a name the story does not declare does nothing at play.
    pub fn bind(
        &mut self,
        name: &str,
        f: impl Fn(&[Value]) -> Value + Send + Sync + 'static,
    ) -> &mut Self {
        self.by_name.insert(name.into(), Arc::new(f));
        self
    }

    /// Whether `name` is bound.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The binding of `name`.
    pub fn get(&self, name: &str) -> Option<&HostFn> {
        self.by_name.get(name)
    }

    /// The bound names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(|k| &**k)
    }
}

impl fmt::Debug for HostFunctions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_set().entries(names).finish()
    }
}

/// Two tables are equal when they bind the same names to the same closures.
impl PartialEq for HostFunctions {
    fn eq(&self, other: &Self) -> bool {
        self.by_name.len() == other.by_name.len()
            && self
                .by_name
                .iter()
                .all(|(k, f)| other.by_name.get(k).is_some_and(|g| Arc::ptr_eq(f, g)))
    }
}

impl Eq for HostFunctions {}

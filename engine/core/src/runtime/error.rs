//! Errors of session calls.

use crate::expr::EvalError;
use crate::ids::ChoiceId;

/// Which expression of a node failed to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorSite {
    /// The node's text.
    Text,
    /// The text of one of its choices.
    ChoiceText(ChoiceId),
    /// A choice's condition (`when`).
    Condition(ChoiceId),
    /// Entry `index` of a choice's effects (`set`).
    ChoiceEffect(ChoiceId, usize),
    /// Entry `index` of the node's `on_enter`.
    OnEnter(usize),
}

/// Why a session call failed. A failed call changes nothing.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The chosen index is not among the displayed choices.
    #[error("node `{node}` shows {n_choices} choice(s); there is no choice {number}")]
    NoSuchChoice {
        /// The current node.
        node: String,
        /// The 1-based choice number asked for.
        number: usize,
        /// How many choices are displayed.
        n_choices: usize,
    },
    /// The current flow has ended.
    #[error("the flow has ended at `{node}`")]
    Ended {
        /// The ending node.
        node: String,
    },
    /// Automatic advances went on longer than the configured limit.
    #[error(
        "more than {limit} automatic advances in a row, last at `{node}` (a loop of `next` or fallback choices?)"
    )]
    ChainTooLong {
        /// The node reached when the limit was hit.
        node: String,
        /// The limit.
        limit: usize,
    },
    /// Evaluating an expression failed.
    #[error("in node `{node}`, {what}: {source}")]
    Eval {
        /// The node being played.
        node: String,
        /// Which expression: text, a condition, an effect, in words.
        what: String,
        /// Which expression, for tools to locate it (`qnce::error_location`).
        site: ErrorSite,
        /// What went wrong.
        source: EvalError,
    },
    /// Calls nested deeper than the session allows.
    #[error(
        "in node `{node}`: calls nested deeper than the limit of {limit} (a call that never returns, or calls itself?)"
    )]
    CallTooDeep {
        /// The node whose call passed the limit.
        node: String,
        /// The limit (`SessionConfig::max_call_depth`).
        limit: usize,
    },
    /// Play reached a `return: true` node with no call to return from.
    #[error("node `{node}` returns (`return: true`), but it was not reached by a `call`")]
    ReturnOutsideCall {
        /// The returning node.
        node: String,
    },
    /// The story has no node the session needs.
    #[error("the story has no node `{0}`")]
    MissingNode(String),
    /// The story has no such flow.
    #[error("the story has no flow `{0}`")]
    UnknownFlow(String),
    /// The story has no such variable.
    #[error("the story has no variable `{0}`")]
    UnknownVariable(String),
    /// A host tried to set a variable to a value of another type.
    #[error("variable `{name}` is {expected}, not {found}")]
    VariableType {
        /// The variable.
        name: String,
        /// Its declared type.
        expected: crate::Type,
        /// The type offered.
        found: crate::Type,
    },
    /// A host tried to set a string variable to a string longer than the session allows.
    #[error("variable `{name}`: the string is longer than the limit of {limit} bytes")]
    StringTooLong {
        /// The variable.
        name: String,
        /// The limit, in bytes (`SessionConfig::max_string_len`).
        limit: usize,
    },
    /// The story declares a function that the game did not bind and that has no
    /// `fallback`.
    #[error(
        "function `{name}` (declared at {declared_at}) has no `fallback` and the game does not provide it"
    )]
    UnboundFunction {
        /// The function.
        name: String,
        /// Where it is declared, `path:line:col`.
        declared_at: String,
    },
    /// The story was edited since the session last caught up with it: the session must
    /// be brought along first ([`Session::catch_up`](crate::Session::catch_up)).
    #[error(
        "the story was edited since this session last caught up ({behind} edit(s) behind): call `Session::catch_up` first"
    )]
    StaleSession {
        /// How many edits the session missed.
        behind: u64,
    },
    /// The session was played against another story than the one it started with.
    #[error("this session belongs to another story")]
    OtherStory,
    /// The game bound a function the story does not declare.
    #[error("the game binds function `{0}`, which the story does not declare under `functions`")]
    UnknownFunction(String),
    /// There is no step to undo.
    #[error("nothing to undo")]
    NothingToUndo,
    /// There is no step to redo.
    #[error("nothing to redo")]
    NothingToRedo,
}

impl RuntimeError {
    /// The node the error is about, when it names one: where a runner can point.
    pub fn node(&self) -> Option<&str> {
        match self {
            RuntimeError::NoSuchChoice { node, .. }
            | RuntimeError::Ended { node }
            | RuntimeError::ChainTooLong { node, .. }
            | RuntimeError::Eval { node, .. }
            | RuntimeError::CallTooDeep { node, .. }
            | RuntimeError::ReturnOutsideCall { node }
            | RuntimeError::MissingNode(node) => Some(node),
            _ => None,
        }
    }
}

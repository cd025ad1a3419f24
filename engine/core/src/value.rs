//! Values of story variables and expressions, and their types.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A typed value: what a variable holds and what an expression yields.
///
/// Written in RON as `Int(3)`, `Float(0.5)`, `Bool(true)` or `Str("text")`. Strings are
/// reference-counted so that copying a value never allocates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An immutable string.
    Str(Arc<str>),
}

/// The type of a [`Value`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// [`Value::Int`].
    Int,
    /// [`Value::Float`].
    Float,
    /// [`Value::Bool`].
    Bool,
    /// [`Value::Str`].
    Str,
}

impl Value {
    /// The type of this value.
    pub fn ty(&self) -> Type {
        match self {
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::Str(_) => Type::Str,
        }
    }

    /// Converts the value to the given type where that is lossless or a widening
    /// (`Int` to `Float`); `None` otherwise.
    pub fn coerce(self, ty: Type) -> Option<Value> {
        match (self, ty) {
            (Value::Int(i), Type::Float) => Some(Value::Float(i as f64)),
            (v, ty) if v.ty() == ty => Some(v),
            _ => None,
        }
    }

    /// The integer, for an `Int`.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number, for a `Float` or an `Int`.
    pub fn as_float(&self) -> Option<f64> {
        match *self {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The boolean, for a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The string, for a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A Rust type a [`Value`] converts to, for typed reads of story variables
/// ([`Session::get`](crate::Session::get)): `i64`, `f64` (from a `Float` or an `Int`),
/// `bool`, `String`, `Arc<str>`, and `Value` itself.
pub trait FromValue: Sized {
    /// The value as `Self`, or `None` for a value of another type.
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_int()
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_float()
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}

impl FromValue for Arc<str> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Str(s) => Some(Arc::clone(s)),
            _ => None,
        }
    }
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}

impl Value {
    /// Appends the value as [`fmt::Display`] writes it; integers, the common case in
    /// story text, without the formatting machinery (this runs at every rendered step).
    pub fn write_to(&self, out: &mut String) {
        match self {
            Value::Int(v) => push_int(out, *v),
            Value::Str(v) => out.push_str(v),
            Value::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
            Value::Float(v) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{v}");
            }
        }
    }
}

/// Appends `n` in decimal, as `{n}` would.
fn push_int(out: &mut String, n: i64) {
    // 20 digits hold u64::MAX, which is |i64::MIN|.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

impl fmt::Display for Value {
    /// Formats the value as it appears when interpolated into story text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Int => "Int",
            Type::Float => "Float",
            Type::Bool => "Bool",
            Type::Str => "Str",
        })
    }
}

impl Type {
    /// Whether values of this type take part in arithmetic.
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn write_to_matches_display() {
        let ints = [0, 7, -7, 10, 99, -100, 1_234_567_890, i64::MAX, i64::MIN].map(Value::Int);
        let others = [
            Value::Float(0.25),
            Value::Float(-3.0),
            Value::Bool(true),
            Value::Bool(false),
            Value::Str("abc".into()),
        ];
        for value in ints.into_iter().chain(others) {
            let mut out = String::from(">");
            value.write_to(&mut out);
            assert_eq!(out, format!(">{value}"));
        }
    }
}

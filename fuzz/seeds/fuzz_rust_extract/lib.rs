//! Core library of the fixture workspace.
#![allow(dead_code)]

pub mod shapes;
mod geometry;
#[path = "extra/custom.rs"]
pub(crate) mod custom;

pub use geometry::point::{Point, Point as P2};
use std::fmt::{self, Display};

/// A thing that has an area.
pub trait Area {
    /// The area.
    fn area(&self) -> f64;
    /// Output unit.
    type Unit;
    const SIDES: u32 = 0;
    fn describe(&self) -> String {
        format!("{}", self.area())
    }
}

/** A generic wrapper. */
#[derive(Debug, Clone)]
pub struct Wrapper<T: Clone> {
    pub inner: T,
    count: usize,
}

impl<T: Clone> Wrapper<T> {
    pub fn new(inner: T) -> Self {
        Wrapper { inner, count: 0 }
    }
    fn bump(&mut self) {
        self.count += 1;
    }
}

impl<T: Clone> Display for Wrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wrapper")
    }
}

#[doc = "Tuple struct with a doc attribute."]
pub struct Meters(pub f64);

pub union Bits {
    pub i: u32,
    pub f: f32,
}

pub enum Token {
    Ident(String),
    Number { value: i64 },
    #[cfg(feature = "eof")]
    Eof,
}

pub const LIMIT: usize = 10;
pub static NAME: &str = "core";
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug)]
pub struct Error;

#[cfg(unix)]
pub fn platform() -> &'static str {
    "unix"
}

#[cfg(windows)]
pub fn platform() -> &'static str {
    "windows"
}

/// Squares a number.
#[macro_export]
macro_rules! square {
    ($x:expr) => {
        $x * $x
    };
}

pub fn outer() -> usize {
    struct Local;
    fn helper() -> usize {
        1
    }
    impl Local {
        fn go(&self) -> usize {
            helper()
        }
    }
    Local.go()
}

pub mod inline {
    //! An inline module.
    pub mod nested {
        pub fn deep() {}
    }
    mod outfile;
    pub(super) fn sibling() {}
    pub(in crate::inline) fn restricted() {}
}

extern "C" {
    fn c_abs(x: i32) -> i32;
}

extern crate alloc as my_alloc;

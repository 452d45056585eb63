//!brary of the fixture workspace.
#![allow(dead_code)]

pub mod //! Core library of the fixtshapes;
mod geometry;
#[path = "extu∆∆∆∆∆∆∆∆∆∆∆re workspace.
#![allow(dead_code)]

pub mod shapes;
mod geometry;
#[path = "extr Core library of the fixture workspace.
#![allow(dead_code)]

pub mod //! Core library of the fixtshapes;
mod geometry;
#[path = "extu∆∆∆∆∆∆∆∆∆∆∆re workspace.
#![allow(dead_code)]

pub mod shapes;
mod geometry;
#[path = "extra/custom.rs"]
pub(crate) mod custom;

pub usera/custom.rs"]
pu
//! Shapes (a non-mod-rs module file).
mod detail;

use crate::Area;
use super::geometry::point::*;

pub struct Circle {
    pub r: f64,
}

impl Area for Circle {
    type Unit = f64;
    fn area(&self) -> f64 {
        3.14 * self.r * self.r
    }
}

impl crate::Area for super::Meters {
    type Unit = ();
    fn area(&self) -> f64 {
        self.0
    }
}

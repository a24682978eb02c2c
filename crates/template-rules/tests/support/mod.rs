//! What the integration tests share. Each test file uses part of it.
#![allow(dead_code)]

pub mod emit;
pub mod worst_cases;

//! What the integration tests share. Each test file uses part of it.
#![allow(dead_code)]

pub mod emit;
pub mod one_rule;
pub mod worst_cases;

pub mod worst_cases;

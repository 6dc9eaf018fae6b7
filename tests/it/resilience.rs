//! resilience integration tests.

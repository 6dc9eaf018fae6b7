//! report integration tests.

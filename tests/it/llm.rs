//! llm integration tests.

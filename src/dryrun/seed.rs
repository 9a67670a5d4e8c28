//! Synthetic rows for pre-existing tables (stub: being written).

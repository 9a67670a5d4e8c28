//! Throwaway local PostgreSQL server (stub: being written).

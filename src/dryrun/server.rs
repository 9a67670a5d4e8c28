//! Throwaway local PostgreSQL server (stand-in until the full module lands).

use std::path::{Path, PathBuf};

pub struct ServerOptions {
    pub bin_dir: Option<PathBuf>,
    pub settings: Vec<(String, String)>,
}

pub struct EmbeddedServer {
    port: u16,
    dir: PathBuf,
}

impl EmbeddedServer {
    pub fn start(_opts: &ServerOptions) -> Result<EmbeddedServer, String> {
        Err("not yet".into())
    }
    pub fn major(&self) -> u32 {
        15
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }
    pub fn user(&self) -> &str {
        "postgres"
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

pub fn install_interrupt_handler() {}

//! The source stage: layouts, psql meta-commands and variables, template
//! placeholders and the offset map, then the pipeline on what it produced.
//! Bytes in (the first byte picks the layout), never a panic.
#![no_main]

use std::io::Write;

use ddlint::model::{Input, Options};
use ddlint::rules::{self, Settings};
use ddlint::source::{self, Layout};
use libfuzzer_sys::fuzz_target;

const LAYOUTS: &[(Layout, &str)] = &[
    (Layout::Psql, "001_script.sql"),
    (Layout::Flyway, "V1.2__x.sql"),
    (Layout::GolangMigrate, "1_x.up.sql"),
    (Layout::Goose, "20240101000000_x.sql"),
    (Layout::Dbmate, "20240101000000_x.sql"),
    (Layout::SqlMigrate, "1_x.sql"),
    (Layout::Sqlx, "20240101000000_x.sql"),
    (Layout::Liquibase, "changelog.sql"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (layout, name) = LAYOUTS[sel as usize % LAYOUTS.len()];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(rest))
        .expect("write");
    let mut opts = source::Options {
        layout: Some(layout),
        include_down: sel & 0x80 != 0,
        ..Default::default()
    };
    opts.vars.insert("name".into(), "public".into());
    opts.vars.insert("NAME".into(), "x'y".into());
    let Ok(loaded) = source::load(&[path], &opts) else {
        return;
    };
    let source::Loaded {
        parts, coverage, ..
    } = loaded;
    let inputs: Vec<Input> = parts
        .into_iter()
        .map(|p| Input {
            path: p.path,
            text: p.text,
            wrapping: p.wrapping,
            layout: p.layout,
            report: true,
            map: p.map,
            project: Some(p.project),
            session: None,
        })
        .collect();
    let (analysis, findings) = rules::run(inputs, &Options::default(), &Settings::default());
    let sink = &mut std::io::sink();
    ddlint::report::json::write(sink, &analysis, &findings, &coverage, None, false).expect("json");
    ddlint::report::sarif::write(sink, &analysis, &findings).expect("sarif");
});

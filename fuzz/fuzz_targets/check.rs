//! The whole check pipeline: bytes in (as a migration file, under every
//! wrapping), findings and every report format out. Must never panic.
#![no_main]

use ddlint::model::{txn::Wrapping, Input, Options};
use ddlint::rules::{self, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = ddlint::source::decode(data.to_vec()) else {
        return;
    };
    let pg = 11 + (data.first().copied().unwrap_or(0) % 8) as u32;
    let wrapping = match data.last().copied().unwrap_or(0) % 3 {
        0 => Wrapping::Autocommit,
        1 => Wrapping::Transaction,
        _ => Wrapping::ImplicitMultiStatement,
    };
    let inputs = vec![
        Input {
            path: "001_setup.sql".into(),
            text: "CREATE TABLE t (id int PRIMARY KEY, v text);".into(),
            wrapping,
            layout: Default::default(),
            report: false,
            map: None,
            project: Some(0),
            session: None,
        },
        Input {
            path: "002_fuzz.sql".into(),
            text,
            wrapping,
            layout: Default::default(),
            report: true,
            map: None,
            project: Some(0),
            session: None,
        },
    ];
    let opts = Options {
        pg_version: pg,
        timezone_utc: true,
    };
    let (analysis, findings) = rules::run(inputs, &opts, &Settings::default());
    let sink = &mut std::io::sink();
    let coverage = ddlint::source::Coverage::default();
    ddlint::report::json::write(sink, &analysis, &findings, &coverage, None, false).expect("json");
    ddlint::report::sarif::write(sink, &analysis, &findings).expect("sarif");
    ddlint::report::markdown::write(sink, &analysis, &findings, 65_536).expect("markdown");
    ddlint::report::gitlab::write(sink, &analysis, &findings).expect("gitlab");
    ddlint::report::github::write(sink, &analysis, &findings).expect("github");
    ddlint::report::concise::write(sink, &analysis, &findings).expect("concise");
    let fail_on = ddlint::rules::Severity::Warning;
    ddlint::report::junit::write(sink, &analysis, &findings, fail_on).expect("junit");
    let text = ddlint::report::text::TextOptions {
        explain: true,
        all_statements: true,
        quiet: false,
        width: 100,
    };
    ddlint::report::text::write(sink, &analysis, &findings, &coverage, &text).expect("text");
});

//! A statement PostgreSQL rejects is always a finding: every byte of the
//! input is inside an analysed statement, inside a syntax error, or
//! whitespace, comments and empty statements; every statement psql would
//! send is analysed or is an error; every error is a `syntax-error`
//! finding at its position.
#![no_main]

use ddlint::model::{txn::Wrapping, Input, Options};
use ddlint::parse::{self, Item, LineIndex};
use ddlint::rules::{self, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = ddlint::source::decode(data.to_vec()) else {
        return;
    };
    let items = parse::parse(&text);
    if let Some(at) = parse::uncovered_by(&text, &items) {
        panic!("byte {at} is in no statement and no error");
    }
    for (s, e) in parse::split::psql_pieces(&text) {
        if parse::lex::is_trivia_or_semicolons(&text[s..e]) {
            continue;
        }
        let covered = items.iter().any(|it| {
            let sp = match it {
                Item::Statement(st) => st.span,
                Item::Error(er) => er.span,
            };
            sp.start < e && sp.end > s
        });
        assert!(covered, "the statement psql sends at {s}..{e} was lost");
    }
    let inputs = vec![Input {
        path: "001_fuzz.sql".into(),
        text: text.clone(),
        wrapping: Wrapping::Transaction,
        layout: Default::default(),
        report: true,
        map: None,
        project: Some(0),
        session: None,
    }];
    let (_, findings) = rules::run(inputs, &Options::default(), &Settings::default());
    let lines = LineIndex::new(&text);
    for it in &items {
        if let Item::Error(e) = it {
            let (line, column) = lines.line_col(&text, e.offset);
            assert!(
                findings
                    .iter()
                    .any(|f| f.rule == "syntax-error" && f.line == line && f.column == column),
                "no syntax-error finding for {e:?}"
            );
        }
    }
});

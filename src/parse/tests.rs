use super::*;

fn spans(text: &str) -> Vec<(String, bool)> {
    parse(text)
        .into_iter()
        .map(|i| match i {
            Item::Statement(s) => (text[s.span.start..s.span.end].to_string(), true),
            Item::Error(e) => (text[e.span.start..e.span.end].to_string(), false),
        })
        .collect()
}

#[test]
fn spans_exclude_leading_comments_and_include_semicolon() {
    let t = "-- header\nSELECT 1;\n\n/* c */ SELECT 2 ;\nSELECT 3";
    assert_eq!(
        spans(t),
        vec![
            ("SELECT 1;".into(), true),
            ("SELECT 2 ;".into(), true),
            ("SELECT 3".into(), true)
        ]
    );
}

#[test]
fn syntax_error_is_located_and_the_rest_survives() {
    let t = "SELECT 1;\nALTER TABLE t ADD COLUMN;\nSELECT 2;";
    let items = parse(t);
    assert_eq!(items.len(), 3);
    match &items[1] {
        Item::Error(e) => {
            let li = LineIndex::new(t);
            assert_eq!(li.line_col(t, e.offset), (2, 25));
            assert!(e.message.contains("syntax error"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(items[2], Item::Statement(_)));
}

#[test]
fn dollar_quotes_e_strings_crlf_and_empty_files() {
    let t =
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\r\nSELECT E'a\\'b;';\r\n";
    let s = spans(t);
    assert_eq!(s.len(), 2);
    assert!(s[1].0.starts_with("SELECT E'"));
    assert!(parse("").is_empty());
    assert!(parse("-- only a comment\n/* and another */\n").is_empty());
}

#[test]
fn columns_count_characters_not_bytes() {
    let t = "SELECT 'é', x FROM;";
    let items = parse(t);
    let Item::Error(e) = &items[0] else { panic!() };
    let li = LineIndex::new(t);
    assert_eq!(li.line_col(t, e.offset), (1, 19));
}

#[test]
fn nul_bytes_are_an_error_not_a_panic() {
    assert!(matches!(parse("SELECT 1;\0")[0], Item::Error(_)));
}

#[test]
fn unterminated_dollar_quote() {
    let items = parse("SELECT 1;\nDO $$ BEGIN");
    assert!(items.iter().any(|i| matches!(i, Item::Error(_))));
}

#[test]
fn fuzz_regressions_parse_without_panicking() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/regressions");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(text) = crate::source::decode(bytes) {
            let _ = parse(&text);
        }
    }
}

#[test]
fn a_comment_running_past_the_statement_is_not_a_panic() {
    for text in [
        "SELECT 1 /* open",
        "SELECT 1; -- x",
        "/* a */ /* b",
        "SELECT 1;/*",
    ] {
        let _ = parse(text);
    }
}

#[test]
fn a_token_the_scanner_rejects_spoils_only_its_statement() {
    // pg_dump's `\restrict KEY` line: a key starting with a digit is
    // "trailing junk after numeric literal" for the scanner; it and the
    // statement it runs into are the error, everything else parses.
    let t = "SELECT 1;\n\\restrict 5tZr2Fh0\n\nSET statement_timeout = 0;\nCREATE TABLE a (id int);\nSELECT 2";
    assert_eq!(
        spans(t),
        vec![
            ("SELECT 1;".into(), true),
            (
                "\\restrict 5tZr2Fh0\n\nSET statement_timeout = 0;".into(),
                false
            ),
            ("CREATE TABLE a (id int);".into(), true),
            ("SELECT 2".into(), true),
        ]
    );
}

#[test]
fn an_unterminated_quote_keeps_the_statements_before_it() {
    let t = "SELECT 1;\nSELECT 'abc;\nSELECT 2;";
    assert_eq!(
        spans(t),
        vec![
            ("SELECT 1;".into(), true),
            ("SELECT 'abc;\nSELECT 2;".into(), false),
        ]
    );
}

//! Where psql ends a statement, so that a syntax error is confined to the
//! statement psql would send and everything after it is still analysed.
//!
//! psql (`src/fe_utils/psqlscan.l`) sends the query buffer when it meets a
//! semicolon that is outside quotes, dollar quotes and comments, outside
//! parentheses, and outside the `BEGIN ... END` body of a
//! `CREATE [OR REPLACE] FUNCTION|PROCEDURE` (SQL-standard bodies, PG 14+).
//! Text after the last such semicolon is sent at the end of the file. This
//! module reproduces exactly those rules; everything else about tokens is
//! left to PostgreSQL's grammar, which parses each piece.
//!
//! Consequences worth knowing: an unclosed `(` makes psql read the rest of
//! the file as one statement (the server then rejects all of it), and so
//! does an unterminated quote, dollar quote or block comment.

use super::scan::next_special;

/// The statements psql would send, as half-open byte ranges: each starts
/// right after the previous terminating semicolon (comments and whitespace
/// before the statement included) and ends after its own semicolon, or at
/// the end of the text for the last one. Ranges are contiguous and cover
/// the whole text; a last range holding only trivia is still returned.
pub fn psql_pieces(text: &str) -> Vec<(usize, usize)> {
    pieces_and_state(text).0
}

/// Where the `(` is that psql still counts as open at the end of `text`
/// (the outermost one): the reason a statement ran to the end of the file.
pub fn unclosed_paren(text: &str) -> Option<usize> {
    pieces_and_state(text).1.open.first().copied()
}

fn pieces_and_state(text: &str) -> (Vec<(usize, usize)>, State) {
    let mut out = Vec::new();
    let mut st = State::default();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        let special = next_special(text, i);
        let code_end = special.map_or(text.len(), |(_, s, _)| s);
        // Code between `i` and the next quoted or commented region.
        let mut j = i;
        while j < code_end {
            if let Some(end) = st.code(text, &mut j, code_end) {
                out.push((start, end));
                start = end;
            }
        }
        match special {
            // Quoted and commented text never ends a statement; quoted
            // identifiers are not identifiers for the BEGIN tracking
            // (psql's {identifier} rule does not match them).
            Some((_, s, e)) => i = e.max(s + 1),
            None => break,
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    (out, st)
}

/// psql's lexer state for statement boundaries.
#[derive(Default)]
struct State {
    /// Offsets of the `(` still open (psql's `paren_depth` is its length).
    open: Vec<usize>,
    begin_depth: usize,
    /// How many identifiers (keywords included) the statement has had.
    identifier_count: usize,
    /// The first letters of the first four identifiers when they are one
    /// of create/function/procedure/or/replace (psql's `identifiers[4]`).
    identifiers: [u8; 4],
}

impl State {
    /// Consume one token of code starting at `*j` (before `end`); return
    /// the byte after a terminating semicolon.
    fn code(&mut self, text: &str, j: &mut usize, end: usize) -> Option<usize> {
        let b = text.as_bytes();
        let c = b[*j];
        match c {
            b'(' => {
                self.open.push(*j);
                *j += 1;
            }
            b')' => {
                self.open.pop();
                *j += 1;
            }
            b';' => {
                *j += 1;
                if self.open.is_empty() && self.begin_depth == 0 {
                    self.identifier_count = 0;
                    return Some(*j);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let s = *j;
                while *j < end && is_ident_cont(b[*j]) {
                    *j += 1;
                }
                self.identifier(&text[s..*j]);
            }
            c if c.is_ascii_digit() => {
                // A number (and any junk glued to it) is not an identifier.
                while *j < end && (is_ident_cont(b[*j]) || b[*j] == b'.') {
                    *j += 1;
                }
            }
            _ => {
                *j += 1;
            }
        }
        None
    }

    fn identifier(&mut self, word: &str) {
        if self.identifier_count == 0 {
            self.identifiers = [0; 4];
        }
        let lower = word.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "create" | "function" | "procedure" | "or" | "replace"
        ) && self.identifier_count < self.identifiers.len()
        {
            self.identifiers[self.identifier_count] = lower.as_bytes()[0];
        }
        self.identifier_count += 1;
        let ids = self.identifiers;
        let routine = ids[0] == b'c'
            && (ids[1] == b'f'
                || ids[1] == b'p'
                || (ids[1] == b'o' && ids[2] == b'r' && (ids[3] == b'f' || ids[3] == b'p')));
        if routine && self.open.is_empty() {
            match lower.as_str() {
                "begin" => self.begin_depth += 1,
                // CASE also ends with END; only counted inside a BEGIN.
                "case" if self.begin_depth >= 1 => self.begin_depth += 1,
                "end" => self.begin_depth = self.begin_depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}

/// PostgreSQL's `ident_cont`: letters, digits, `_`, `$`, and any byte of a
/// multi-byte character.
fn is_ident_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(t: &str) -> Vec<&str> {
        psql_pieces(t).into_iter().map(|(s, e)| &t[s..e]).collect()
    }

    #[test]
    fn semicolons_outside_quotes_comments_and_parens_end_statements() {
        assert_eq!(
            pieces("SELECT ';'; -- a;b\nSELECT $$;$$; /* ; */ SELECT \"a;\""),
            vec![
                "SELECT ';';",
                " -- a;b\nSELECT $$;$$;",
                " /* ; */ SELECT \"a;\""
            ]
        );
    }

    #[test]
    fn an_open_parenthesis_swallows_the_rest() {
        assert_eq!(
            pieces("CREATE INDEX i ON t (a;\nCREATE TABLE y (b int);\n"),
            vec!["CREATE INDEX i ON t (a;\nCREATE TABLE y (b int);\n"]
        );
        // A stray closing parenthesis does not go below zero.
        assert_eq!(
            pieces("SELECT 1);SELECT 2;"),
            vec!["SELECT 1);", "SELECT 2;"]
        );
    }

    #[test]
    fn sql_standard_function_bodies_are_one_statement() {
        let t = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n\
                 BEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nSELECT 3;";
        let p = pieces(t);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].ends_with("END;"));
        // BEGIN in any other statement is just a word.
        assert_eq!(pieces("BEGIN; SELECT 1; END;").len(), 3);
        assert_eq!(
            pieces("CREATE TRIGGER x BEGIN; SELECT 1;"),
            vec!["CREATE TRIGGER x BEGIN;", " SELECT 1;"]
        );
    }

    #[test]
    fn unterminated_regions_run_to_the_end() {
        assert_eq!(pieces("SELECT 'a; SELECT 1;"), vec!["SELECT 'a; SELECT 1;"]);
        assert_eq!(pieces("SELECT 1; /* x; "), vec!["SELECT 1;", " /* x; "]);
    }

    #[test]
    fn the_unclosed_parenthesis_is_found() {
        assert_eq!(
            unclosed_paren("CREATE TABLE x (a int;\nSELECT (1);"),
            Some(15)
        );
        assert_eq!(unclosed_paren("SELECT (1);"), None);
    }

    #[test]
    fn pieces_cover_the_text() {
        let t = "a;b;;c";
        let p = psql_pieces(t);
        assert_eq!(p, vec![(0, 2), (2, 4), (4, 5), (5, 6)]);
    }
}

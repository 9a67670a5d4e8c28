//! Parse results of snippets that are parsed again and again: the bodies
//! of functions the history created, parsed at every call that is
//! followed or whose effects are computed, and the statements inside them
//! (a `SELECT create_index(...)` helper called 500 times by one history).
//! One table per thread, keyed by the text; bounded, so memory does not
//! grow with the history: when full it is emptied and fills again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;

use pg_query::protobuf::node::Node as NodeEnum;
use serde_json::Value;

/// Entries and text bytes a table holds before it is emptied.
const MAX_ENTRIES: usize = 4096;
const MAX_TEXT_BYTES: usize = 1 << 20;

struct Memo<K, V> {
    map: HashMap<K, V>,
    bytes: usize,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    fn new() -> Self {
        Memo {
            map: HashMap::new(),
            bytes: 0,
        }
    }

    fn get_or_insert(&mut self, key: K, len: usize, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.map.get(&key) {
            return v.clone();
        }
        let v = make();
        if self.map.len() >= MAX_ENTRIES || self.bytes + len > MAX_TEXT_BYTES {
            self.map.clear();
            self.bytes = 0;
        }
        self.bytes += len;
        self.map.insert(key, v.clone());
        v
    }
}

type Statements = Option<Rc<[NodeEnum]>>;
type PlpgsqlTree = Result<Rc<Value>, String>;

thread_local! {
    static STATEMENTS: RefCell<Memo<Box<str>, Statements>> = RefCell::new(Memo::new());
    static PLPGSQL: RefCell<Memo<Box<str>, PlpgsqlTree>> = RefCell::new(Memo::new());
}

/// [`super::parse_statements_only`], shared: the statements of `text`, or
/// `None` when it does not parse.
pub fn statements(text: &str) -> Option<Rc<[NodeEnum]>> {
    STATEMENTS.with(|m| {
        m.borrow_mut().get_or_insert(text.into(), text.len(), || {
            super::parse_statements_only(text).map(Rc::from)
        })
    })
}

/// The PL/pgSQL grammar's tree of a `CREATE FUNCTION ... LANGUAGE plpgsql`
/// statement (`pg_query::parse_plpgsql`), or its error message.
pub fn plpgsql(text: &str) -> Result<Rc<Value>, String> {
    PLPGSQL.with(|m| {
        m.borrow_mut().get_or_insert(text.into(), text.len(), || {
            pg_query::parse_plpgsql(text)
                .map(Rc::new)
                .map_err(|e| e.to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_answer_as_parsing_and_bounded() {
        let a = statements("SELECT 1; SELECT 2").unwrap();
        assert_eq!(a.len(), 2);
        assert!(Rc::ptr_eq(&a, &statements("SELECT 1; SELECT 2").unwrap()));
        assert!(statements("SELEC 1").is_none());
        for i in 0..MAX_ENTRIES + 10 {
            statements(&format!("SELECT {i}"));
        }
        STATEMENTS.with(|m| assert!(m.borrow().map.len() <= MAX_ENTRIES));
        assert!(plpgsql(
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN 1; END$$"
        )
        .is_ok());
        assert!(plpgsql(
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN 1 END$$"
        )
        .is_err());
    }
}

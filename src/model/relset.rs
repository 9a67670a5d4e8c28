//! Small ordered collections of relation names. A statement touches a
//! handful of relations; a `BTreeSet`/`BTreeMap` allocates a whole node
//! (eleven slots, over 500 bytes) for the first one, which across the
//! ~25,000 statements of a large history was a fifth of ddlint's memory.
//! These keep their elements in one sorted `Vec` instead: the same order,
//! the same lookups (binary search), exactly the memory used.

use std::borrow::Borrow;

use super::catalog::QName;
use super::locks::LockMode;

/// A set of relation names in sorted order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelSet(Vec<QName>);

impl RelSet {
    pub fn new() -> Self {
        RelSet(Vec::new())
    }

    /// Insert; false when it was already there.
    pub fn insert(&mut self, q: QName) -> bool {
        match self.0.binary_search(&q) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, q);
                true
            }
        }
    }

    pub fn contains<Q: Borrow<QName> + ?Sized>(&self, q: &Q) -> bool {
        self.0.binary_search(q.borrow()).is_ok()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, QName> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear()
    }

    /// Give back spare capacity (the set is kept for the whole run).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit()
    }
}

impl Extend<QName> for RelSet {
    fn extend<I: IntoIterator<Item = QName>>(&mut self, iter: I) {
        for q in iter {
            self.insert(q);
        }
    }
}

impl FromIterator<QName> for RelSet {
    fn from_iter<I: IntoIterator<Item = QName>>(iter: I) -> Self {
        let mut v: Vec<QName> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        RelSet(v)
    }
}

impl<const N: usize> From<[QName; N]> for RelSet {
    fn from(a: [QName; N]) -> Self {
        a.into_iter().collect()
    }
}

impl IntoIterator for RelSet {
    type Item = QName;
    type IntoIter = std::vec::IntoIter<QName>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a RelSet {
    type Item = &'a QName;
    type IntoIter = std::slice::Iter<'a, QName>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The strongest lock per relation, in relation-name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockMap(Vec<(QName, LockMode)>);

impl LockMap {
    pub fn new() -> Self {
        LockMap(Vec::new())
    }

    fn find(&self, q: &QName) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(q))
    }

    /// Record `mode` on `q`, keeping the stronger of it and what is there.
    pub fn lock(&mut self, q: &QName, mode: LockMode) {
        match self.find(q) {
            Ok(i) => {
                if mode > self.0[i].1 {
                    self.0[i].1 = mode;
                }
            }
            Err(i) => self.0.insert(i, (q.clone(), mode)),
        }
    }

    pub fn get(&self, q: &QName) -> Option<&LockMode> {
        self.find(q).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, q: &QName) -> bool {
        self.find(q).is_ok()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&QName, &LockMode)> + Clone {
        self.0.iter().map(|(q, m)| (q, m))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &QName> + Clone {
        self.0.iter().map(|(q, _)| q)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit()
    }
}

impl IntoIterator for LockMap {
    type Item = (QName, LockMode);
    type IntoIter = std::vec::IntoIter<(QName, LockMode)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a LockMap {
    type Item = (&'a QName, &'a LockMode);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (QName, LockMode)>,
        fn(&'a (QName, LockMode)) -> (&'a QName, &'a LockMode),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(q, m)| (q, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: &str) -> QName {
        QName::new("public", n)
    }

    #[test]
    fn set_is_sorted_and_unique() {
        let mut s = RelSet::new();
        assert!(s.insert(q("b")));
        assert!(s.insert(q("a")));
        assert!(!s.insert(q("b")));
        s.extend([q("c"), q("a")]);
        assert_eq!(
            s.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert!(s.contains(&q("c")) && !s.contains(&q("d")));
        assert_eq!(RelSet::from([q("z"), q("y"), q("z")]).len(), 2);
    }

    #[test]
    fn lock_map_keeps_the_strongest_mode() {
        let mut m = LockMap::new();
        m.lock(&q("t"), LockMode::RowExclusive);
        m.lock(&q("t"), LockMode::AccessShare);
        m.lock(&q("a"), LockMode::AccessExclusive);
        assert_eq!(m.get(&q("t")), Some(&LockMode::RowExclusive));
        assert_eq!(
            m.keys().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["a", "t"]
        );
    }
}

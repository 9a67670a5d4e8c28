//! Orders migrations the way their tool does: digit runs compare as numbers
//! (`2_x.sql` before `10_x.sql`), flyway versions compare part by part
//! (`V1.2` < `V1.10`, `V1` < `V1.1`).

use std::cmp::Ordering;

/// Compare with digit runs as numbers: "V2__a" < "V10__a".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut ai, mut bi) = (a.char_indices().peekable(), b.char_indices().peekable());
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((_, ca)), Some((_, cb))) if ca.is_ascii_digit() && cb.is_ascii_digit() => {
                let mut na = String::new();
                while let Some((_, c)) = ai.peek().copied().filter(|(_, c)| c.is_ascii_digit()) {
                    na.push(c);
                    ai.next();
                }
                let mut nb = String::new();
                while let Some((_, c)) = bi.peek().copied().filter(|(_, c)| c.is_ascii_digit()) {
                    nb.push(c);
                    bi.next();
                }
                let ta = na.trim_start_matches('0');
                let tb = nb.trim_start_matches('0');
                let o = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then_with(|| na.len().cmp(&nb.len()));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some((_, ca)), Some((_, cb))) => {
                if ca != cb {
                    return ca.cmp(&cb);
                }
                ai.next();
                bi.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_as_numbers() {
        let mut v = vec![
            "V10__b.sql",
            "V2__a.sql",
            "V1.10__x.sql",
            "V1.2__y.sql",
            "001_a.sql",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec![
                "001_a.sql",
                "V1.2__y.sql",
                "V1.10__x.sql",
                "V2__a.sql",
                "V10__b.sql"
            ]
        );
    }
}

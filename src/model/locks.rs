//! PostgreSQL's eight table-level lock modes and their conflict matrix
//! (https://www.postgresql.org/docs/current/explicit-locking.html).

use serde::{Serialize, Serializer};

/// Ordered from weakest to strongest; `Ord` is "stronger than" for the
/// purpose of keeping the strongest mode per relation. Each mode conflicts
/// with a superset of what every weaker mode conflicts with, except SHARE:
/// it does not conflict with itself, while ROW EXCLUSIVE and SHARE UPDATE
/// EXCLUSIVE do conflict with SHARE. So where a relation is locked in SHARE
/// and one of those, the strongest mode alone understates what is blocked
/// (dry-run's pre-flight checks every requested mode for that reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

use LockMode::*;

impl LockMode {
    pub const ALL: [LockMode; 8] = [
        AccessShare,
        RowShare,
        RowExclusive,
        ShareUpdateExclusive,
        Share,
        ShareRowExclusive,
        Exclusive,
        AccessExclusive,
    ];

    /// Exactly as `pg_locks.mode` prints it.
    pub fn pg_name(self) -> &'static str {
        match self {
            AccessShare => "AccessShareLock",
            RowShare => "RowShareLock",
            RowExclusive => "RowExclusiveLock",
            ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            Share => "ShareLock",
            ShareRowExclusive => "ShareRowExclusiveLock",
            Exclusive => "ExclusiveLock",
            AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// As `LOCK TABLE ... IN <mode> MODE` spells it.
    pub fn sql_name(self) -> &'static str {
        match self {
            AccessShare => "ACCESS SHARE",
            RowShare => "ROW SHARE",
            RowExclusive => "ROW EXCLUSIVE",
            ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Share => "SHARE",
            ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Exclusive => "EXCLUSIVE",
            AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    pub fn from_pg_name(s: &str) -> Option<LockMode> {
        LockMode::ALL
            .into_iter()
            .find(|m| m.pg_name().eq_ignore_ascii_case(s))
    }

    /// The numeric mode `LockStmt.mode` carries (lockdefs.h: 1..8).
    pub fn from_lockdefs(n: i32) -> Option<LockMode> {
        LockMode::ALL
            .get((n - 1).max(0) as usize)
            .copied()
            .filter(|_| (1..=8).contains(&n))
    }

    /// The conflict matrix of lock.c / the documentation's table 13.2.
    pub fn conflicts_with(self, other: LockMode) -> bool {
        let (a, b) = if self <= other {
            (self, other)
        } else {
            (other, self)
        };
        match a {
            AccessShare => b == AccessExclusive,
            RowShare => matches!(b, Exclusive | AccessExclusive),
            RowExclusive => matches!(b, Share | ShareRowExclusive | Exclusive | AccessExclusive),
            ShareUpdateExclusive => matches!(
                b,
                ShareUpdateExclusive | Share | ShareRowExclusive | Exclusive | AccessExclusive
            ),
            Share => matches!(b, ShareRowExclusive | Exclusive | AccessExclusive),
            ShareRowExclusive | Exclusive | AccessExclusive => true,
        }
    }

    /// Blocks plain SELECT (which takes AccessShareLock).
    pub fn blocks_reads(self) -> bool {
        self.conflicts_with(AccessShare)
    }

    /// Blocks INSERT/UPDATE/DELETE (which take RowExclusiveLock).
    pub fn blocks_writes(self) -> bool {
        self.conflicts_with(RowExclusive)
    }

    /// A short human phrase of what this mode blocks on its relation.
    pub fn blocks_phrase(self) -> &'static str {
        if self.blocks_reads() {
            "blocks all reads and writes"
        } else if self.blocks_writes() {
            if self.conflicts_with(RowShare) {
                "blocks writes and SELECT ... FOR UPDATE/SHARE (plain reads continue)"
            } else {
                "blocks writes (reads continue)"
            }
        } else if self.conflicts_with(ShareUpdateExclusive) {
            "blocks other schema changes, VACUUM and ANALYZE (reads and writes continue)"
        } else if self == RowShare || self == RowExclusive {
            "blocks only schema changes that need SHARE or stronger"
        } else {
            "blocks only ACCESS EXCLUSIVE (DROP, most ALTER TABLE)"
        }
    }
}

impl std::fmt::Display for LockMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.pg_name())
    }
}

impl Serialize for LockMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.pg_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_matrix_matches_the_documentation() {
        // Rows of table 13.2, "X" where the modes conflict.
        let table = [
            "       X", "      XX", "    XXXX", "   XXXXX", "  XX XXX", "  XXXXXX", " XXXXXXX",
            "XXXXXXXX",
        ];
        for (i, row) in table.iter().enumerate() {
            for (j, c) in row.chars().enumerate() {
                let a = LockMode::ALL[i];
                let b = LockMode::ALL[j];
                assert_eq!(a.conflicts_with(b), c == 'X', "{a} vs {b}");
            }
        }
    }

    #[test]
    fn share_is_the_one_mode_that_does_not_cover_the_weaker_ones() {
        let covers = |a: LockMode, b: LockMode| {
            LockMode::ALL
                .iter()
                .all(|m| !b.conflicts_with(*m) || a.conflicts_with(*m))
        };
        for (i, a) in LockMode::ALL.iter().enumerate() {
            for b in &LockMode::ALL[..i] {
                let exception = *a == Share && matches!(b, RowExclusive | ShareUpdateExclusive);
                assert_eq!(covers(*a, *b), !exception, "{a} over {b}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for m in LockMode::ALL {
            assert_eq!(LockMode::from_pg_name(m.pg_name()), Some(m));
        }
        assert_eq!(LockMode::from_lockdefs(8), Some(AccessExclusive));
        assert_eq!(LockMode::from_lockdefs(0), None);
    }
}

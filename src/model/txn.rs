//! The transaction model: which statements share a transaction, so that a
//! lock taken early is known to be held while every later statement of the
//! same transaction runs (PostgreSQL releases relation locks only at
//! transaction end, or at ROLLBACK TO SAVEPOINT for locks taken after it).

use std::collections::BTreeMap;
use std::sync::Arc;

use pg_query::protobuf::{TransactionStmt, TransactionStmtKind as K};

use super::catalog::QName;
use super::locks::LockMode;

pub use crate::input::Wrapping;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HeldLock {
    /// Shared by every statement's copy of the held set (a long
    /// transaction hands out a growing set after each new lock).
    pub relation: Arc<QName>,
    pub mode: LockMode,
    /// 1-based line of the statement that took it.
    pub since_line: usize,
}

#[derive(Debug)]
pub struct TxnTracker {
    wrapping: Wrapping,
    /// Current transaction id and whether the file opened it explicitly.
    current: Option<(u64, bool)>,
    /// A statement that changes something ran in the current transaction.
    did_work: bool,
    held: BTreeMap<QName, HeldLock>,
    /// `held` as last handed out, shared by the statements that run while
    /// it does not change (a long transaction would otherwise keep one
    /// copy per statement).
    snapshot: Option<Arc<[HeldLock]>>,
    savepoints: Vec<(String, BTreeMap<QName, HeldLock>)>,
    next_id: u64,
    /// Problems found in the structure (nested BEGIN, COMMIT without BEGIN).
    pub events: Vec<TxnEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnEvent {
    NestedBegin {
        stmt: usize,
    },
    CommitWithoutTransaction {
        stmt: usize,
    },
    UnterminatedAtEnd {
        begun_at: usize,
    },
    /// COMMIT or ROLLBACK of the transaction the tool opened around the
    /// file (not one the file began): the file's earlier work is committed
    /// or discarded before the rest runs.
    EndsToolTransaction {
        stmt: usize,
        rollback: bool,
    },
    /// ROLLBACK of a transaction the file began, after statements that
    /// did work: the migration applies none of it.
    RollsBackWork {
        stmt: usize,
    },
}

/// Where a statement runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub txn: Option<u64>,
    pub in_transaction: bool,
    pub explicit: bool,
}

impl TxnTracker {
    pub fn new(wrapping: Wrapping, first_id: u64) -> Self {
        let mut t = TxnTracker {
            wrapping,
            current: None,
            did_work: false,
            held: BTreeMap::new(),
            snapshot: None,
            savepoints: Vec::new(),
            next_id: first_id,
            events: Vec::new(),
        };
        if wrapping == Wrapping::Transaction {
            t.open(false);
        }
        t
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    fn open(&mut self, explicit: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.current = Some((id, explicit));
        self.did_work = false;
        self.held.clear();
        self.snapshot = None;
        self.savepoints.clear();
        id
    }

    fn close(&mut self) {
        self.current = None;
        self.held.clear();
        self.snapshot = None;
        self.savepoints.clear();
    }

    /// Where the next statement runs, before it runs. Transaction-control
    /// statements are placed in the transaction they end or begin.
    pub fn place(&mut self, stmt: usize, txn: Option<&TransactionStmt>) -> Placement {
        if let Some(t) = txn {
            let kind = K::try_from(t.kind).unwrap_or(K::Undefined);
            if matches!(kind, K::TransStmtBegin | K::TransStmtStart) {
                match self.current {
                    Some((id, true)) => {
                        self.events.push(TxnEvent::NestedBegin { stmt });
                        return Placement {
                            txn: Some(id),
                            in_transaction: true,
                            explicit: true,
                        };
                    }
                    Some((id, false)) if self.wrapping == Wrapping::Transaction => {
                        // BEGIN inside the tool's own transaction: a warning
                        // on the server, the transaction goes on.
                        self.events.push(TxnEvent::NestedBegin { stmt });
                        self.current = Some((id, true));
                        return Placement {
                            txn: Some(id),
                            in_transaction: true,
                            explicit: true,
                        };
                    }
                    Some((id, false)) => {
                        // Implicit multi-statement transaction becomes explicit.
                        self.current = Some((id, true));
                        return Placement {
                            txn: Some(id),
                            in_transaction: true,
                            explicit: true,
                        };
                    }
                    None => {
                        let id = self.open(true);
                        return Placement {
                            txn: Some(id),
                            in_transaction: true,
                            explicit: true,
                        };
                    }
                }
            }
        }
        match self.current {
            Some((id, explicit)) => Placement {
                txn: Some(id),
                in_transaction: true,
                explicit,
            },
            None => {
                if self.wrapping == Wrapping::ImplicitMultiStatement {
                    let id = self.open(false);
                    Placement {
                        txn: Some(id),
                        in_transaction: true,
                        explicit: false,
                    }
                } else {
                    Placement {
                        txn: None,
                        in_transaction: false,
                        explicit: false,
                    }
                }
            }
        }
    }

    /// Locks held from earlier statements of the current transaction.
    pub fn held(&mut self) -> Arc<[HeldLock]> {
        self.snapshot
            .get_or_insert_with(|| self.held.values().cloned().collect())
            .clone()
    }

    /// After a statement ran: remember its locks, apply transaction control.
    /// `changes` says the statement may change something (not a plain
    /// read or a session setting).
    pub fn after(
        &mut self,
        stmt: usize,
        line: usize,
        locks: &super::relset::LockMap,
        txn: Option<&TransactionStmt>,
        changes: bool,
    ) {
        if self.current.is_some() {
            for (q, m) in locks {
                match self.held.get_mut(q) {
                    Some(h) if h.mode >= *m => {}
                    Some(h) => {
                        self.snapshot = None;
                        h.mode = *m;
                        h.since_line = line;
                    }
                    None => {
                        self.snapshot = None;
                        self.held.insert(
                            q.clone(),
                            HeldLock {
                                relation: Arc::new(q.clone()),
                                mode: *m,
                                since_line: line,
                            },
                        );
                    }
                }
            }
        }
        if changes && self.current.is_some() {
            self.did_work = true;
        }
        if let Some(t) = txn {
            let kind = K::try_from(t.kind).unwrap_or(K::Undefined);
            match kind {
                K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare => {
                    let rollback = kind == K::TransStmtRollback;
                    match self.current {
                        None => self
                            .events
                            .push(TxnEvent::CommitWithoutTransaction { stmt }),
                        Some((_, false)) => self
                            .events
                            .push(TxnEvent::EndsToolTransaction { stmt, rollback }),
                        Some((_, true)) if rollback && self.did_work => {
                            self.events.push(TxnEvent::RollsBackWork { stmt })
                        }
                        Some(_) => {}
                    }
                    self.close();
                }
                K::TransStmtSavepoint => {
                    if self.current.is_some() {
                        self.savepoints
                            .push((t.savepoint_name.clone(), self.held.clone()));
                    }
                }
                K::TransStmtRelease => {
                    if let Some(pos) = self
                        .savepoints
                        .iter()
                        .rposition(|(n, _)| *n == t.savepoint_name)
                    {
                        self.savepoints.truncate(pos);
                    }
                }
                K::TransStmtRollbackTo => {
                    if let Some(pos) = self
                        .savepoints
                        .iter()
                        .rposition(|(n, _)| *n == t.savepoint_name)
                    {
                        self.held = self.savepoints[pos].1.clone();
                        self.snapshot = None;
                        self.savepoints.truncate(pos + 1);
                    }
                }
                _ => {}
            }
        }
    }

    /// The file ended: the tool commits its wrapper; an explicit BEGIN left
    /// open is reported (psql would roll it back at disconnect).
    pub fn finish(&mut self, begun_at: Option<usize>) {
        if let Some((_, true)) = self.current {
            if let Some(b) = begun_at {
                self.events
                    .push(TxnEvent::UnterminatedAtEnd { begun_at: b });
            }
        }
        self.close();
    }
}

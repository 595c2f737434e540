//! One unit of work for audited writes: a write transaction and the audit entries of the
//! changes made in it, appended together at commit.
//!
//! A use case that does one thing opens a unit, does its step, and commits. A use case that
//! chains steps (`import … --publish`: records, a new list issue, its publication) hands the
//! same unit to each step, so the whole chain lands or none of it does — a process killed at
//! any moment leaves the database as it was before, and the steps are the same code in both.
//!
//! The audit entries are appended last, just before the commit: appending locks the audit
//! head (a row lock on PostgreSQL), and taking it last keeps one lock order for every writer
//! (whatever the steps lock, then the audit head), so two units never wait for each other in
//! a circle.

use chrono::{DateTime, Utc};
use zijin_store::{StoreError, WriteTx, audit};

use crate::{App, AppResult};

pub(crate) struct UnitOfWork {
    tx: WriteTx,
    now: DateTime<Utc>,
    changes: Vec<audit::Change>,
    /// Audit anchors to record after the entries (purpose, list issue).
    anchors: Vec<(&'static str, Option<i64>)>,
}

impl UnitOfWork {
    /// Starts the write transaction (on SQLite it takes the write lock at once).
    pub(crate) async fn begin(app: &App) -> AppResult<Self> {
        Ok(Self {
            tx: app.store.begin_write().await?,
            now: app.now(),
            changes: Vec::new(),
            anchors: Vec::new(),
        })
    }

    /// The transaction every step writes through.
    pub(crate) fn tx(&mut self) -> &mut WriteTx {
        &mut self.tx
    }

    /// The moment of the whole unit: every step and audit entry carries the same time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Records a change for the audit log; it is written with the unit or not at all.
    pub(crate) fn audit(&mut self, change: audit::Change) {
        self.changes.push(change);
    }

    pub(crate) fn audit_all(&mut self, changes: impl IntoIterator<Item = audit::Change>) {
        self.changes.extend(changes);
    }

    /// Records the audit head as an anchor once this unit's entries are appended.
    pub(crate) fn anchor_after_audit(&mut self, purpose: &'static str, issue_id: Option<i64>) {
        self.anchors.push((purpose, issue_id));
    }

    /// Appends the audit entries (then the anchors) and commits everything at once.
    pub(crate) async fn commit(mut self) -> AppResult<()> {
        audit::append_many(&mut self.tx, self.now, self.changes).await?;
        for (purpose, issue_id) in self.anchors {
            audit::record_anchor(&mut self.tx, self.now, purpose, issue_id).await?;
        }
        self.tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

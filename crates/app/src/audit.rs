//! Reading and verifying the audit log (appending happens inside each use case).

use zijin_store::audit;
pub use zijin_store::audit::{Entry, ListFilter, Verification};

use crate::{Actor, App, AppResult, Paged};

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Entry>> {
    crate::access::require(actor, crate::access::Area::Audit)?;
    Ok(audit::list(
        app.store.pool(),
        filter,
        page.max(1),
        per_page.clamp(1, 500),
    )
    .await?)
}

/// Recomputes the whole hash chain.
pub async fn verify(app: &App) -> AppResult<Verification> {
    Ok(audit::verify(app.store.pool()).await?)
}

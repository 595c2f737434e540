//! The notification centre (消息): every signed-in account reads its own messages and, for an
//! institution's user, its institution's; the header shows how many are unread.

use zijin_store::notifications::{self, Notification};

use crate::access::{self, Area};
use crate::{Actor, App, AppError, AppResult};

fn owner(actor: &Actor) -> AppResult<(i64, Option<i64>)> {
    access::require(actor, Area::Inbox)?;
    let user = actor.user().ok_or(AppError::Unauthenticated)?;
    Ok((user.id, access::own_institution_id(actor)))
}

/// A page (30 a page, newest first) of the actor's messages.
pub async fn inbox(app: &App, actor: &Actor, page: i64) -> AppResult<Vec<Notification>> {
    let (user, institution) = owner(actor)?;
    Ok(notifications::inbox(app.store.pool(), user, institution, page).await?)
}

/// How many of the actor's messages are unread (0 for anonymous visitors).
pub async fn unread(app: &App, actor: &Actor) -> AppResult<i64> {
    if !access::may(actor, Area::Inbox) {
        return Ok(0);
    }
    let (user, institution) = owner(actor)?;
    Ok(notifications::unread_count(app.store.pool(), user, institution).await?)
}

/// Marks every message of the actor read; returns how many were unread.
pub async fn mark_all_read(app: &App, actor: &Actor) -> AppResult<u64> {
    let (user, institution) = owner(actor)?;
    let at = zijin_store::timestamp(app.now());
    let mut tx = app.store.begin_write().await?;
    let n = notifications::mark_all_read(&mut tx, user, institution, &at).await?;
    tx.commit().await.map_err(zijin_store::StoreError::from)?;
    Ok(n)
}

//! Attachments of achievements and demands (PDF and images, recognised by content), stored in
//! the database; read by whoever may read their record.

use serde_json::json;
use zijin_domain::{RecordKind, RecordStatus};
use zijin_store::records;
use zijin_store::{StoreError, audit};

use super::{capabilities_on, change, check_owner_can_edit};
use crate::{Actor, App, AppError, AppResult};

/// The largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = crate::files::MAX_FILE_BYTES;
/// Attachments per record.
pub const MAX_ATTACHMENTS: usize = 10;

pub use zijin_store::attachments::Attachment;

async fn owner_and_status(app: &App, kind: RecordKind, id: i64) -> AppResult<(i64, RecordStatus)> {
    Ok(match kind {
        RecordKind::Achievement => {
            let a = records::get_achievement(app.store.pool(), id)
                .await?
                .ok_or(AppError::NotFound("科技成果"))?;
            (a.institution_id, a.status)
        }
        RecordKind::Demand => {
            let d = records::get_demand(app.store.pool(), id)
                .await?
                .ok_or(AppError::NotFound("技术需求"))?;
            (d.institution_id, d.status)
        }
    })
}

/// The owner attaches a PDF or an image to a draft or returned record. The type is taken from
/// the file's content, not its name.
pub async fn add_attachment(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
    filename: &str,
    bytes: &[u8],
) -> AppResult<Attachment> {
    let (institution_id, status) = owner_and_status(app, kind, id).await?;
    if !capabilities_on(app, actor, kind, id, institution_id, status)
        .await?
        .read
    {
        return Err(AppError::NotFound("记录"));
    }
    check_owner_can_edit(actor, institution_id, status)?;
    let checked = crate::files::check(filename, bytes)?;
    if zijin_store::attachments::list(app.store.pool(), kind, id)
        .await?
        .len()
        >= MAX_ATTACHMENTS
    {
        return Err(AppError::field(
            "file",
            format!("每条记录最多 {MAX_ATTACHMENTS} 个附件"),
        ));
    }
    let crate::files::CheckedFile {
        filename,
        content_type,
        sha256,
    } = checked;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let new = zijin_store::attachments::NewAttachment {
        kind,
        record_id: id,
        filename: &filename,
        content_type,
        sha256: &sha256,
        content: bytes,
    };
    let attachment_id = zijin_store::attachments::insert(&mut tx, &new, now).await?;
    audit::append(
        &mut tx,
        now,
        change(actor, "attachment.add", kind, id, None, Some(json!({"attachment": attachment_id, "filename": filename, "size": bytes.len(), "sha256": sha256}))),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Attachment {
        id: attachment_id,
        kind,
        record_id: id,
        filename,
        content_type: content_type.into(),
        size: bytes.len() as i64,
        sha256,
        created_at: zijin_store::timestamp(now),
    })
}

/// The attachments of a record the actor may read.
pub async fn attachments(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> AppResult<Vec<Attachment>> {
    let (institution_id, status) = owner_and_status(app, kind, id).await?;
    if !capabilities_on(app, actor, kind, id, institution_id, status)
        .await?
        .read
    {
        return Err(AppError::NotFound("记录"));
    }
    Ok(zijin_store::attachments::list(app.store.pool(), kind, id).await?)
}

/// An attachment's bytes, for those who may read its record.
pub async fn attachment(
    app: &App,
    actor: &Actor,
    attachment_id: i64,
) -> AppResult<(Attachment, Vec<u8>)> {
    let (attachment, bytes) = zijin_store::attachments::get(app.store.pool(), attachment_id)
        .await?
        .ok_or(AppError::NotFound("附件"))?;
    let (institution_id, status) =
        owner_and_status(app, attachment.kind, attachment.record_id).await?;
    let capabilities = capabilities_on(
        app,
        actor,
        attachment.kind,
        attachment.record_id,
        institution_id,
        status,
    )
    .await?;
    if !capabilities.read {
        return Err(AppError::NotFound("附件"));
    }
    Ok((attachment, bytes))
}

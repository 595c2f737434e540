//! The documents an application carries (the call's 需提交材料): the applicant uploads them
//! while the application may be changed; whoever may read the application may read them.

use serde_json::json;
pub use zijin_store::application_files::ApplicationFile;
use zijin_store::application_files::{self as files, NewFile};
use zijin_store::applications as store;
use zijin_store::audit::Change;

use super::get;
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// Files per document of an application.
pub const MAX_FILES_PER_REQUIREMENT: usize = 5;

/// The applicant attaches a file as one of the call's documents.
pub async fn add(
    app: &App,
    actor: &Actor,
    id: i64,
    requirement: &str,
    filename: &str,
    bytes: &[u8],
) -> AppResult<ApplicationFile> {
    let view = get(app, actor, id).await?;
    if crate::access::own_institution_id(actor) != Some(view.application.institution_id) {
        return Err(crate::access::refusal(actor));
    }
    if !view.capabilities.edit {
        return Err(AppError::WrongState(format!(
            "该申报{}，不能再上传附件",
            zijin_domain::Coded::label(view.application.status)
        )));
    }
    let requirement = requirement.trim();
    if !view.required_files.iter().any(|r| r == requirement) {
        return Err(AppError::field(
            "requirement",
            if view.required_files.is_empty() {
                "本申报通知不要求提交附件".to_string()
            } else {
                format!("请选择附件类别：{}", view.required_files.join("、"))
            },
        ));
    }
    let checked = crate::files::check(filename, bytes)?;
    let mut work = UnitOfWork::begin(app).await?;
    let at = zijin_store::timestamp(work.now());
    // The application locked: two uploads at once do not both pass the count.
    store::get_application_for_update(work.tx(), id).await?;
    let same = files::list(&mut **work.tx(), id)
        .await?
        .into_iter()
        .filter(|f| f.requirement == requirement)
        .count();
    if same >= MAX_FILES_PER_REQUIREMENT {
        return Err(AppError::field(
            "file",
            format!("“{requirement}”最多上传 {MAX_FILES_PER_REQUIREMENT} 个文件"),
        ));
    }
    let file_id = files::insert(
        work.tx(),
        &NewFile {
            application_id: id,
            requirement,
            filename: &checked.filename,
            content_type: checked.content_type,
            sha256: &checked.sha256,
            content: bytes,
        },
        &at,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.file-add",
        entity: "application",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "file": file_id,
            "requirement": requirement,
            "filename": checked.filename,
            "size": bytes.len(),
            "sha256": checked.sha256,
        })),
    });
    work.commit().await?;
    Ok(ApplicationFile {
        id: file_id,
        application_id: id,
        requirement: requirement.to_string(),
        filename: checked.filename,
        content_type: checked.content_type.to_string(),
        size: bytes.len() as i64,
        sha256: checked.sha256,
        created_at: at,
    })
}

/// The applicant removes a file while the application may be changed.
pub async fn remove(app: &App, actor: &Actor, file_id: i64) -> AppResult<i64> {
    let (file, _) = files::get(app.store.pool(), file_id)
        .await?
        .ok_or(AppError::NotFound("附件"))?;
    let view = get(app, actor, file.application_id)
        .await
        .map_err(|_| AppError::NotFound("附件"))?;
    if crate::access::own_institution_id(actor) != Some(view.application.institution_id) {
        return Err(crate::access::refusal(actor));
    }
    if !view.capabilities.edit {
        return Err(AppError::WrongState("该申报已提交，不能删除附件".into()));
    }
    let mut work = UnitOfWork::begin(app).await?;
    files::delete(work.tx(), file_id).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "application.file-remove",
        entity: "application",
        entity_id: file.application_id.to_string(),
        before: Some(json!({ "file": file_id, "filename": file.filename, "sha256": file.sha256 })),
        after: None,
    });
    work.commit().await?;
    Ok(file.application_id)
}

/// A file's bytes, for whoever may read its application.
pub async fn read(app: &App, actor: &Actor, file_id: i64) -> AppResult<(ApplicationFile, Vec<u8>)> {
    let (file, bytes) = files::get(app.store.pool(), file_id)
        .await?
        .ok_or(AppError::NotFound("附件"))?;
    get(app, actor, file.application_id)
        .await
        .map_err(|error| match error {
            AppError::Unauthenticated => AppError::Unauthenticated,
            _ => AppError::NotFound("附件"),
        })?;
    Ok((file, bytes))
}

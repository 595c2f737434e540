//! Institutions: admins create and edit them, their own users edit their profile, district
//! officers see those of their district, everyone sees the public directory.

use serde_json::{Value as Json, json};
use zijin_domain::{
    Coded, CreditCode, Institution, InstitutionDetails, InstitutionInput, InstitutionProfile,
    InstitutionType,
};
pub use zijin_store::institutions::ListFilter;
use zijin_store::institutions::{self, UNIQUE_CREDIT_CODE};
use zijin_store::{StoreError, audit};

use crate::{Actor, App, AppError, AppResult, Paged, access};

/// How an institution is recorded in the audit log.
pub fn audit_snapshot(institution: &Institution) -> Json {
    let details = &institution.details;
    json!({
        "name": details.name,
        "kind": details.kind.code(),
        "credit_code": details.credit_code.as_str(),
        "district": details.district.code(),
        "tags": details.tags.iter().map(|tag| tag.code()).collect::<Vec<_>>(),
        "address": details.profile.address,
        "contact_name": details.profile.contact_name,
        "contact_phone": details.profile.contact_phone,
        "description": details.profile.description,
        "is_demo": institution.is_demo,
    })
}

/// May this actor see the institution's non-public fields (contacts, address)?
/// (See [`access::institution`].)
pub fn can_see_details(actor: &Actor, institution: &Institution) -> bool {
    access::institution(actor, institution).see_details
}

/// May this actor edit the institution's own profile?
pub fn can_edit_profile(actor: &Actor, institution: &Institution) -> bool {
    access::institution(actor, institution).edit_profile
}

pub async fn create(
    app: &App,
    actor: &Actor,
    input: &InstitutionInput<'_>,
) -> AppResult<Institution> {
    access::require(actor, access::Area::EditInstitutions)?;
    let details = InstitutionDetails::parse(input)?;
    insert(app, actor, &details, false).await
}

/// Inserts a valid institution with its audit entry (also used by the demo generator).
pub(crate) async fn insert(
    app: &App,
    actor: &Actor,
    details: &InstitutionDetails,
    is_demo: bool,
) -> AppResult<Institution> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let id = institutions::insert(&mut tx, details, is_demo, now)
        .await
        .map_err(duplicate_to_field_error)?;
    let created = institutions::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "institution.create",
            entity: "institution",
            entity_id: id.to_string(),
            before: None,
            after: Some(audit_snapshot(&created)),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(created)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &InstitutionInput<'_>,
) -> AppResult<Institution> {
    access::require(actor, access::Area::EditInstitutions)?;
    let details = InstitutionDetails::parse(input)?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = institutions::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    institutions::update(&mut tx, id, &details, now)
        .await
        .map_err(duplicate_to_field_error)?;
    let after = institutions::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "institution.update",
            entity: "institution",
            entity_id: id.to_string(),
            before: Some(audit_snapshot(&before)),
            after: Some(audit_snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

/// An institution's own user (or an admin) changes its address, contact and description.
pub async fn update_profile(
    app: &App,
    actor: &Actor,
    id: i64,
    profile: (&str, &str, &str, &str),
) -> AppResult<Institution> {
    let (address, contact_name, contact_phone, description) = profile;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let before = institutions::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    if !can_edit_profile(actor, &before) {
        return Err(match actor {
            Actor::Anonymous => AppError::Unauthenticated,
            _ => AppError::Forbidden,
        });
    }
    let profile = InstitutionProfile::parse(address, contact_name, contact_phone, description)?;
    institutions::update_profile(&mut tx, id, &profile, now).await?;
    let after = institutions::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    audit::append(
        &mut tx,
        now,
        audit::Change {
            actor: actor.audit_name(),
            action: "institution.update-profile",
            entity: "institution",
            entity_id: id.to_string(),
            before: Some(audit_snapshot(&before)),
            after: Some(audit_snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

pub async fn get(app: &App, id: i64) -> AppResult<Institution> {
    institutions::get(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("机构"))
}

/// The public directory: every institution, with public fields only (callers hide the rest
/// unless [`can_see_details`]).
pub async fn list(
    app: &App,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Institution>> {
    Ok(institutions::list(
        app.store.pool(),
        filter,
        page.max(1),
        per_page.clamp(1, 200),
    )
    .await?)
}

/// The management listing: admins and reviewers see all, a district officer only their
/// district (whatever district the filter asks for).
pub async fn list_managed(
    app: &App,
    actor: &Actor,
    filter: &ListFilter,
    page: i64,
    per_page: i64,
) -> AppResult<Paged<Institution>> {
    let mut filter = filter.clone();
    if let Some(district) = access::institution_listing_district(actor)? {
        filter.district = Some(district);
    }
    list(app, &filter, page, per_page).await
}

/// How many institutions there are of each type (home page statistics).
pub async fn count_by_kind(app: &App) -> AppResult<Vec<(InstitutionType, i64)>> {
    Ok(institutions::count_by_kind(app.store.pool()).await?)
}

/// The institution registered under a credit code, if any.
pub async fn find_by_credit_code(app: &App, code: &CreditCode) -> AppResult<Option<Institution>> {
    Ok(institutions::get_by_credit_code(app.store.pool(), code).await?)
}

fn duplicate_to_field_error(error: StoreError) -> AppError {
    match error {
        StoreError::Duplicate { constraint } if constraint == UNIQUE_CREDIT_CODE => {
            AppError::duplicate(
                "credit_code",
                "该统一社会信用代码已被其他机构使用，不能重复登记",
            )
        }
        other => other.into(),
    }
}

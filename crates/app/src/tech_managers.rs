//! 技术经理人 (art. 20, issue 19 item 4): a flagged account keeps its profile (certificate
//! level and number, 技术领域, introduction, listed or not); the public directory shows those
//! who agreed to be listed with what the platform knows they did — registered contracts they
//! brokered and their 技术交易额, assigned matches that reached 签约 — last year and this year,
//! read from the registry and the matches, never typed.

use chrono::Datelike;
use serde_json::json;
use zijin_domain::{Coded, TechManagerProfileInput};
use zijin_store::audit::Change;
pub use zijin_store::tech_managers::{StoredProfile, YearFigures};

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// A person of the directory with their figures, newest year first.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub profile: StoredProfile,
    pub years: Vec<(i32, YearFigures)>,
}

/// The public directory: listed 技术经理人 with last year's and this year's figures.
pub async fn directory(app: &App) -> AppResult<Vec<DirectoryEntry>> {
    let pool = app.store().pool();
    let profiles = zijin_store::tech_managers::listed(pool).await?;
    let year = app.today().year();
    let ids: Vec<i64> = profiles.iter().map(|p| p.user_id).collect();
    let figures = zijin_store::tech_managers::figures(pool, &ids, year - 1, year).await?;
    Ok(profiles
        .into_iter()
        .map(|profile| {
            let years = [year, year - 1]
                .into_iter()
                .map(|y| {
                    (
                        y,
                        figures
                            .get(&(profile.user_id, y))
                            .cloned()
                            .unwrap_or_default(),
                    )
                })
                .collect();
            DirectoryEntry { profile, years }
        })
        .collect())
}

/// The actor's own profile (a flagged 技术经理人), if they have saved one.
pub async fn own_profile(app: &App, actor: &Actor) -> AppResult<Option<StoredProfile>> {
    access::require(actor, Area::TechManagerMatches)?;
    let user = actor.user().ok_or_else(|| access::refusal(actor))?;
    Ok(zijin_store::tech_managers::get(app.store().pool(), user.id).await?)
}

/// Saves the actor's own profile; a certificate number another person holds is refused.
pub async fn save_profile(
    app: &App,
    actor: &Actor,
    input: &TechManagerProfileInput,
) -> AppResult<StoredProfile> {
    access::require(actor, Area::TechManagerMatches)?;
    let user = actor.user().ok_or_else(|| access::refusal(actor))?;
    let profile = input.validate().map_err(AppError::Validation)?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let before = zijin_store::tech_managers::get(&mut **work.tx(), user.id).await?;
    match zijin_store::tech_managers::save(work.tx(), user.id, &profile, now).await {
        Err(zijin_store::StoreError::Duplicate { .. }) => {
            return Err(AppError::field(
                "certificate_number",
                "该证书编号已由另一位技术经理人登记，请核对",
            ));
        }
        other => other?,
    }
    let snapshot = |p: &zijin_domain::TechManagerProfile| {
        json!({
            "certificate_level": p.level.code(),
            "certificate_number": p.number.as_str(),
            "fields": p.fields.iter().map(|f| f.code()).collect::<Vec<_>>(),
            "listed": p.listed,
        })
    };
    work.audit(Change {
        actor: actor.audit_name(),
        action: "tech-manager.profile",
        entity: "user",
        entity_id: user.id.to_string(),
        before: before.as_ref().map(|b| snapshot(&b.profile)),
        after: Some(snapshot(&profile)),
    });
    work.commit().await?;
    zijin_store::tech_managers::get(app.store().pool(), user.id)
        .await?
        .ok_or(AppError::NotFound("技术经理人资料"))
}

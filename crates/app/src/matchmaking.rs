//! Matchmaking (对接, arts. 2, 4, 9): recommendations stored when a record is approved, seen by
//! both sides; a side marks interest (有意向), which notifies the other; each match moves
//! 推荐 → 意向 → 洽谈 → 签约 or 终止, with dates, audited; the bureau sees the funnel.
//!
//! The deal flow on a match (issue 15) lives in the submodules: `steps` (moving a match, ending
//! it with a reason), `listing` (我的对接 with filters, a technology manager's matches, every
//! match for the bureau), `detail` (one match with its thread and, once both sides marked
//! interest, the other side's contacts — every view of them audited), `thread` (洽谈 messages)
//! and `tech_manager` (assigning a 技术经理人). Who may do what is `access::deal`'s.

mod detail;
mod listing;
mod steps;
pub(crate) mod tech_manager;
mod thread;

pub use detail::{MatchDetail, PartyContact, detail, summary};
pub use listing::{MatchFilter, MatchList, MatchListing, MatchQuery, list};
pub use steps::{sign, take_step, terminate};
pub use tech_manager::{TechManagerChoice, assign_tech_manager, tech_managers};
pub use thread::post_message;
pub use zijin_store::match_messages::MatchMessage;

use serde_json::json;
use zijin_domain::{Coded, MatchStage, RecordKind};
use zijin_store::StoreError;
use zijin_store::audit::{self, Change};
use zijin_store::matches::{self, MatchRow, Notification};
use zijin_store::search_feed;

use crate::access::{self, MatchCapabilities, MatchFacts, MatchSide};
use crate::{Actor, App, AppError, AppResult};

/// A match as one actor sees it: reasons in words, the actor's side (if they hold one) and what
/// they may do with it. Pages and the API render this one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenMatch {
    pub row: MatchRow,
    /// The side the actor's institution holds, if any.
    pub side: Option<MatchSide>,
    pub capabilities: MatchCapabilities,
}

impl SeenMatch {
    /// The other side's institution, for a side; None for the others.
    pub fn counterpart_institution(&self) -> Option<&str> {
        self.side.map(|side| match side {
            MatchSide::Demand => self.row.achievement_institution.as_str(),
            MatchSide::Achievement => self.row.demand_institution.as_str(),
        })
    }

    /// 匹配度 in whole percent.
    pub fn score_percent(&self) -> i64 {
        zijin_domain::matchmaking::score_percent(self.row.score_milli)
    }
}

/// What the access rules need of a stored match.
pub(crate) fn facts_of(row: &MatchRow) -> AppResult<MatchFacts> {
    Ok(MatchFacts {
        demand_owner: row.demand_owner,
        achievement_owner: row.achievement_owner,
        tech_manager_id: row.tech_manager_id,
        stage: stage_of(row)?,
        demand_interested: row.demand_interested,
        achievement_interested: row.achievement_interested,
    })
}

pub(crate) fn stage_of(row: &MatchRow) -> AppResult<MatchStage> {
    MatchStage::from_code(&row.stage)
        .ok_or_else(|| AppError::Internal(format!("未知的对接阶段 {}", row.stage)))
}

/// The match as `actor` may see it (reasons without the weights older rows carry), or None when
/// they may not read it.
pub(crate) fn seen_by(actor: &Actor, mut row: MatchRow) -> AppResult<Option<SeenMatch>> {
    let facts = facts_of(&row)?;
    let capabilities = access::match_capabilities(actor, &facts);
    if !capabilities.read {
        return Ok(None);
    }
    let side = access::match_side(actor, row.demand_owner, row.achievement_owner).ok();
    row.reasons = row
        .reasons
        .iter()
        .map(|reason| zijin_domain::matchmaking::reason_in_words(reason).to_string())
        .collect();
    Ok(Some(SeenMatch {
        row,
        side,
        capabilities,
    }))
}

/// Everyone around a match but the one who acts: the institutions of the two sides (once, if one
/// institution holds both) and the technology manager.
pub(crate) async fn notify_others(
    tx: &mut zijin_store::WriteTx,
    actor: &Actor,
    row: &MatchRow,
    message: &str,
    at: &str,
) -> AppResult<()> {
    let link = format!("/matches/{}", row.id);
    let own = access::own_institution_id(actor);
    let mut institutions = vec![row.demand_owner];
    if row.achievement_owner != row.demand_owner {
        institutions.push(row.achievement_owner);
    }
    for institution in institutions.into_iter().filter(|id| Some(*id) != own) {
        matches::notify(tx, institution, message, &link, at).await?;
    }
    if let Some(manager) = row.tech_manager_id
        && actor.user().is_none_or(|user| user.id != manager)
    {
        matches::notify_user(tx, manager, message, &link, at).await?;
    }
    Ok(())
}

/// "需求 ⇄ 成果" titles as notifications name a match.
pub(crate) fn match_title(row: &MatchRow) -> String {
    format!("“{}”⇄“{}”", row.demand_title, row.achievement_title)
}

/// Stores the best recommendations for a reviewed record (achievements for a demand, demands
/// for an achievement); returns how many new pairs were recommended. Without a search index
/// (a command that does not search) nothing is recommended.
pub async fn recommend_for_record(app: &App, kind: RecordKind, id: i64) -> AppResult<usize> {
    let Some(search) = app.search() else {
        return Ok(0);
    };
    // The index must hold the newest reviewed records before it is asked.
    search.catch_up(app).await?;
    let config = search.config().candidates.clone();
    let found = search.recommend_for(app, kind, id, config.keep).await?;
    let seeker = search_feed::records_by_id(app.store.pool(), kind, &[id]).await?;
    let Some(seeker) = seeker.first() else {
        return Ok(0);
    };
    let now = app.now();
    let at = zijin_store::timestamp(now);
    let mut tx = app.store.begin_write().await?;
    let mut made = 0;
    for recommendation in found.iter().filter(|r| r.score >= config.minimum_score) {
        let other = i64::try_from(recommendation.id).unwrap_or_default();
        let (demand_id, achievement_id) = match kind {
            RecordKind::Demand => (id, other),
            RecordKind::Achievement => (other, id),
        };
        // Field and district of the demand, for the funnel.
        let (field, district) = match kind {
            RecordKind::Demand => (
                crate::search::document(seeker).profile.field,
                seeker.district.clone(),
            ),
            RecordKind::Achievement => {
                let demand =
                    search_feed::records_by_id(app.store.pool(), RecordKind::Demand, &[demand_id])
                        .await?;
                match demand.first() {
                    Some(demand) => (
                        crate::search::document(demand).profile.field,
                        demand.district.clone(),
                    ),
                    None => continue,
                }
            }
        };
        let reasons = recommendation.reasons();
        let score_milli = (recommendation.score * 1000.0).round() as i64;
        if matches::recommend(
            &mut tx,
            demand_id,
            achievement_id,
            score_milli,
            &reasons,
            &field,
            &district,
            &at,
        )
        .await?
        {
            made += 1;
            audit::append(
                &mut tx,
                now,
                Change {
                    actor: Actor::System("matchmaking").audit_name(),
                    action: "match.recommend",
                    entity: "match",
                    entity_id: format!("{demand_id}-{achievement_id}"),
                    before: None,
                    after: Some(json!({
                        "demand_id": demand_id, "achievement_id": achievement_id,
                        "score": recommendation.score, "reasons": reasons,
                    })),
                },
            )
            .await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(made)
}

/// An institution's matches and notifications.
pub async fn mine(app: &App, actor: &Actor) -> AppResult<(Vec<MatchRow>, Vec<Notification>)> {
    access::require(actor, access::Area::OwnMatches)?;
    let id = access::require_own_institution(actor)?;
    let pool = app.store.pool();
    Ok((
        matches::for_institution(pool, id).await?,
        matches::notifications(pool, id).await?,
    ))
}

/// The funnel: matches per stage, by field and district, with the conversion rate (签约 ÷ all)
/// and the trend by Beijing month of recommendation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Funnel {
    /// (field code, district code, counts per stage in `MatchStage::ALL` order).
    pub rows: Vec<(String, String, [i64; 5])>,
    pub totals: [i64; 5],
    /// (month as `2026-11`, counts per stage of the matches recommended that month), oldest
    /// first, months without matches included.
    pub trend: Vec<(String, [i64; 5])>,
}

impl Funnel {
    /// Signed ÷ recommended in all, in percent with one decimal, or None when nothing was
    /// recommended.
    pub fn conversion_percent(&self) -> Option<String> {
        let all: i64 = self.totals.iter().sum();
        (all > 0).then(|| format!("{:.1}%", self.totals[3] as f64 * 100.0 / all as f64))
    }
}

/// The bureau sees every district; a district officer only theirs.
pub async fn funnel(app: &App, actor: &Actor) -> AppResult<Funnel> {
    funnel_between(app, actor, None, None).await
}

/// [`funnel`] of the matches recommended between two Beijing dates (inclusive, `2026-11-01`).
pub async fn funnel_between(
    app: &App,
    actor: &Actor,
    from: Option<&str>,
    until: Option<&str>,
) -> AppResult<Funnel> {
    let district = access::funnel_district(actor)?.map(|district| district.code().to_string());
    let day = |text: &str, field: &'static str| {
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field(field, "日期应写成 2026-11-01 这样的格式"))
    };
    let from_day = from
        .filter(|t| !t.trim().is_empty())
        .map(|t| day(t, "from"))
        .transpose()?;
    let until_day = until
        .filter(|t| !t.trim().is_empty())
        .map(|t| day(t, "until"))
        .transpose()?;
    if let (Some(a), Some(b)) = (from_day, until_day)
        && a > b
    {
        return Err(AppError::field("until", "截止日期不能早于起始日期"));
    }
    let scope = matches::FunnelScope {
        district,
        from: from_day.and_then(|d| crate::auth::beijing_day_start(&d.to_string())),
        until: until_day.and_then(|d| crate::auth::beijing_day_end(&d.to_string())),
    };
    funnel_in(app, &scope).await
}

/// The funnel of one district's matches (or all), whole period; the caller checked access.
pub(crate) async fn funnel_of(
    app: &App,
    district: Option<String>,
    from: Option<String>,
    until: Option<String>,
) -> AppResult<Funnel> {
    funnel_in(
        app,
        &matches::FunnelScope {
            district,
            from,
            until,
        },
    )
    .await
}

async fn funnel_in(app: &App, scope: &matches::FunnelScope) -> AppResult<Funnel> {
    let scope = scope.clone();
    let position = |stage: &str| MatchStage::ALL.iter().position(|s| s.code() == stage);
    let mut funnel = Funnel::default();
    for (field, district, stage, n) in matches::funnel(app.store.pool(), &scope).await? {
        let Some(position) = position(&stage) else {
            continue;
        };
        match funnel
            .rows
            .iter_mut()
            .find(|(f, d, _)| *f == field && *d == district)
        {
            Some((_, _, counts)) => counts[position] += n,
            None => {
                let mut counts = [0; 5];
                counts[position] = n;
                funnel.rows.push((field, district, counts));
            }
        }
        funnel.totals[position] += n;
    }
    funnel.rows.sort();
    let mut months: std::collections::BTreeMap<String, [i64; 5]> = Default::default();
    for (day_text, late, stage, n) in matches::funnel_by_day(app.store.pool(), &scope).await? {
        let (Ok(utc_day), Some(position)) = (
            chrono::NaiveDate::parse_from_str(&day_text, "%Y-%m-%d"),
            position(&stage),
        ) else {
            continue;
        };
        let beijing_day = if late {
            utc_day.succ_opt().unwrap_or(utc_day)
        } else {
            utc_day
        };
        months
            .entry(beijing_day.format("%Y-%m").to_string())
            .or_default()[position] += n;
    }
    // Every month between the first and the last, so a quiet month shows as zero.
    if let (Some(first), Some(last)) =
        (months.keys().next().cloned(), months.keys().last().cloned())
    {
        let mut month = chrono::NaiveDate::parse_from_str(&format!("{first}-01"), "%Y-%m-%d")
            .map_err(|e| AppError::Internal(e.to_string()))?;
        while month.format("%Y-%m").to_string() <= last {
            let key = month.format("%Y-%m").to_string();
            funnel
                .trend
                .push((key.clone(), months.get(&key).copied().unwrap_or_default()));
            month = month
                .checked_add_months(chrono::Months::new(1))
                .ok_or_else(|| AppError::Internal("month overflow".into()))?;
        }
    }
    Ok(funnel)
}

//! Matchmaking (对接, arts. 2, 4, 9): recommendations stored when a record is approved, seen by
//! both sides; a side marks interest (有意向), which notifies the other; each match moves
//! 推荐 → 意向 → 洽谈 → 签约 or 终止, with dates, audited; the bureau sees the funnel.

use serde_json::json;
use zijin_domain::{Coded, MatchStage, MatchStep, RecordKind};
use zijin_store::StoreError;
use zijin_store::audit::{self, Change};
use zijin_store::matches::{self, MatchRow, Notification};
use zijin_store::search_feed;

use crate::access::{self, MatchSide as Side};
use crate::{Actor, App, AppError, AppResult};

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

fn side_of(actor: &Actor, row: &MatchRow) -> AppResult<Side> {
    access::match_side(actor, row.demand_owner, row.achievement_owner)
}

/// A side takes a step; interest notifies the other side.
pub async fn take_step(app: &App, actor: &Actor, id: i64, step: MatchStep) -> AppResult<MatchRow> {
    let now = app.now();
    let at = zijin_store::timestamp(now);
    let mut tx = app.store.begin_write().await?;
    let mut row = matches::get(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("对接记录"))?;
    let side = side_of(actor, &row)?;
    let stage = MatchStage::from_code(&row.stage)
        .ok_or_else(|| AppError::Internal(format!("未知的对接阶段 {}", row.stage)))?;
    let next = stage
        .apply(step)
        .map_err(|message| AppError::field("stage", message))?;
    let before = json!({"stage": row.stage, "demand_interested": row.demand_interested, "achievement_interested": row.achievement_interested});
    if step == MatchStep::Interest {
        let already = match side {
            Side::Demand => std::mem::replace(&mut row.demand_interested, true),
            Side::Achievement => std::mem::replace(&mut row.achievement_interested, true),
        };
        if already {
            return Err(AppError::field("stage", "已经表示过意向"));
        }
        row.interested_at.get_or_insert_with(|| at.clone());
        let (other, message) = match side {
            Side::Demand => (
                row.achievement_owner,
                format!(
                    "需求“{}”的企业对您的成果“{}”表示有意向",
                    row.demand_title, row.achievement_title
                ),
            ),
            Side::Achievement => (
                row.demand_owner,
                format!(
                    "成果“{}”的单位对您的需求“{}”表示有意向",
                    row.achievement_title, row.demand_title
                ),
            ),
        };
        matches::notify(&mut tx, other, &message, "/my/matches", &at).await?;
    }
    match next {
        MatchStage::Negotiating if stage != MatchStage::Negotiating => {
            row.negotiating_at = Some(at.clone())
        }
        MatchStage::Signed | MatchStage::Terminated => row.closed_at = Some(at.clone()),
        _ => {}
    }
    row.stage = next.code().to_string();
    matches::save(&mut tx, &row, &at).await?;
    audit::append(
        &mut tx,
        now,
        Change {
            actor: actor.audit_name(),
            action: match step {
                MatchStep::Interest => "match.interest",
                MatchStep::Negotiate => "match.negotiate",
                MatchStep::Sign => "match.sign",
                MatchStep::Terminate => "match.terminate",
            },
            entity: "match",
            entity_id: id.to_string(),
            before: Some(before),
            after: Some(json!({"stage": row.stage, "demand_interested": row.demand_interested, "achievement_interested": row.achievement_interested})),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(row)
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

/// The funnel: matches per stage, by field and district, with the conversion rate (签约 ÷ all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Funnel {
    /// (field code, district code, counts per stage in `MatchStage::ALL` order).
    pub rows: Vec<(String, String, [i64; 5])>,
    pub totals: [i64; 5],
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
    let district = access::funnel_district(actor)?.map(|district| district.code());
    let mut funnel = Funnel::default();
    for (field, district, stage, n) in matches::funnel(app.store.pool(), district).await? {
        let Some(position) = MatchStage::ALL.iter().position(|s| s.code() == stage) else {
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
    Ok(funnel)
}

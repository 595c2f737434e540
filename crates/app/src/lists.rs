//! List issues (两项清单, art. 2): an admin opens an issue, previews it, and publishes it. A
//! published issue holds a frozen snapshot of every listed record — what the public saw then —
//! and later edits to a record never change it.

use std::collections::HashMap;

use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use zijin_domain::{
    Achievement, Coded, Demand, Institution, ListIssue, RecordKind, RecordStatus, mask_phone,
};
use zijin_store::lists::{self, Difference, Entry, EntryFilter, UNIQUE_ISSUE_TITLE};
use zijin_store::{StoreError, audit, institutions, records};

use crate::access::{self, Area};
use crate::records::{achievement_snapshot, demand_snapshot};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

pub use zijin_store::lists::{
    COUNT_LIMIT, Difference as IssueDifference, Entry as IssueEntry, EntryFilter as IssueFilter,
    EntryPage, PageAt,
};

/// What publishing an issue would include now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub achievements: usize,
    pub demands: usize,
    /// Records that are approved but were not in any issue yet.
    pub newly_approved: usize,
}

pub async fn open_issue(app: &App, actor: &Actor, title: &str) -> AppResult<ListIssue> {
    let mut work = UnitOfWork::begin(app).await?;
    let id = open_issue_in(&mut work, actor, title).await?;
    work.commit().await?;
    issue(app, id).await
}

/// Opens an issue inside the caller's unit of work; returns its id.
pub(crate) async fn open_issue_in(
    work: &mut UnitOfWork,
    actor: &Actor,
    title: &str,
) -> AppResult<i64> {
    access::require(actor, Area::ListIssues)?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 50 {
        return Err(AppError::field(
            "title",
            "请填写期次名称（如“2026年第4期”），不超过50个字符",
        ));
    }
    if let Some(problem) = zijin_domain::validation::line_problem(title) {
        return Err(AppError::field("title", format!("期次名称{problem}")));
    }
    let now = work.now();
    lists::lock_issues(work.tx()).await?;
    let id = lists::open_issue(work.tx(), title, now)
        .await
        .map_err(|error| match error {
            StoreError::Duplicate { constraint } if constraint == UNIQUE_ISSUE_TITLE => {
                AppError::duplicate("title", format!("已有名为“{title}”的一期清单"))
            }
            other => other.into(),
        })?;
    work.audit(audit::Change {
        actor: actor.audit_name(),
        action: "list-issue.open",
        entity: "list-issue",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({"title": title})),
    });
    Ok(id)
}

/// The next title of this year's numbering (“2026年第4期” after “2026年第3期”), read inside
/// the caller's unit of work with the issues locked, so two units never choose the same one.
pub(crate) async fn next_issue_title_in(work: &mut UnitOfWork) -> AppResult<String> {
    lists::lock_issues(work.tx()).await?;
    let year = work.now().format("%Y").to_string();
    let prefix = format!("{year}年第");
    let last = lists::issues(&mut **work.tx())
        .await?
        .iter()
        .filter_map(|i| {
            i.title
                .strip_prefix(&prefix)?
                .strip_suffix('期')?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    Ok(format!("{year}年第{}期", last + 1))
}

pub async fn issue(app: &App, id: i64) -> AppResult<ListIssue> {
    lists::get_issue(app.store.pool(), id)
        .await?
        .ok_or(AppError::NotFound("清单期次"))
}

/// Every issue, newest first; only admins see the ones not yet published.
pub async fn issues(app: &App, actor: &Actor) -> AppResult<Vec<ListIssue>> {
    let all = lists::issues(app.store.pool()).await?;
    Ok(all
        .into_iter()
        .filter(|issue| access::may_read_issue(actor, issue.published))
        .collect())
}

pub async fn preview(app: &App, actor: &Actor) -> AppResult<Preview> {
    access::require(actor, Area::ListIssues)?;
    let pool = app.store.pool();
    let achievements = records::listed_achievements(pool).await?;
    let demands = records::listed_demands(pool).await?;
    let newly_approved = achievements
        .iter()
        .filter(|a| a.status == RecordStatus::Approved)
        .count()
        + demands
            .iter()
            .filter(|d| d.status == RecordStatus::Approved)
            .count();
    Ok(Preview {
        achievements: achievements.len(),
        demands: demands.len(),
        newly_approved,
    })
}

/// One record a draft issue would take in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRecord {
    pub id: i64,
    pub title: String,
    /// The technical field's code.
    pub field: String,
    /// Approved since the last issue (not in any issue yet).
    pub new: bool,
}

/// What publishing now would put into the issue, for one kind: every record, new ones first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindPreview {
    pub records: Vec<PreviewRecord>,
    /// (field code, count), largest first.
    pub by_field: Vec<(String, usize)>,
}

/// The records the next publication would take in, by kind (admins only): the draft issue's
/// page shows exactly these before anyone presses 发布.
pub async fn preview_records(app: &App, actor: &Actor, kind: RecordKind) -> AppResult<KindPreview> {
    access::require(actor, Area::ListIssues)?;
    let pool = app.store.pool();
    let mut records: Vec<PreviewRecord> = match kind {
        RecordKind::Achievement => records::listed_achievements(pool)
            .await?
            .into_iter()
            .map(|a| PreviewRecord {
                id: a.id,
                new: a.status == RecordStatus::Approved,
                title: a.details.title,
                field: a.details.field,
            })
            .collect(),
        RecordKind::Demand => records::listed_demands(pool)
            .await?
            .into_iter()
            .map(|d| PreviewRecord {
                id: d.id,
                new: d.status == RecordStatus::Approved,
                title: d.details.title,
                field: d.details.field,
            })
            .collect(),
    };
    records.sort_by_key(|r| (!r.new, r.id));
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for record in &records {
        *counts.entry(record.field.as_str()).or_default() += 1;
    }
    let mut by_field: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(f, n)| (f.to_string(), n))
        .collect();
    by_field.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(KindPreview { records, by_field })
}

fn institution_json(institution: Option<&Institution>) -> Json {
    match institution {
        Some(i) => {
            json!({"id": i.id, "name": i.details.name, "kind": i.details.kind.code(), "district": i.details.district.code()})
        }
        None => Json::Null,
    }
}

/// The public view of a record as frozen in an issue: contacts are masked.
fn public_snapshot(mut snapshot: Json, institution: Option<&Institution>) -> Json {
    if let Some(phone) = snapshot["contact_phone"].as_str() {
        snapshot["contact_phone"] = json!(mask_phone(phone));
    }
    if let Some(object) = snapshot.as_object_mut() {
        object.remove("review_comment");
        object.remove("status");
    }
    snapshot["institution"] = institution_json(institution);
    snapshot
}

/// The frozen text of a record and its hash (to find what changed between issues).
fn freeze(snapshot: Json, institution: Option<&Institution>) -> (String, String) {
    let text = public_snapshot(snapshot, institution).to_string();
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    (text, hash)
}

/// District and institution type codes of a record's institution.
fn location(institution: Option<&Institution>) -> (String, String) {
    institution
        .map(|i| {
            (
                i.details.district.code().to_string(),
                i.details.kind.code().to_string(),
            )
        })
        .unwrap_or_default()
}

fn achievement_entry(a: &Achievement, institutions: &HashMap<i64, Institution>) -> Entry {
    let institution = institutions.get(&a.institution_id);
    let (snapshot, snapshot_hash) = freeze(achievement_snapshot(a), institution);
    let (district, institution_kind) = location(institution);
    Entry {
        kind: RecordKind::Achievement,
        record_id: a.id,
        title: a.details.title.clone(),
        field: a.details.field.clone(),
        district,
        institution_kind,
        trl: Some(i64::from(a.details.trl.level())),
        modes: a
            .details
            .transfer_modes
            .iter()
            .map(|m| m.code().to_string())
            .collect(),
        priority: a.priority,
        snapshot,
        snapshot_hash,
    }
}

fn demand_entry(d: &Demand, institutions: &HashMap<i64, Institution>) -> Entry {
    let institution = institutions.get(&d.institution_id);
    let (snapshot, snapshot_hash) = freeze(demand_snapshot(d), institution);
    let (district, institution_kind) = location(institution);
    Entry {
        kind: RecordKind::Demand,
        record_id: d.id,
        title: d.details.title.clone(),
        field: d.details.field.clone(),
        district,
        institution_kind,
        trl: None,
        modes: d
            .details
            .cooperation_modes
            .iter()
            .map(|m| m.code().to_string())
            .collect(),
        priority: d.priority,
        snapshot,
        snapshot_hash,
    }
}

/// Publishes an open issue: freezes every approved or published record into it, and moves
/// the approved ones to published. One transaction; all or nothing.
pub async fn publish(app: &App, actor: &Actor, issue_id: i64) -> AppResult<ListIssue> {
    let mut work = UnitOfWork::begin(app).await?;
    let published = publish_in(&mut work, actor, issue_id).await?;
    work.commit().await?;
    recommend_for_published(app, published);
    self::issue(app, issue_id).await
}

/// What a publication did, for the work that follows its commit.
pub(crate) struct Published {
    /// The demands listed in the issue, to recommend achievements for.
    demand_ids: Vec<i64>,
}

/// Publishes an open issue inside the caller's unit of work (see [`publish`]).
pub(crate) async fn publish_in(
    work: &mut UnitOfWork,
    actor: &Actor,
    issue_id: i64,
) -> AppResult<Published> {
    access::require(actor, Area::ListIssues)?;
    let now = work.now();
    // Locked before the issue is read, so two publications of one issue cannot both find it
    // open.
    lists::lock_issues(work.tx()).await?;
    let tx = work.tx();
    let issue = lists::get_issue(&mut **tx, issue_id)
        .await?
        .ok_or(AppError::NotFound("清单期次"))?;
    if issue.published {
        return Err(AppError::field(
            "issue",
            format!("“{}”已经发布，内容已冻结，不能再次发布", issue.title),
        ));
    }
    let institutions: HashMap<i64, Institution> = institutions::all(&mut **tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let achievements = records::listed_achievements(&mut **tx).await?;
    let demands = records::listed_demands(&mut **tx).await?;
    let mut entries: Vec<Entry> = achievements
        .iter()
        .map(|a| achievement_entry(a, &institutions))
        .collect();
    entries.extend(demands.iter().map(|d| demand_entry(d, &institutions)));
    lists::insert_entries(tx, issue_id, &entries).await?;

    let mut changes = Vec::new();
    let published = |kind: RecordKind, id: i64| audit::Change {
        actor: actor.audit_name(),
        action: match kind {
            RecordKind::Achievement => "achievement.publish",
            RecordKind::Demand => "demand.publish",
        },
        entity: kind.code(),
        entity_id: id.to_string(),
        before: Some(json!({"status": "approved"})),
        after: Some(json!({"status": "published", "list_issue": issue_id})),
    };
    changes.extend(
        achievements
            .iter()
            .filter(|a| a.status == RecordStatus::Approved)
            .map(|a| published(RecordKind::Achievement, a.id)),
    );
    changes.extend(
        demands
            .iter()
            .filter(|d| d.status == RecordStatus::Approved)
            .map(|d| published(RecordKind::Demand, d.id)),
    );
    records::publish_all_approved(tx, RecordKind::Achievement, now).await?;
    records::publish_all_approved(tx, RecordKind::Demand, now).await?;
    lists::mark_published(tx, issue_id, now).await?;
    changes.push(audit::Change {
        actor: actor.audit_name(),
        action: "list-issue.publish",
        entity: "list-issue",
        entity_id: issue_id.to_string(),
        before: Some(json!({"title": issue.title, "published": false})),
        after: Some(json!({"title": issue.title, "published": true, "achievements": achievements.len(), "demands": demands.len()})),
    });
    work.audit_all(changes);
    // The head after the publication's own entries: printed and kept with the issue, so a copy
    // made outside proves later that nothing up to the publication was rewritten or cut off.
    work.anchor_after_audit("list-issue", Some(issue_id));
    Ok(Published {
        demand_ids: demands.iter().map(|d| d.id).collect(),
    })
}

/// After a publication has committed: recommends achievements for every listed demand, in the
/// background — a large issue takes a while, and the publication itself is done.
pub(crate) fn recommend_for_published(app: &App, published: Published) {
    if app.search().is_none() {
        return;
    }
    let app = app.clone();
    let demand_ids = published.demand_ids;
    tokio::spawn(async move {
        let mut made = 0;
        for (done, id) in demand_ids.iter().enumerate() {
            match crate::matchmaking::recommend_for_record(&app, RecordKind::Demand, *id).await {
                Ok(n) => made += n,
                Err(error) => tracing::warn!(%error, demand = id, "生成对接推荐失败"),
            }
            if (done + 1) % 1000 == 0 {
                tracing::info!(done = done + 1, total = demand_ids.len(), "对接推荐生成中");
            }
        }
        tracing::info!(
            made,
            demands = demand_ids.len(),
            "清单发布后的对接推荐已生成"
        );
    });
}

/// One page of an issue's list. Unpublished issues are visible to admins only.
pub async fn entries(
    app: &App,
    actor: &Actor,
    issue_id: i64,
    kind: RecordKind,
    filter: &EntryFilter,
    at: PageAt,
    per_page: i64,
) -> AppResult<EntryPage> {
    let issue = issue(app, issue_id).await?;
    if !access::may_read_issue(actor, issue.published) {
        return Err(AppError::NotFound("清单期次"));
    }
    Ok(lists::entries(
        app.store.pool(),
        issue_id,
        kind,
        filter,
        at,
        per_page.clamp(1, 200),
    )
    .await?)
}

/// How an issue differs from the published issue before it (everything is new in the first).
pub async fn difference(
    app: &App,
    issue_id: i64,
    kind: RecordKind,
) -> AppResult<(Option<ListIssue>, Difference)> {
    let pool = app.store.pool();
    let issue = issue(app, issue_id).await?;
    if !issue.published {
        return Err(AppError::NotFound("清单期次"));
    }
    let previous = lists::previous_published(pool, issue_id).await?;
    let difference = match &previous {
        Some(previous) => lists::difference(pool, issue_id, previous.id, kind).await?,
        None => lists::difference(pool, issue_id, -1, kind).await?,
    };
    Ok((previous, difference))
}

/// One record as frozen in a published issue.
pub async fn entry(
    app: &App,
    actor: &Actor,
    issue_id: i64,
    kind: RecordKind,
    record_id: i64,
) -> AppResult<Entry> {
    let issue = issue(app, issue_id).await?;
    if !access::may_read_issue(actor, issue.published) {
        return Err(AppError::NotFound("清单期次"));
    }
    lists::get_entry(app.store.pool(), issue_id, kind, record_id)
        .await?
        .ok_or(AppError::NotFound("清单条目"))
}

//! The two lists (两项清单) in public, and their publication by admins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use zijin_app::lists::{self, IssueEntry, IssueFilter};
use zijin_app::{AppError, records};
use zijin_domain::{
    Coded, District, InstitutionType, Money, RecordKind, Stage, TechnicalField, TransferMode, Trl,
};

use super::{back_with_error, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{options, page_at, page_context, query_prefix, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/lists", get(index))
        .route("/lists/{id}", get(issue_page))
        .route("/lists/{id}/diff", get(diff_page))
        .route("/lists/{id}/{kind}/{record_id}", get(entry_page))
        .route("/admin/lists", post(open_issue))
        .route("/admin/lists/{id}/publish", post(publish))
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| AppError::NotFound("清单期次").into())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IndexQuery {
    saved: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<IndexQuery>,
) -> Result<Response, PageError> {
    let issues = lists::issues(&state.app, &visitor.actor).await?;
    let preview = if zijin_app::access::may(&visitor.actor, zijin_app::access::Area::ListIssues) {
        Some(lists::preview(&state.app, &visitor.actor).await?)
    } else {
        None
    };
    let items: Vec<_> = issues
        .iter()
        .map(|i| context! { id => i.id, title => i.title.clone(), published => i.published, published_at => i.published_at.as_deref().map(zijin_app::auth::display_time) })
        .collect();
    let base = page_context(&state.app, &visitor, "两项清单").await;
    Ok(html(
        StatusCode::OK,
        "lists.html",
        context! {
            issues => items,
            preview => preview.map(|p| context! { achievements => p.achievements, demands => p.demands, newly_approved => p.newly_approved }),
            error => visitor.flash.clone(), saved => query.saved.is_some(),
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OpenForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    title: String,
}

async fn open_issue(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<OpenForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match lists::open_issue(&state.app, &visitor.actor, &form.title).await {
        Ok(_) => Ok(Redirect::to("/lists?saved=1").into_response()),
        Err(error) => back_with_error("/lists", error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PublishForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    confirm: String,
}

/// 发布 freezes the issue for good: the draft's page shows what goes in, and the admin ticks
/// the confirmation before the button does anything.
async fn publish(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = parse_id(&id)?;
    let back = format!("/lists/{id}");
    if form.confirm != "yes" {
        zijin_app::access::require(&visitor.actor, zijin_app::access::Area::ListIssues)?;
        let mut errors = zijin_domain::FieldErrors::new();
        errors.add(
            "confirm",
            "请先核对本期将纳入的内容，勾选“确认发布”后再发布；发布后本期内容冻结，不能修改",
        );
        return back_with_error(&back, AppError::Validation(errors));
    }
    match lists::publish(&state.app, &visitor.actor, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/lists/{id}?published=1")).into_response()),
        Err(error) => back_with_error(&back, error),
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct IssueQuery {
    kind: String,
    q: String,
    field: String,
    district: String,
    stage: String,
    mode: String,
    institution_kind: String,
    priority: String,
    page: Option<String>,
    after: Option<String>,
    before: Option<String>,
    published: Option<String>,
}

impl IssueQuery {
    fn kind(&self) -> RecordKind {
        RecordKind::from_code(&self.kind).unwrap_or(RecordKind::Achievement)
    }

    fn filter(&self) -> IssueFilter {
        let some = |v: &String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let trl_range = Stage::from_code(&self.stage).map(|stage| {
            let levels: Vec<i64> = (1..=9)
                .filter_map(Trl::new)
                .filter(|t| t.stage() == stage)
                .map(|t| i64::from(t.level()))
                .collect();
            (levels[0], levels[levels.len() - 1])
        });
        IssueFilter {
            field: some(&self.field),
            district: District::from_code(&self.district).map(|d| d.code().to_string()),
            trl_range,
            mode: TransferMode::from_code(&self.mode).map(|m| m.code().to_string()),
            institution_kind: InstitutionType::from_code(&self.institution_kind)
                .map(|k| k.code().to_string()),
            title: some(&self.q),
            priority_only: self.priority == "1",
        }
    }
}

/// What a list row shows of a frozen entry.
#[derive(Serialize)]
struct EntryView {
    record_id: i64,
    kind: &'static str,
    title: String,
    field_label: String,
    trl_label: Option<String>,
    modes: Vec<String>,
    money: String,
    deadline: Option<String>,
    institution_name: String,
    institution_kind_label: String,
    district_label: String,
    priority: bool,
    snapshot: Json,
}

impl EntryView {
    fn new(entry: &IssueEntry, fields: &[TechnicalField]) -> Self {
        let snapshot: Json = serde_json::from_str(&entry.snapshot).unwrap_or(Json::Null);
        // Amounts with separators, and in 万元 beside them (the frozen snapshot keeps yuan).
        let amount = |key: &str| snapshot[key].as_str().and_then(|v| Money::parse(v).ok());
        let money = match entry.kind {
            RecordKind::Achievement => match amount("price") {
                None => "面议".to_string(),
                Some(price) => price.shown(),
            },
            RecordKind::Demand => Money::range_shown(amount("budget_min"), amount("budget_max")),
        };
        Self {
            record_id: entry.record_id,
            kind: entry.kind.code(),
            title: entry.title.clone(),
            field_label: fields
                .iter()
                .find(|f| f.code == entry.field)
                .map(|f| f.label.clone())
                .unwrap_or_else(|| entry.field.clone()),
            trl_label: entry
                .trl
                .and_then(|t| u8::try_from(t).ok())
                .and_then(Trl::new)
                .map(|t| t.label()),
            modes: entry
                .modes
                .iter()
                .filter_map(|m| TransferMode::from_code(m))
                .map(|m| m.label().to_string())
                .collect(),
            money,
            deadline: snapshot["deadline"].as_str().map(str::to_string),
            institution_name: snapshot["institution"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            institution_kind_label: InstitutionType::from_code(&entry.institution_kind)
                .map(|k| k.label().to_string())
                .unwrap_or_default(),
            district_label: District::from_code(&entry.district)
                .map(|d| d.label().to_string())
                .unwrap_or_default(),
            priority: entry.priority,
            snapshot,
        }
    }
}

async fn issue_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<IssueQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let issue = lists::issue(&state.app, id).await?;
    let kind = query.kind();
    if !issue.published {
        return draft_page(&state, &visitor, &issue, kind).await;
    }
    let at = page_at(
        query.page.as_deref(),
        query.after.as_deref(),
        query.before.as_deref(),
    );
    let paged = lists::entries(
        &state.app,
        &visitor.actor,
        id,
        kind,
        &query.filter(),
        at,
        20,
    )
    .await?;
    let fields = records::technical_fields(&state.app).await?;
    let items: Vec<EntryView> = paged
        .items
        .iter()
        .map(|e| EntryView::new(e, &fields))
        .collect();
    let pager_base = query_prefix(
        &format!("/lists/{id}"),
        &[
            ("kind", kind.code()),
            ("q", &query.q),
            ("field", &query.field),
            ("district", &query.district),
            ("stage", &query.stage),
            ("mode", &query.mode),
            ("institution_kind", &query.institution_kind),
            ("priority", &query.priority),
        ],
    );
    // The audit chain's head at publication: a reader may copy it to check the log later.
    let anchor = zijin_app::audit::issue_anchor(&state.app, id).await?;
    let base = page_context(&state.app, &visitor, &format!("两项清单 · {}", issue.title)).await;
    Ok(html(
        StatusCode::OK,
        "list_issue.html",
        context! {
            issue => context! { id => issue.id, title => issue.title.clone(), published => issue.published, published_at => issue.published_at.as_deref().map(zijin_app::auth::display_time) },
            kind => kind.code(), kind_label => kind.label(),
            items => ser(&items),
            paged => context! {
                page => paged.page, page_count => paged.page_count(),
                total => zijin_domain::group_thousands(&paged.total.to_string()), lower_bound => paged.total_is_lower_bound,
                has_previous => paged.has_previous, has_next => paged.has_next,
                first_id => paged.items.first().map(|e| e.record_id),
                last_id => paged.items.last().map(|e| e.record_id),
                end => i64::MAX,
            },
            pager_base, filter => ser(&query), just_published => query.published.is_some(),
            fields => ser(fields.iter().map(|f| context! { code => f.code.clone(), label => f.label.clone() }).collect::<Vec<_>>()),
            districts => ser(options::<District>()), stages => ser(options::<Stage>()), modes => ser(options::<TransferMode>()),
            institution_kinds => ser(options::<InstitutionType>()),
            audit_anchor => anchor.map(|a| context! { seq => a.seq, hash => a.hash }),
            ..base
        },
    ))
}

/// A draft issue (admins only): exactly what publishing now would take in — counts by kind
/// and technical field, the records themselves (new ones first) — and 发布 with its
/// confirmation.
async fn draft_page(
    state: &AppState,
    visitor: &Visitor,
    issue: &zijin_domain::ListIssue,
    kind: RecordKind,
) -> Result<Response, PageError> {
    // Nobody else learns that a draft exists.
    if !zijin_app::access::may(&visitor.actor, zijin_app::access::Area::ListIssues) {
        return Err(AppError::NotFound("清单期次").into());
    }
    let counts = lists::preview(&state.app, &visitor.actor).await?;
    let preview = lists::preview_records(&state.app, &visitor.actor, kind).await?;
    let fields = records::technical_fields(&state.app).await?;
    let label = |code: &str| {
        fields
            .iter()
            .find(|f| f.code == code)
            .map_or_else(|| "未分类".to_string(), |f| f.label.clone())
    };
    const SHOWN: usize = 200;
    let records: Vec<_> = preview
        .records
        .iter()
        .take(SHOWN)
        .map(|r| context! { id => r.id, title => r.title.clone(), field => label(&r.field), new => r.new })
        .collect();
    let by_field: Vec<_> = preview
        .by_field
        .iter()
        .map(|(code, n)| context! { label => label(code), count => n })
        .collect();
    let new_count = preview.records.iter().filter(|r| r.new).count();
    let base = page_context(
        &state.app,
        visitor,
        &format!("两项清单 · {}（待发布）", issue.title),
    )
    .await;
    Ok(html(
        StatusCode::OK,
        "list_draft.html",
        context! {
            issue => context! { id => issue.id, title => issue.title.clone() },
            kind => kind.code(), kind_label => kind.label(),
            achievements => counts.achievements, demands => counts.demands,
            total => counts.achievements + counts.demands,
            newly_approved => counts.newly_approved,
            kind_total => preview.records.len(), kind_new => new_count,
            hidden => preview.records.len().saturating_sub(SHOWN),
            records, by_field,
            error => visitor.flash.clone(),
            ..base
        },
    ))
}

async fn entry_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, kind, record_id)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let kind = RecordKind::from_code(&kind).ok_or(AppError::NotFound("清单条目"))?;
    let record_id: i64 = record_id
        .parse()
        .map_err(|_| PageError::from(AppError::NotFound("清单条目")))?;
    let issue = lists::issue(&state.app, id).await?;
    let entry = lists::entry(&state.app, &visitor.actor, id, kind, record_id).await?;
    let fields = records::technical_fields(&state.app).await?;
    let view = EntryView::new(&entry, &fields);
    let base = page_context(&state.app, &visitor, &entry.title).await;
    Ok(html(
        StatusCode::OK,
        "list_entry.html",
        context! { issue_title => issue.title.clone(), issue_id => id, e => ser(&view), ..base },
    ))
}

async fn diff_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<IssueQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let issue = lists::issue(&state.app, id).await?;
    let kind = query.kind();
    let (previous, difference) = lists::difference(&state.app, id, kind).await?;
    // Titles: new and changed from this issue, withdrawn from the previous one.
    let titled = |issue_id: i64, ids: &[i64]| {
        let state = state.clone();
        let visitor = visitor.clone();
        let ids = ids.to_vec();
        async move {
            let mut rows = Vec::new();
            for record_id in ids.iter().take(500) {
                if let Ok(entry) =
                    lists::entry(&state.app, &visitor.actor, issue_id, kind, *record_id).await
                {
                    rows.push(context! { record_id, title => entry.title, issue_id });
                }
            }
            rows
        }
    };
    let new = titled(id, &difference.new).await;
    let changed = titled(id, &difference.changed).await;
    let withdrawn = match &previous {
        Some(previous) => titled(previous.id, &difference.withdrawn).await,
        None => vec![],
    };
    let base = page_context(&state.app, &visitor, &format!("{} 与上期对比", issue.title)).await;
    Ok(html(
        StatusCode::OK,
        "list_diff.html",
        context! {
            issue_id => id, issue_title => issue.title.clone(), previous_title => previous.map(|p| p.title),
            kind => kind.code(), kind_label => kind.label(),
            new, changed, withdrawn,
            counts => context! { new => difference.new.len(), changed => difference.changed.len(), withdrawn => difference.withdrawn.len() },
            ..base
        },
    ))
}

pub fn fields_router() -> Routes {
    Routes::new().route("/admin/fields", get(fields_page).post(save_field))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FieldsQuery {
    saved: Option<String>,
}

async fn fields_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<FieldsQuery>,
) -> Result<Response, PageError> {
    zijin_app::access::require(&visitor.actor, zijin_app::access::Area::TechnicalFields)?;
    let fields = records::technical_fields(&state.app).await?;
    let base = page_context(&state.app, &visitor, "技术领域").await;
    Ok(html(
        StatusCode::OK,
        "fields.html",
        context! {
            fields => ser(fields.iter().map(|f| context! { code => f.code.clone(), label => f.label.clone() }).collect::<Vec<_>>()),
            error => visitor.flash.clone(), saved => query.saved.is_some(), ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FieldForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    code: String,
    label: String,
}

async fn save_field(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<FieldForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    match records::save_technical_field(&state.app, &visitor.actor, &form.code, &form.label).await {
        Ok(_) => Ok(Redirect::to("/admin/fields?saved=1").into_response()),
        Err(error) => back_with_error("/admin/fields", error),
    }
}

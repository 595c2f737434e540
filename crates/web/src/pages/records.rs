//! Achievements and demands: owners draft, edit and submit them; reviewers approve or return
//! them; everyone reads what is published.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::access::{self, Area};
use zijin_app::{Actor, AppError, institutions, records};
use zijin_domain::{
    AchievementInput, CloseReason, Coded, DemandInput, FieldErrors, RecordKind, RecordStatus,
    SourceFlag, TechnicalField, TransferMode, Transition, Trl,
};

use super::{back_with_error, error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{RecordView, options, page_context, page_number, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/my/{kinds}", get(mine).post(create))
        .route("/my/{kinds}/new", get(new_form))
        .route("/my/{kinds}/{id}/edit", get(edit_form))
        .route("/my/{kinds}/{id}", post(update))
        .route("/records/{kind}/{id}", get(detail))
        .route("/records/{kind}/{id}/{step}", post(step))
        .route(
            "/records/{kind}/{id}/attachments",
            post(upload).body_limit(records::MAX_ATTACHMENT_BYTES + 64 * 1024),
        )
        .route("/attachments/{id}", get(download))
}

/// Uploads one attachment; errors come back to the record page as a message.
async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((kind, id)): Path<(String, String)>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let back = format!("/records/{}/{id}", kind.code());
    let too_large = || {
        crate::flash::redirect_with_error(
            &back,
            &format!(
                "附件不能超过 {} MB",
                records::MAX_ATTACHMENT_BYTES / 1_048_576
            ),
        )
    };
    let Ok(mut multipart) = multipart else {
        return Ok(too_large());
    };
    let (mut csrf, mut file) = (String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let filename = field.file_name().unwrap_or("附件").to_string();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(too_large());
                };
                match name.as_str() {
                    "_csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = Some((filename, bytes)),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return Ok(too_large()),
        }
    }
    visitor.check_csrf(&csrf)?;
    let (filename, bytes) = file.unwrap_or_default();
    match records::add_attachment(&state.app, &visitor.actor, kind, id, &filename, &bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("{back}?saved=1")).into_response()),
        Err(error) => back_with_error(&back, error),
    }
}

async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let (attachment, bytes) = records::attachment(&state.app, &visitor.actor, id).await?;
    let disposition = crate::download::content_disposition(&attachment.filename);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, attachment.content_type),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// `achievements` / `achievement` → the kind.
fn kind_of(segment: &str) -> Result<RecordKind, PageError> {
    match segment {
        "achievements" | "achievement" => Ok(RecordKind::Achievement),
        "demands" | "demand" => Ok(RecordKind::Demand),
        _ => Err(AppError::NotFound("页面").into()),
    }
}

/// Only institutions' own users draft records.
fn require_institution_user(actor: &Actor) -> Result<(), PageError> {
    Ok(access::require(actor, Area::OwnRecords)?)
}

fn plural(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Achievement => "achievements",
        RecordKind::Demand => "demands",
    }
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| AppError::NotFound("记录").into())
}

/// The owner's name; an institution that no longer exists is named as such (never by its id).
pub(super) async fn institution_name(state: &AppState, id: i64) -> Result<String, PageError> {
    match institutions::get(&state.app, id).await {
        Ok(institution) => Ok(institution.details.name),
        Err(AppError::NotFound(_)) => Ok("（机构已不存在）".into()),
        Err(other) => Err(other.into()),
    }
}

/// The record as `app` shows it to this visitor: contacts masked for them, with what they may do.
async fn load_view(
    state: &AppState,
    actor: &Actor,
    kind: RecordKind,
    id: i64,
) -> Result<RecordView, PageError> {
    let fields = records::technical_fields(&state.app).await?;
    let seen = records::seen(&state.app, actor, kind, id).await?;
    let name = institution_name(state, seen.record.institution_id()).await?;
    Ok(RecordView::seen(&seen, &fields, &name))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: Option<String>,
    saved: Option<String>,
}

async fn record_list(
    state: &AppState,
    actor: &Actor,
    kind: RecordKind,
    statuses: Vec<RecordStatus>,
    page: i64,
) -> Result<(Vec<RecordView>, i64, i64), PageError> {
    let fields = records::technical_fields(&state.app).await?;
    let mut views = Vec::new();
    let (total, pages) = match kind {
        RecordKind::Achievement => {
            let paged = records::list_achievements(&state.app, actor, statuses, page, 20).await?;
            for a in &paged.items {
                views.push(RecordView::achievement(
                    a,
                    &fields,
                    &institution_name(state, a.institution_id).await?,
                    access::record(actor, a.institution_id, a.status),
                ));
            }
            (paged.total, paged.page_count())
        }
        RecordKind::Demand => {
            let paged = records::list_demands(&state.app, actor, statuses, page, 20).await?;
            for d in &paged.items {
                views.push(RecordView::demand(
                    d,
                    &fields,
                    &institution_name(state, d.institution_id).await?,
                    access::record(actor, d.institution_id, d.status),
                ));
            }
            (paged.total, paged.page_count())
        }
    };
    Ok((views, total, pages))
}

async fn mine(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(kinds): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kinds)?;
    require_institution_user(&visitor.actor)?;
    let page = page_number(query.page.as_deref());
    let (items, total, page_count) =
        record_list(&state, &visitor.actor, kind, vec![], page).await?;
    let title = format!("本机构的{}", kind.label());
    let base = page_context(&state.app, &visitor, &title).await;
    Ok(html(
        StatusCode::OK,
        "records.html",
        context! {
            items => ser(&items), kind => kind.code(), kinds => plural(kind), kind_label => kind.label(),
            paged => context! { page, page_count, total }, pager_base => format!("/my/{}?", plural(kind)),
            can_create => true, saved => query.saved.is_some(), ..base
        },
    ))
}

/// The achievement and demand form as submitted (and as re-shown after an error).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct RecordForm {
    #[serde(rename = "_csrf", skip_serializing)]
    csrf: String,
    title: String,
    summary: String,
    description: String,
    field: String,
    keywords: String,
    trl: String,
    /// One item per line.
    ip_items: String,
    transfer_modes: Vec<String>,
    price: String,
    /// `wan` when the amount beside it is in 万元.
    price_unit: String,
    source_flags: Vec<String>,
    cooperation_modes: Vec<String>,
    budget_min: String,
    budget_min_unit: String,
    budget_max: String,
    budget_max_unit: String,
    wanted_trl: String,
    deadline: String,
    contact_name: String,
    contact_phone: String,
}

impl RecordForm {
    /// Amounts entered with the 万元 unit become yuan (an unreadable one stays as typed, for
    /// its error to name it); "120万" typed beside 元 is read by the domain as well.
    fn amounts_in_yuan(&mut self) {
        for (value, unit) in [
            (&mut self.price, &mut self.price_unit),
            (&mut self.budget_min, &mut self.budget_min_unit),
            (&mut self.budget_max, &mut self.budget_max_unit),
        ] {
            let text = value.trim();
            if unit.as_str() != "wan" || text.is_empty() || text == "面议" {
                continue;
            }
            let written = if text.ends_with('万') || text.ends_with("万元") {
                text.to_string()
            } else {
                format!("{text}万")
            };
            if let Ok(money) = zijin_domain::Money::parse_yuan_or_wan(&written) {
                *value = money.to_string();
                unit.clear();
            }
        }
    }

    fn from_view(view: &RecordView) -> Self {
        let achievement = view.kind == "achievement";
        Self {
            title: view.title.clone(),
            summary: if achievement {
                view.text.clone()
            } else {
                String::new()
            },
            description: if achievement {
                String::new()
            } else {
                view.text.clone()
            },
            field: view.field.clone(),
            keywords: view.keywords.join("、"),
            trl: view.trl.map(|t| t.to_string()).unwrap_or_default(),
            ip_items: view.ip_items.join("\n"),
            transfer_modes: if achievement {
                view.mode_codes.clone()
            } else {
                vec![]
            },
            price: if achievement {
                view.money_inputs[0].clone()
            } else {
                String::new()
            },
            budget_min: if achievement {
                String::new()
            } else {
                view.money_inputs[0].clone()
            },
            budget_max: view.money_inputs[1].clone(),
            source_flags: view.source_flag_codes.clone(),
            cooperation_modes: if achievement {
                vec![]
            } else {
                view.mode_codes.clone()
            },
            deadline: view.deadline.clone().unwrap_or_default(),
            contact_name: view.contact_name.clone(),
            contact_phone: view.contact_phone.clone(),
            wanted_trl: view.wanted_trl.map(|t| t.to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }
}

async fn render_form(
    state: &AppState,
    visitor: &Visitor,
    kind: RecordKind,
    action: String,
    form: &RecordForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let fields: Vec<TechnicalField> = records::technical_fields(&state.app).await?;
    let (errors_map, error_list) = error_context(errors);
    let trls: Vec<_> = (1..=9)
        .filter_map(Trl::new)
        .map(|t| context! { code => t.level().to_string(), label => t.label() })
        .collect();
    let title = format!(
        "{}{}",
        if action.ends_with(plural(kind)) {
            "新增"
        } else {
            "修改"
        },
        kind.label()
    );
    let base = page_context(&state.app, visitor, &title).await;
    Ok(html(
        status,
        "record_form.html",
        context! {
            kind => kind.code(), action, form => ser(form), errors => ser(&errors_map), error_list,
            fields => ser(fields.iter().map(|f| context! { code => f.code.clone(), label => f.label.clone() }).collect::<Vec<_>>()),
            trls, modes => ser(options::<TransferMode>()), source_flags => ser(options::<SourceFlag>()),
            ..base
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(kinds): Path<String>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kinds)?;
    require_institution_user(&visitor.actor)?;
    render_form(
        &state,
        &visitor,
        kind,
        format!("/my/{}", plural(kind)),
        &RecordForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn edit_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((kinds, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kinds)?;
    let id = parse_id(&id)?;
    let view = load_view(&state, &visitor.actor, kind, id).await?;
    if !view.capabilities.edit {
        return Err(AppError::Forbidden.into());
    }
    let form = RecordForm::from_view(&view);
    render_form(
        &state,
        &visitor,
        kind,
        format!("/my/{}/{id}", plural(kind)),
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

fn achievement_input<'a>(form: &'a RecordForm, ip_items: &'a [String]) -> AchievementInput<'a> {
    AchievementInput {
        title: &form.title,
        summary: &form.summary,
        field: &form.field,
        keywords: &form.keywords,
        trl: &form.trl,
        ip_items,
        transfer_modes: &form.transfer_modes,
        price: &form.price,
        contact_name: &form.contact_name,
        contact_phone: &form.contact_phone,
        source_flags: &form.source_flags,
    }
}

fn demand_input(form: &RecordForm) -> DemandInput<'_> {
    DemandInput {
        title: &form.title,
        description: &form.description,
        field: &form.field,
        keywords: &form.keywords,
        cooperation_modes: &form.cooperation_modes,
        budget_min: &form.budget_min,
        budget_max: &form.budget_max,
        wanted_trl: &form.wanted_trl,
        deadline: &form.deadline,
        contact_name: &form.contact_name,
        contact_phone: &form.contact_phone,
    }
}

async fn save(
    state: &AppState,
    visitor: &Visitor,
    kind: RecordKind,
    id: Option<i64>,
    form: &RecordForm,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let ip_items: Vec<String> = form.ip_items.lines().map(str::to_string).collect();
    let result = match (kind, id) {
        (RecordKind::Achievement, None) => records::create_achievement(
            &state.app,
            &visitor.actor,
            &achievement_input(form, &ip_items),
        )
        .await
        .map(|a| a.id),
        (RecordKind::Achievement, Some(id)) => records::update_achievement(
            &state.app,
            &visitor.actor,
            id,
            &achievement_input(form, &ip_items),
        )
        .await
        .map(|a| a.id),
        (RecordKind::Demand, None) => {
            records::create_demand(&state.app, &visitor.actor, &demand_input(form))
                .await
                .map(|d| d.id)
        }
        (RecordKind::Demand, Some(id)) => {
            records::update_demand(&state.app, &visitor.actor, id, &demand_input(form))
                .await
                .map(|d| d.id)
        }
    };
    let action = match id {
        Some(id) => format!("/my/{}/{id}", plural(kind)),
        None => format!("/my/{}", plural(kind)),
    };
    match result {
        Ok(id) => {
            Ok(Redirect::to(&format!("/records/{}/{id}?saved=1", kind.code())).into_response())
        }
        Err(AppError::Validation(errors)) | Err(AppError::Duplicate(errors)) => {
            render_form(
                state,
                visitor,
                kind,
                action,
                form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(kinds): Path<String>,
    Form(mut form): Form<RecordForm>,
) -> Result<Response, PageError> {
    form.amounts_in_yuan();
    save(&state, &visitor, kind_of(&kinds)?, None, &form).await
}

async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((kinds, id)): Path<(String, String)>,
    Form(mut form): Form<RecordForm>,
) -> Result<Response, PageError> {
    form.amounts_in_yuan();
    save(
        &state,
        &visitor,
        kind_of(&kinds)?,
        Some(parse_id(&id)?),
        &form,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    saved: Option<String>,
    /// The step just taken (its message replaces “已保存”).
    done: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((kind, id)): Path<(String, String)>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    let view = load_view(&state, &visitor.actor, kind, parse_id(&id)?).await?;
    // The buttons are the capabilities `app::access` returned with the record.
    let capabilities = view.capabilities;
    let actions = context! {
        edit => capabilities.edit,
        submit => capabilities.submit,
        withdraw => capabilities.withdraw,
        deal => capabilities.mark_deal,
        review => capabilities.review,
        priority => capabilities.priority,
    };
    let attachments: Vec<_> = records::attachments(&state.app, &visitor.actor, kind, view.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| context! { id => a.id, filename => a.filename, size_kb => (a.size + 1023) / 1024 })
        .collect();
    let done = query.done.as_deref().and_then(done_message);
    let decided = matches!(query.done.as_deref(), Some("approve" | "return"));
    let next = if decided && access::may(&visitor.actor, Area::ReviewQueue) {
        next_waiting(&state, &visitor.actor, kind)
            .await?
            .map(|n| context! { href => format!("/records/{}/{}", n.kind, n.id), title => n.title })
    } else {
        None
    };
    let base = page_context(&state.app, &visitor, &view.title).await;
    Ok(html(
        StatusCode::OK,
        "record_detail.html",
        context! {
            r => ser(&view), actions, attachments, saved => query.saved.is_some(), done, decided, next,
            error => visitor.flash.clone(), kinds => plural(kind), ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StepForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    comment: String,
    /// `yes` once the user confirmed an act that cannot be undone (撤回, 已成交).
    confirm: String,
}

async fn step(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((kind, id, step)): Path<(String, String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let kind = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let back = format!("/records/{}/{id}", kind.code());
    if matches!(step.as_str(), "withdraw" | "deal") && form.confirm != "yes" {
        return back_with_error(
            &back,
            AppError::field("confirm", "这一操作不能撤销，请勾选确认后再提交"),
        );
    }
    let result = match step.as_str() {
        "priority" | "unpriority" => {
            records::set_priority(&state.app, &visitor.actor, kind, id, step == "priority")
                .await
                .map(|_| ())
        }
        _ => {
            let transition = match step.as_str() {
                "submit" => Transition::Submit,
                "approve" => Transition::Approve,
                "return" => Transition::Return,
                "withdraw" => Transition::Close(CloseReason::Withdrawn),
                "deal" => Transition::Close(CloseReason::Deal),
                _ => return Err(AppError::NotFound("操作").into()),
            };
            records::transition(
                &state.app,
                &visitor.actor,
                kind,
                id,
                transition,
                &form.comment,
            )
            .await
            .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{back}?done={step}&saved=1")).into_response()),
        // A step the record's state no longer allows (another reviewer was first, say): back to
        // the record, which shows its state, with the reason.
        Err(AppError::WrongState(why)) => Ok(crate::flash::redirect_with_error(&back, &why)),
        Err(error) => back_with_error(&back, error),
    }
}

/// What the record's page says after a step: the step in words, not “已保存”.
fn done_message(step: &str) -> Option<&'static str> {
    Some(match step {
        "submit" => "已提交审核，审核结果将通知本单位",
        "approve" => "已审核通过，该记录将纳入下一期清单",
        "return" => "已退回修改，填报单位将看到您的意见",
        "withdraw" => "已撤回，该记录不再出现在清单中",
        "deal" => "已标记为已成交",
        "priority" => "已标记为优先推荐",
        "unpriority" => "已取消优先推荐",
        _ => return None,
    })
}

/// After a review decision: the next record waiting for review (this kind first), if any.
async fn next_waiting(
    state: &AppState,
    actor: &Actor,
    kind: RecordKind,
) -> Result<Option<RecordView>, PageError> {
    let other = match kind {
        RecordKind::Achievement => RecordKind::Demand,
        RecordKind::Demand => RecordKind::Achievement,
    };
    for kind in [kind, other] {
        let (waiting, _, _) =
            record_list(state, actor, kind, vec![RecordStatus::Submitted], 1).await?;
        if let Some(first) = waiting.into_iter().next() {
            return Ok(Some(first));
        }
    }
    Ok(None)
}

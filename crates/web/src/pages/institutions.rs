use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use zijin_app::access::{self, Area};
use zijin_app::institutions::{self, ListFilter};
use zijin_app::{Actor, AppError};
use zijin_domain::{
    Coded, District, FieldErrors, Institution, InstitutionInput, InstitutionTag, InstitutionType,
};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::{Form, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::{InstitutionView, options, page_context, page_number, query_prefix, ser};

const PER_PAGE: i64 = 20;

pub fn router() -> Routes {
    Routes::new()
        .route("/institutions", get(directory))
        .route("/institutions/{id}", get(detail))
        .route("/manage/institutions", get(managed))
        .route("/admin/institutions/new", get(new_form))
        .route("/admin/institutions", post(create))
        .route("/admin/institutions/{id}/edit", get(edit_form))
        .route("/admin/institutions/{id}", post(update))
        .route(
            "/my/institution",
            get(my_profile_form).post(update_my_profile),
        )
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    kind: String,
    district: String,
    tag: String,
    page: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            kind: InstitutionType::from_code(&self.kind),
            district: District::from_code(&self.district),
            tag: InstitutionTag::from_code(&self.tag),
            name: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
        }
    }

    /// The listing's address without the page, ready for `page=N`.
    fn pager_base(&self, path: &str) -> String {
        query_prefix(
            path,
            &[
                ("q", &self.q),
                ("kind", &self.kind),
                ("district", &self.district),
                ("tag", &self.tag),
            ],
        )
    }
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    query: &ListQuery,
    managed: bool,
) -> Result<Response, PageError> {
    let page = page_number(query.page.as_deref());
    let paged = if managed {
        institutions::list_managed(&state.app, &visitor.actor, &query.filter(), page, PER_PAGE)
            .await?
    } else {
        institutions::list(&state.app, &query.filter(), page, PER_PAGE).await?
    };
    let items: Vec<InstitutionView> = paged
        .items
        .iter()
        .map(|i| {
            InstitutionView::new(
                i,
                managed && access::institution(&visitor.actor, i).see_details,
            )
        })
        .collect();
    let district_officer = access::own_district(&visitor.actor).filter(|_| managed);
    let title = match (managed, district_officer) {
        (false, _) => "机构名录".to_string(),
        (true, Some(district)) => format!("本区机构（{}）", district.label()),
        (true, None) => "机构管理".to_string(),
    };
    let base = page_context(&state.app, visitor, &title).await;
    Ok(html(
        StatusCode::OK,
        "institutions.html",
        context! {
            paged => context! { items => ser(&items), page => paged.page, page_count => paged.page_count(), total => paged.total },
            filter => ser(query),
            kinds => ser(options::<InstitutionType>()),
            districts => ser(options::<District>()),
            tags => ser(options::<InstitutionTag>()),
            show_contacts => managed,
            show_district_filter => district_officer.is_none(),
            scope_note => district_officer.map(|d| format!("您是{}的区级管理员，只能查看本区机构。", d.label())),
            can_create => managed && access::may(&visitor.actor, Area::EditInstitutions),
            pager_base => query.pager_base(&visitor.path),
            ..base
        },
    ))
}

async fn directory(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &visitor, &query, false).await
}

async fn managed(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&state, &visitor, &query, true).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(saved): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    let institution = institutions::get(&state.app, id).await?;
    let capabilities = access::institution(&visitor.actor, &institution);
    let base = page_context(&state.app, &visitor, &institution.details.name).await;
    Ok(html(
        StatusCode::OK,
        "institution_detail.html",
        context! {
            i => ser(InstitutionView::new(&institution, capabilities.see_details)),
            show_contacts => capabilities.see_details,
            can_edit => capabilities.edit,
            // Admins edit everything through the full form; the profile link is the
            // institution's own.
            can_edit_profile => !capabilities.edit && capabilities.edit_profile,
            saved => saved.saved.is_some(),
            ..base
        },
    ))
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .map_err(|_| PageError::from(AppError::NotFound("机构")))
}

/// The institution form as submitted (and as re-shown after an error).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct InstitutionForm {
    #[serde(rename = "_csrf", skip_serializing)]
    csrf: String,
    name: String,
    kind: String,
    credit_code: String,
    district: String,
    tags: Vec<String>,
    address: String,
    contact_name: String,
    contact_phone: String,
    description: String,
}

impl InstitutionForm {
    fn from_institution(institution: &Institution) -> Self {
        let view = InstitutionView::new(institution, true);
        Self {
            csrf: String::new(),
            name: view.name,
            kind: view.kind,
            credit_code: view.credit_code,
            district: view.district,
            tags: view.tag_codes,
            address: view.address.unwrap_or_default(),
            contact_name: view.contact_name.unwrap_or_default(),
            contact_phone: view.contact_phone.unwrap_or_default(),
            description: view.description,
        }
    }

    fn input(&self) -> InstitutionInput<'_> {
        InstitutionInput {
            name: &self.name,
            kind: &self.kind,
            credit_code: &self.credit_code,
            district: &self.district,
            tags: &self.tags,
            address: &self.address,
            contact_name: &self.contact_name,
            contact_phone: &self.contact_phone,
            description: &self.description,
        }
    }
}

struct FormPage<'a> {
    title: &'a str,
    action: String,
    admin_fields: bool,
}

async fn render_form(
    state: &AppState,
    visitor: &Visitor,
    page: FormPage<'_>,
    form: &InstitutionForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let (errors_map, error_list) = error_context(errors);
    let base: Value = page_context(&state.app, visitor, page.title).await;
    html(
        status,
        "institution_form.html",
        context! {
            form => ser(form), action => page.action, admin_fields => page.admin_fields,
            errors => ser(&errors_map), error_list,
            kinds => ser(options::<InstitutionType>()),
            districts => ser(options::<District>()),
            tags => ser(options::<InstitutionTag>()),
            ..base
        },
    )
}

/// Re-shows the form for input errors; any other error becomes an error page.
async fn form_result(
    state: &AppState,
    visitor: &Visitor,
    page: FormPage<'_>,
    form: &InstitutionForm,
    result: Result<Institution, AppError>,
    saved_to: impl FnOnce(&Institution) -> String,
) -> Result<Response, PageError> {
    match result {
        Ok(institution) => Ok(Redirect::to(&saved_to(&institution)).into_response()),
        Err(AppError::Validation(errors)) | Err(AppError::Duplicate(errors)) => Ok(render_form(
            state,
            visitor,
            page,
            form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await),
        Err(other) => Err(other.into()),
    }
}

async fn new_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::EditInstitutions)?;
    let page = FormPage {
        title: "新增机构",
        action: "/admin/institutions".into(),
        admin_fields: true,
    };
    Ok(render_form(
        &state,
        &visitor,
        page,
        &InstitutionForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await)
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<InstitutionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let result = institutions::create(&state.app, &visitor.actor, &form.input()).await;
    let page = FormPage {
        title: "新增机构",
        action: "/admin/institutions".into(),
        admin_fields: true,
    };
    form_result(&state, &visitor, page, &form, result, |i| {
        format!("/institutions/{}?saved=1", i.id)
    })
    .await
}

async fn edit_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::EditInstitutions)?;
    let id = parse_id(&id)?;
    let institution = institutions::get(&state.app, id).await?;
    let page = FormPage {
        title: "编辑机构",
        action: format!("/admin/institutions/{id}"),
        admin_fields: true,
    };
    let form = InstitutionForm::from_institution(&institution);
    Ok(render_form(
        &state,
        &visitor,
        page,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await)
}

async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<InstitutionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = parse_id(&id)?;
    let result = institutions::update(&state.app, &visitor.actor, id, &form.input()).await;
    let page = FormPage {
        title: "编辑机构",
        action: format!("/admin/institutions/{id}"),
        admin_fields: true,
    };
    form_result(&state, &visitor, page, &form, result, |i| {
        format!("/institutions/{}?saved=1", i.id)
    })
    .await
}

fn own_institution(actor: &Actor) -> Result<i64, PageError> {
    access::require(actor, Area::OwnInstitution)?;
    Ok(access::require_own_institution(actor)?)
}

async fn my_profile_form(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let id = own_institution(&visitor.actor)?;
    let institution = institutions::get(&state.app, id).await?;
    let title = format!("本机构资料：{}", institution.details.name);
    let page = FormPage {
        title: &title,
        action: "/my/institution".into(),
        admin_fields: false,
    };
    let form = InstitutionForm::from_institution(&institution);
    Ok(render_form(
        &state,
        &visitor,
        page,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await)
}

async fn update_my_profile(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<InstitutionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&form.csrf)?;
    let id = own_institution(&visitor.actor)?;
    let result = institutions::update_profile(
        &state.app,
        &visitor.actor,
        id,
        (
            &form.address,
            &form.contact_name,
            &form.contact_phone,
            &form.description,
        ),
    )
    .await;
    let page = FormPage {
        title: "本机构资料",
        action: "/my/institution".into(),
        admin_fields: false,
    };
    form_result(&state, &visitor, page, &form, result, |i| {
        format!("/institutions/{}?saved=1", i.id)
    })
    .await
}

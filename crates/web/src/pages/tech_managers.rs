//! 技术经理人 (art. 20): the public directory `/brokers` of those who agreed to be listed, with
//! what the platform knows they did, and the profile form of a flagged account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::tech_managers::{self, StoredProfile};
use zijin_domain::{
    CertificateLevel, Coded, ContractField, FieldErrors, Money, TechManagerProfileInput,
};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::Form;
use crate::routes::{Routes, get};
use crate::session::Visitor;
use crate::views::{options, page_context, ser};

pub fn router() -> Routes {
    Routes::new()
        .route("/brokers", get(directory))
        .route("/tech-manager/profile", get(form).post(save))
}

/// Yuan (from fen) with separators and 万元.
fn amount(fen: i64) -> String {
    Money::from_fen(fen)
        .map(|m| m.yuan_and_wan())
        .unwrap_or_else(|_| "—".into())
}

async fn directory(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let entries = tech_managers::directory(&state.app).await?;
    let base = page_context(&state.app, &visitor, "技术经理人").await;
    let people: Vec<_> = entries
        .iter()
        .map(|e| {
            let p = &e.profile;
            context! {
                name => p.name.clone(),
                institution => p.institution.clone().unwrap_or_default(),
                level => p.profile.level.label(),
                fields => p.profile.fields.iter().map(|f| f.label()).collect::<Vec<_>>().join("、"),
                introduction => p.profile.introduction.clone(),
                years => e.years.iter().map(|(year, f)| context! {
                    year => year,
                    contracts => f.contracts,
                    technology => amount(f.technology_fen),
                    signed => f.signed_matches,
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        "tech_managers.html",
        context! { people, ..base },
    ))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct ProfileForm {
    #[serde(rename = "_csrf", skip_serializing)]
    csrf: String,
    certificate_level: String,
    certificate_number: String,
    fields: Vec<String>,
    introduction: String,
    listed: String,
}

impl ProfileForm {
    fn of(stored: &StoredProfile) -> Self {
        let p = &stored.profile;
        Self {
            csrf: String::new(),
            certificate_level: p.level.code().into(),
            certificate_number: p.number.as_str().into(),
            fields: p.fields.iter().map(|f| f.code().to_string()).collect(),
            introduction: p.introduction.clone(),
            listed: if p.listed {
                "yes".into()
            } else {
                String::new()
            },
        }
    }

    fn input(&self) -> TechManagerProfileInput {
        TechManagerProfileInput {
            certificate_level: self.certificate_level.clone(),
            certificate_number: self.certificate_number.clone(),
            fields: self.fields.clone(),
            introduction: self.introduction.clone(),
            listed: self.listed == "yes",
        }
    }
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    values: &ProfileForm,
    errors: &FieldErrors,
) -> Response {
    let (error_map, error_list) = error_context(errors);
    let base = page_context(&state.app, visitor, "技术经理人资料").await;
    html(
        status,
        "tech_manager_profile.html",
        context! {
            form => ser(values),
            errors => error_map, error_list,
            levels => ser(options::<CertificateLevel>()),
            notice => crate::flash::notice_or_error(visitor.flash.as_deref()).0,
            fields => ser(options::<ContractField>()),
            ..base
        },
    )
}

async fn form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let values = tech_managers::own_profile(&state.app, &visitor.actor)
        .await?
        .map(|p| ProfileForm::of(&p))
        .unwrap_or_default();
    Ok(render(
        &state,
        &visitor,
        StatusCode::OK,
        &values,
        &FieldErrors::new(),
    )
    .await)
}

async fn save(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(values): Form<ProfileForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(&values.csrf)?;
    match tech_managers::save_profile(&state.app, &visitor.actor, &values.input()).await {
        Ok(_) => Ok(crate::flash::redirect_with_notice(
            "/tech-manager/profile",
            "技术经理人资料已保存",
        )),
        Err(AppError::Validation(errors)) => Ok(render(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &values,
            &errors,
        )
        .await),
        Err(other) => Err(other.into()),
    }
}

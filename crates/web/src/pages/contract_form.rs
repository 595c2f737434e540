//! The technology contract form: a seller's submission (new, or started from a match at 签约),
//! its correction or resubmission after 退回补正, the registrar's 变更; and the import of the
//! national system's export (admins).

use std::collections::HashMap;

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use zijin_app::AppError;
use zijin_app::access::{self, Area};
use zijin_app::contracts::{self, Amendment, Submission, import};
use zijin_domain::{Coded, ContractField, ContractInput, ContractType, IpType, PartyNature};

use super::{error_context, html};
use crate::AppState;
use crate::error::PageError;
use crate::extract::Query;
use crate::routes::{Routes, get, post};
use crate::session::Visitor;
use crate::views::page_context;

/// Deduction rows offered on the form.
const DEDUCTION_ROWS: usize = 3;

pub fn router() -> Routes {
    Routes::new()
        .route("/contracts/new", get(new_form))
        .route(
            "/contracts",
            post(create).body_limit(zijin_app::files::MAX_FILE_BYTES + 256 * 1024),
        )
        .route(
            "/contracts/{id}/edit",
            get(edit_form)
                .post(edit)
                .body_limit(zijin_app::files::MAX_FILE_BYTES + 256 * 1024),
        )
        .route("/contracts/{id}/change", get(change_form).post(change))
        .route(
            "/contracts/import",
            get(import_page)
                .post(import_file)
                .body_limit(import::MAX_FILE_BYTES + 256 * 1024),
        )
        .route("/contracts/template.xlsx", get(template))
}

/// The form's values as typed (strings), to show them back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct FormValues {
    title: String,
    contract_type: String,
    equity_investment: bool,
    signed_on: String,
    valid_until: String,
    seller_name: String,
    seller_credit_code: String,
    seller_nature: String,
    seller_region: String,
    buyer_name: String,
    buyer_credit_code: String,
    buyer_nature: String,
    buyer_region: String,
    field: String,
    ip_type: String,
    total: String,
    total_unit: String,
    deductions: Vec<(String, String)>,
    related_party: bool,
    registry: String,
    broker_institution: String,
    broker_user: String,
    match_id: String,
    reason: String,
}

impl FormValues {
    fn from_map(values: &HashMap<String, String>) -> Self {
        let v = |k: &str| values.get(k).cloned().unwrap_or_default();
        FormValues {
            title: v("title"),
            contract_type: v("contract_type"),
            equity_investment: v("equity_investment") == "yes",
            signed_on: v("signed_on"),
            valid_until: v("valid_until"),
            seller_name: v("seller_name"),
            seller_credit_code: v("seller_credit_code"),
            seller_nature: v("seller_nature"),
            seller_region: v("seller_region"),
            buyer_name: v("buyer_name"),
            buyer_credit_code: v("buyer_credit_code"),
            buyer_nature: v("buyer_nature"),
            buyer_region: v("buyer_region"),
            field: v("field"),
            ip_type: v("ip_type"),
            total: v("total"),
            total_unit: v("total_unit"),
            deductions: (1..=DEDUCTION_ROWS)
                .map(|n| {
                    (
                        v(&format!("deduction_item_{n}")),
                        v(&format!("deduction_amount_{n}")),
                    )
                })
                .collect(),
            related_party: v("related_party") == "yes",
            registry: v("registry"),
            broker_institution: v("broker_institution"),
            broker_user: v("broker_user"),
            match_id: v("match_id"),
            reason: v("reason"),
        }
    }

    fn from_input(input: &ContractInput) -> Self {
        FormValues {
            title: input.title.clone(),
            contract_type: input.contract_type.clone(),
            equity_investment: input.equity_investment,
            signed_on: input.signed_on.clone(),
            valid_until: input.valid_until.clone(),
            seller_name: input.seller_name.clone(),
            seller_credit_code: input.seller_credit_code.clone(),
            seller_nature: input.seller_nature.clone(),
            seller_region: input.seller_region.clone(),
            buyer_name: input.buyer_name.clone(),
            buyer_credit_code: input.buyer_credit_code.clone(),
            buyer_nature: input.buyer_nature.clone(),
            buyer_region: input.buyer_region.clone(),
            field: input.field.clone(),
            ip_type: input.ip_type.clone(),
            total: input.total.clone(),
            deductions: input.deductions.clone(),
            related_party: input.related_party,
            ..FormValues::default()
        }
    }

    fn input(&self) -> ContractInput {
        let mut total = self.total.trim().to_string();
        if self.total_unit == "wan" && !total.is_empty() {
            total.push('万');
        }
        ContractInput {
            title: self.title.clone(),
            contract_type: self.contract_type.clone(),
            equity_investment: self.equity_investment,
            signed_on: self.signed_on.clone(),
            valid_until: self.valid_until.clone(),
            seller_name: self.seller_name.clone(),
            seller_credit_code: self.seller_credit_code.clone(),
            seller_nature: self.seller_nature.clone(),
            seller_region: self.seller_region.clone(),
            buyer_name: self.buyer_name.clone(),
            buyer_credit_code: self.buyer_credit_code.clone(),
            buyer_nature: self.buyer_nature.clone(),
            buyer_region: self.buyer_region.clone(),
            field: self.field.clone(),
            ip_type: self.ip_type.clone(),
            total,
            technology: String::new(),
            deductions: self.deductions.clone(),
            related_party: self.related_party,
            oral: false,
        }
    }
}

fn input_of(details: &zijin_domain::ContractDetails) -> ContractInput {
    ContractInput {
        title: details.title.clone(),
        contract_type: details.contract_type.code().into(),
        equity_investment: details.equity_investment,
        signed_on: details.signed_on.to_string(),
        valid_until: details
            .valid_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        seller_name: details.seller.name.clone(),
        seller_credit_code: details.seller.credit_code.as_str().into(),
        seller_nature: details.seller.nature.code(),
        seller_region: details.seller.region.code(),
        buyer_name: details.buyer.name.clone(),
        buyer_credit_code: details.buyer.credit_code.as_str().into(),
        buyer_nature: details.buyer.nature.code(),
        buyer_region: details.buyer.region.code(),
        field: details.field.code().into(),
        ip_type: details.ip_type.code().into(),
        total: details.total.to_string(),
        technology: String::new(),
        deductions: details
            .deductions
            .iter()
            .map(|d| (d.item.clone(), d.amount.to_string()))
            .collect(),
        related_party: details.related_party,
        oral: false,
    }
}

fn options<T: Coded>() -> Vec<minijinja::Value> {
    T::ALL
        .iter()
        .map(|v| context! { code => v.code(), label => v.label() })
        .collect()
}

/// Which form is shown: a new submission, a correction, a 变更.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    New,
    Edit(i64),
    Change(i64),
}

async fn render_form(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    mode: Mode,
    mut values: FormValues,
    errors: Option<&zijin_domain::FieldErrors>,
) -> Result<Response, PageError> {
    // A returned contract's form shows why it came back.
    let returned_reason = match mode {
        Mode::Edit(id) => {
            let view = contracts::get(&state.app, &visitor.actor, id).await?;
            (view.contract.status == zijin_domain::ContractStatus::Returned)
                .then(|| view.contract.refusal_reason.clone())
        }
        _ => None,
    };
    while values.deductions.len() < DEDUCTION_ROWS {
        values.deductions.push((String::new(), String::new()));
    }
    let (title, action) = match mode {
        Mode::New => ("登记技术合同".to_string(), "/contracts".to_string()),
        Mode::Edit(id) => ("修改技术合同".to_string(), format!("/contracts/{id}/edit")),
        Mode::Change(id) => (
            "变更已登记的技术合同".to_string(),
            format!("/contracts/{id}/change"),
        ),
    };
    let registries: Vec<_> = contracts::registries(&state.app)
        .await?
        .into_iter()
        .map(|(id, name, district)| context! { code => id.to_string(), label => format!("{name}（{district}）") })
        .collect();
    let brokers: Vec<_> = contracts::brokers(&state.app)
        .await?
        .into_iter()
        .map(|(id, name)| context! { code => id.to_string(), label => name })
        .collect();
    let people: Vec<_> = contracts::broker_people(&state.app)
        .await?
        .into_iter()
        .map(|(id, label)| context! { code => id.to_string(), label })
        .collect();
    let natures: Vec<_> = PartyNature::known()
        .map(|n| context! { code => n.code(), label => format!("{}（{}）", n.label(), n.code()) })
        .collect();
    let (error_map, error_list) = errors.map(error_context).unwrap_or_default();
    let base = page_context(&state.app, visitor, &title).await;
    Ok(html(
        status,
        "contract_form.html",
        context! {
            action, returned_reason, mode_new => mode == Mode::New, mode_change => matches!(mode, Mode::Change(_)),
            form => crate::views::ser(&values),
            errors => error_map, error_list,
            types => options::<ContractType>(),
            fields => options::<ContractField>(),
            ip_types => options::<IpType>(),
            natures, registries, brokers, people,
            ..base
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewParams {
    /// A match at 签约 to start from.
    r#match: String,
}

async fn new_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<NewParams>,
) -> Result<Response, PageError> {
    let mut values = match params.r#match.trim().parse::<i64>() {
        Ok(match_id) => {
            let submission =
                contracts::form_from_match(&state.app, &visitor.actor, match_id).await?;
            let mut values = FormValues::from_input(&submission.form);
            values.match_id = match_id.to_string();
            values.broker_user = submission
                .broker_user_id
                .map(|id| id.to_string())
                .unwrap_or_default();
            values
        }
        Err(_) => FormValues::from_input(&contracts::blank_form(&state.app, &visitor.actor).await?),
    };
    if values.registry.is_empty()
        && let Some((id, _, _)) = contracts::registries(&state.app).await?.first()
    {
        values.registry = id.to_string();
    }
    render_form(&state, &visitor, StatusCode::OK, Mode::New, values, None).await
}

/// Reads a multipart form: its text fields and the contract file.
async fn read_multipart(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), AppError> {
    let too_large = || AppError::field("file", "合同文本不能超过 10 MB");
    let mut multipart = multipart.map_err(|_| too_large())?;
    let mut values = HashMap::new();
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                // A browser sends the part with an empty name when no file was chosen.
                let chosen = field.file_name().is_some_and(|n| !n.is_empty());
                let filename = field.file_name().unwrap_or("合同文本").to_string();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                if name == "file" {
                    if chosen || !bytes.is_empty() {
                        file = Some((filename, bytes.to_vec()));
                    }
                } else {
                    values.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            Ok(None) => break,
            Err(_) => return Err(too_large()),
        }
    }
    Ok((values, file))
}

fn submission(values: &FormValues, file: Option<(String, Vec<u8>)>) -> Submission {
    Submission {
        form: values.input(),
        registry_id: values.registry.trim().parse().ok(),
        broker_institution_id: values.broker_institution.trim().parse().ok(),
        broker_user_id: crate::views::chosen_id(&values.broker_user),
        match_id: values.match_id.trim().parse().ok(),
        file,
    }
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::OwnContracts)?;
    let (map, file) = match read_multipart(multipart).await {
        Ok(read) => read,
        Err(AppError::Validation(errors)) => {
            return render_form(
                &state,
                &visitor,
                StatusCode::PAYLOAD_TOO_LARGE,
                Mode::New,
                FormValues::default(),
                Some(&errors),
            )
            .await;
        }
        Err(other) => return Err(other.into()),
    };
    visitor.check_csrf(map.get("_csrf").map_or("", String::as_str))?;
    let values = FormValues::from_map(&map);
    match contracts::submit(&state.app, &visitor.actor, submission(&values, file)).await {
        Ok(id) => Ok(crate::flash::redirect_with_notice(
            &format!("/contracts/{id}"),
            "已提交登记，合同登记机构将在法定期限内办理",
        )),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::New,
                values,
                Some(&errors),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = super::contracts::contract_id(&id)?;
    let view = contracts::get(&state.app, &visitor.actor, id).await?;
    if !view.capabilities.edit {
        return Err(AppError::WrongState("该合同当前不能修改".into()).into());
    }
    let mut values = FormValues::from_input(&input_of(&view.contract.details));
    let id_text = |id: Option<i64>| id.map(|r| r.to_string()).unwrap_or_default();
    values.registry = id_text(view.contract.registry_id);
    values.broker_institution = id_text(view.contract.broker_institution_id);
    values.broker_user = id_text(view.contract.broker_user_id);
    render_form(
        &state,
        &visitor,
        StatusCode::OK,
        Mode::Edit(id),
        values,
        None,
    )
    .await
}

async fn edit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::OwnContracts)?;
    let id = super::contracts::contract_id(&id)?;
    let (map, file) = read_multipart(multipart).await?;
    visitor.check_csrf(map.get("_csrf").map_or("", String::as_str))?;
    let values = FormValues::from_map(&map);
    match contracts::edit(&state.app, &visitor.actor, id, submission(&values, file)).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            &format!("/contracts/{id}"),
            "已保存并提交登记",
        )),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::Edit(id),
                values,
                Some(&errors),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn change_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = super::contracts::contract_id(&id)?;
    let view = contracts::get(&state.app, &visitor.actor, id).await?;
    if !view.capabilities.amend {
        return Err(AppError::Forbidden.into());
    }
    let values = FormValues::from_input(&input_of(&view.contract.details));
    render_form(
        &state,
        &visitor,
        StatusCode::OK,
        Mode::Change(id),
        values,
        None,
    )
    .await
}

async fn change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    crate::extract::Form(map): crate::extract::Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    visitor.check_csrf(map.get("_csrf").map_or("", String::as_str))?;
    access::contract::require_amend_area(&visitor.actor)?;
    let id = super::contracts::contract_id(&id)?;
    let values = FormValues::from_map(&map);
    let amendment = Amendment::Change(Box::new(values.input()));
    match contracts::amend(&state.app, &visitor.actor, id, amendment, &values.reason).await {
        Ok(()) => Ok(crate::flash::redirect_with_notice(
            &format!("/contracts/{id}"),
            "已变更，统计随之更新",
        )),
        Err(AppError::Validation(errors)) => {
            render_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                Mode::Change(id),
                values,
                Some(&errors),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn render_import(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    result: minijinja::Value,
) -> Response {
    let base = page_context(&state.app, visitor, "导入技术合同").await;
    html(
        status,
        "contract_import.html",
        context! { result, columns => import::COLUMNS.to_vec(), max_mb => import::MAX_FILE_BYTES / 1_048_576, ..base },
    )
}

async fn import_page(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::ContractImport)?;
    Ok(render_import(
        &state,
        &visitor,
        StatusCode::OK,
        minijinja::Value::UNDEFINED,
    )
    .await)
}

async fn import_file(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::ContractImport)?;
    let refused = |lines: Vec<String>| context! { ok => false, lines };
    let (map, file) = match read_multipart(multipart).await {
        Ok(read) => read,
        Err(_) => {
            let message = format!(
                "上传失败：文件不能超过 {} MB",
                import::MAX_FILE_BYTES / 1_048_576
            );
            return Ok(render_import(
                &state,
                &visitor,
                StatusCode::PAYLOAD_TOO_LARGE,
                refused(vec![message]),
            )
            .await);
        }
    };
    visitor.check_csrf(map.get("_csrf").map_or("", String::as_str))?;
    let Some((_, bytes)) = file else {
        return Ok(render_import(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            refused(vec!["请选择要上传的 .xlsx 或 .csv 文件".into()]),
        )
        .await);
    };
    Ok(
        match import::import(&state.app, &visitor.actor, &bytes, &|_, _| {}).await? {
            import::Outcome::Imported { count } => {
                render_import(
                    &state,
                    &visitor,
                    StatusCode::OK,
                    context! { ok => true, count },
                )
                .await
            }
            import::Outcome::Refused(report) => {
                let result = context! { ok => false, problem_count => report.problem_count, lines => report.lines() };
                render_import(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, result).await
            }
        },
    )
}

async fn template(visitor: Visitor) -> Result<Response, PageError> {
    access::require(&visitor.actor, Area::ContractImport)?;
    Ok(crate::download::xlsx(
        "技术合同导入模板.xlsx",
        import::template()?,
    ))
}

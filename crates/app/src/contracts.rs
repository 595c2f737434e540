//! 技术合同登记 (issue 18; arts. 2 and 3 of the seed rest on registered contracts).
//!
//! The seller submits a written contract with its file to a 合同登记机构; the registry's
//! 合同登记员 registers it (a 16-digit number from the configured scheme), returns it for
//! documents (the clock starts again when they come back) or refuses it with a reason. A
//! registered contract can be changed or cancelled (变更/注销), each act kept in its history.
//! Every change of a registered contract moves the statistics' aggregates in the same
//! transaction. Imports from the national system are in [`import`], the statistics in
//! [`stats`], the ranking in [`ranking`].

pub mod import;
pub mod ranking;
mod registry;
pub mod stats;

pub use registry::{Amendment, Decision, amend, decide, record_receipt};

use chrono::NaiveDate;
use serde_json::json;
use zijin_domain::{
    Coded, ContractDetails, ContractInput, ContractStatus, InstitutionType, RegionCode,
    RegistrationNumber,
};
use zijin_store::audit::Change;
use zijin_store::contracts::{self as store, ContractFilter, NewContract, StatusChange};
pub use zijin_store::contracts::{
    ContractFile, ContractSource, HistoryEntry, Receipt, StoredContract,
};

use crate::access::contract::ContractFacts;
use crate::access::{self, Area, ContractCapabilities, ContractListing};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult, Paged};

/// What a seller submits.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub form: ContractInput,
    /// The 合同登记机构 it goes to.
    pub registry_id: Option<i64>,
    /// The 技术转移机构 that brokered it, if any, and the 技术经理人 (an account flagged as
    /// technology manager): linked, not typed, so the broker award can be paid per person.
    pub broker_institution_id: Option<i64>,
    pub broker_user_id: Option<i64>,
    /// The match it closes, when started from one.
    pub match_id: Option<i64>,
    /// The contract file (合同文本): name and bytes.
    pub file: Option<(String, Vec<u8>)>,
}

/// A contract as one actor sees it.
#[derive(Debug, Clone)]
pub struct ContractView {
    pub contract: StoredContract,
    pub capabilities: ContractCapabilities,
    pub history: Vec<HistoryEntry>,
    pub receipts: Vec<Receipt>,
    /// The file's name, when there is one and the actor may see it.
    pub file_name: Option<String>,
    /// Payments received so far.
    pub received: zijin_domain::Money,
}

fn facts(contract: &StoredContract) -> ContractFacts {
    ContractFacts {
        status: contract.status,
        registry_id: contract.registry_id,
        seller_institution_id: contract.seller_institution_id,
        seller_place: contract.details.seller.region.place(),
        buyer_place: contract.details.buyer.region.place(),
    }
}

pub fn capabilities(actor: &Actor, contract: &StoredContract) -> ContractCapabilities {
    access::contract_capabilities(actor, &facts(contract))
}

/// The 技术转移机构 (service organisations) a contract may name as broker: (id, name).
pub async fn brokers(app: &App) -> AppResult<Vec<(i64, String)>> {
    Ok(zijin_store::institutions::all(app.store().pool())
        .await?
        .into_iter()
        .filter(|i| i.details.kind == InstitutionType::ServiceOrganization)
        .map(|i| (i.id, i.details.name))
        .collect())
}

/// The 技术经理人 a contract may name as broker: (account id, "姓名（所属机构）").
pub async fn broker_people(app: &App) -> AppResult<Vec<(i64, String)>> {
    Ok(crate::matchmaking::tech_manager::choices(app)
        .await?
        .into_iter()
        .map(|choice| (choice.user_id, choice.label))
        .collect())
}

/// The brokers a submission names, checked: the 技术经理人 must be an account flagged as
/// technology manager and not disabled; when they act for a 技术转移机构, that is the broker
/// institution (taken when none was chosen, refused when another was). Returns the
/// institution, the person's account id and name.
async fn brokers_of(
    app: &App,
    submission: &Submission,
) -> AppResult<(Option<i64>, Option<i64>, String)> {
    let Some(id) = submission.broker_user_id else {
        return Ok((submission.broker_institution_id, None, String::new()));
    };
    let user = zijin_store::users::get(app.store().pool(), id)
        .await?
        .filter(|user| user.is_tech_manager && !user.disabled)
        .ok_or_else(|| AppError::field("broker_user", "请选择一位在册的技术经理人"))?;
    let employer = match user.role {
        zijin_domain::UserRole::InstitutionUser(employer) => {
            zijin_store::institutions::get(app.store().pool(), employer)
                .await?
                .filter(|i| i.details.kind == InstitutionType::ServiceOrganization)
        }
        _ => None,
    };
    let institution = match (submission.broker_institution_id, employer) {
        (Some(chosen), Some(employer)) if chosen != employer.id => {
            return Err(AppError::field(
                "broker_user",
                format!(
                    "{}是{}的技术经理人，与所选技术转移机构不一致",
                    user.display_name, employer.details.name
                ),
            ));
        }
        (None, Some(employer)) => Some(employer.id),
        (chosen, _) => chosen,
    };
    Ok((institution, Some(user.id), user.display_name))
}

/// A blank form with the seller filled in from the actor's institution.
pub async fn blank_form(app: &App, actor: &Actor) -> AppResult<ContractInput> {
    access::require(actor, Area::OwnContracts)?;
    let own = access::require_own_institution(actor)?;
    let institution = zijin_store::institutions::get(app.store().pool(), own)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    Ok(ContractInput {
        seller_name: institution.details.name.clone(),
        seller_credit_code: institution.details.credit_code.as_str().into(),
        seller_nature: nature_of(institution.details.kind).code(),
        seller_region: RegionCode::of_district(institution.details.district)
            .map(|r| r.code())
            .unwrap_or_default(),
        ..ContractInput::default()
    })
}

/// The 合同登记机构 a seller may submit to: (id, name, district label).
pub async fn registries(app: &App) -> AppResult<Vec<(i64, String, String)>> {
    Ok(zijin_store::institutions::all(app.store().pool())
        .await?
        .into_iter()
        .filter(|i| i.details.kind == InstitutionType::ContractRegistry)
        .map(|i| (i.id, i.details.name, i.details.district.label().to_string()))
        .collect())
}

fn check_file(file: &Option<(String, Vec<u8>)>) -> AppResult<Option<ContractFile>> {
    let Some((name, bytes)) = file else {
        return Ok(None);
    };
    let checked = crate::files::check(name, bytes).map_err(|_| {
        AppError::field(
            "file",
            "合同文本应为 PDF 或图片（JPG、PNG），大小不超过 10 MB",
        )
    })?;
    Ok(Some(ContractFile {
        filename: checked.filename,
        content_type: checked.content_type.to_string(),
        sha256: checked.sha256,
        content: bytes.clone(),
    }))
}

pub(crate) async fn registry_of(
    app: &App,
    id: Option<i64>,
) -> AppResult<zijin_domain::Institution> {
    let Some(id) = id else {
        return Err(AppError::field("registry", "请选择合同登记机构"));
    };
    zijin_store::institutions::get(app.store().pool(), id)
        .await?
        .filter(|i| i.details.kind == InstitutionType::ContractRegistry)
        .ok_or_else(|| AppError::field("registry", "所选单位不是合同登记机构"))
}

fn due_on(app: &App, details: &ContractDetails, accepted_on: NaiveDate) -> Option<NaiveDate> {
    // A year whose holidays the calendar does not hold yet: Monday to Friday, shown as
    // provisional (`deadline_provisional`).
    Some(
        details
            .registration_due(app.calendar(), accepted_on)
            .unwrap_or_else(|_| details.registration_due_by_weekdays(accepted_on)),
    )
}

/// Whether a deadline was counted without the official holidays of its year.
pub fn deadline_provisional(app: &App, due_on: NaiveDate) -> bool {
    !app.calendar().knows(chrono::Datelike::year(&due_on))
}

/// A contract signed after today cannot be registered.
pub(crate) fn check_signed(app: &App, details: &ContractDetails) -> AppResult<()> {
    if details.signed_on > app.today() {
        return Err(AppError::field(
            "signed_on",
            "签订日期不能晚于今天：合同签订后才能登记",
        ));
    }
    Ok(())
}

/// A 变更 keeps the seller (卖方登记): a different seller is a different contract.
pub(crate) fn check_same_seller(
    before: &ContractDetails,
    after: &ContractDetails,
) -> AppResult<()> {
    if before.seller.credit_code != after.seller.credit_code
        || before.seller.name != after.seller.name
    {
        return Err(AppError::field(
            "seller_name",
            "变更不能更换卖方：卖方不同的合同应注销后重新登记",
        ));
    }
    Ok(())
}

/// The seller submits a contract (卖方登记): the seller must be the submitting institution, the
/// contract written (a file attached), the registry a 合同登记机构.
pub async fn submit(app: &App, actor: &Actor, submission: Submission) -> AppResult<i64> {
    access::require(actor, Area::OwnContracts)?;
    let institution_id = access::require_own_institution(actor)?;
    let institution = zijin_store::institutions::get(app.store().pool(), institution_id)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    let details = submission.form.validate().map_err(AppError::Validation)?;
    check_signed(app, &details)?;
    if details.seller.credit_code != institution.details.credit_code {
        return Err(AppError::field(
            "seller_credit_code",
            "技术合同由卖方登记：卖方统一社会信用代码应为本单位的代码",
        ));
    }
    let registry = registry_of(app, submission.registry_id).await?;
    let file = check_file(&submission.file)?.ok_or_else(|| {
        AppError::field(
            "file",
            "请上传合同文本：技术合同应为书面合同，口头合同不予登记",
        )
    })?;
    let (match_id, achievement_id) = match submission.match_id {
        Some(id) => {
            let row = zijin_store::matches::get(app.store().pool(), id)
                .await?
                .filter(|m| {
                    m.achievement_owner == institution_id || m.demand_owner == institution_id
                })
                .ok_or(AppError::NotFound("对接"))?;
            (Some(row.id), Some(row.achievement_id))
        }
        None => (None, None),
    };
    let (broker_institution_id, broker_user_id, broker_name) = brokers_of(app, &submission).await?;
    let accepted_on = app.today();
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let id = store::insert(
        work.tx(),
        &NewContract {
            details: &details,
            number: None,
            status: ContractStatus::Submitted,
            registry_id: Some(registry.id),
            seller_institution_id: Some(institution_id),
            broker_institution_id,
            broker_name: &broker_name,
            broker_user_id,
            match_id,
            achievement_id,
            source: ContractSource::Platform,
            accepted_on: Some(accepted_on),
            due_on: due_on(app, &details, accepted_on),
            registered_on: None,
            submitted_by: actor.user().map(|u| u.id),
            is_demo: false,
        },
        now,
    )
    .await?;
    store::put_file(work.tx(), id, &file, now).await?;
    store::add_history(work.tx(), id, now, &actor_label(actor), "submit", "", None).await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "contract.submit",
        entity: "contract",
        entity_id: id.to_string(),
        before: None,
        after: Some(summary(&details, ContractStatus::Submitted, None)),
    });
    work.commit().await?;
    Ok(id)
}

/// The contract, locked for a change in `work`, with what the actor may do with it; one the
/// actor may not read is reported missing.
pub(crate) async fn locked(
    work: &mut UnitOfWork,
    actor: &Actor,
    id: i64,
) -> AppResult<(StoredContract, ContractCapabilities)> {
    let contract = store::get_for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("技术合同"))?;
    let capabilities = capabilities(actor, &contract);
    if !capabilities.read {
        return Err(AppError::NotFound("技术合同"));
    }
    Ok((contract, capabilities))
}

/// Who acted, as the contract's history shows it: the person's name and, for an institution's
/// or registry's account, the institution.
pub(crate) fn actor_label(actor: &Actor) -> String {
    match actor.user() {
        Some(user) => user.display_name.clone(),
        None => "平台".to_string(),
    }
}

/// The audit's view of a contract: what a reader of the log needs.
pub(crate) fn summary(
    details: &ContractDetails,
    status: ContractStatus,
    number: Option<&RegistrationNumber>,
) -> serde_json::Value {
    json!({
        "title": details.title,
        "status": status.code(),
        "contract_type": details.contract_type.code(),
        "seller": details.seller.name,
        "buyer": details.buyer.name,
        "total": details.total.to_string(),
        "technology_amount": details.technology.to_string(),
        "registration_number": number.map(|n| n.as_str().to_string()),
    })
}

async fn load(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<(StoredContract, ContractCapabilities)> {
    let contract = store::get(app.store().pool(), id)
        .await?
        .ok_or(AppError::NotFound("技术合同"))?;
    let capabilities = capabilities(actor, &contract);
    if !capabilities.read {
        return Err(match actor {
            Actor::Anonymous => AppError::Unauthenticated,
            _ => AppError::NotFound("技术合同"),
        });
    }
    Ok((contract, capabilities))
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ContractView> {
    let (contract, capabilities) = load(app, actor, id).await?;
    let pool = app.store().pool();
    let receipts = store::receipts(pool, id).await?;
    let received = receipts
        .iter()
        .try_fold(zijin_domain::Money::ZERO, |sum, r| {
            zijin_domain::Money::from_fen(sum.fen() + r.amount.fen())
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let file_name = if capabilities.see_file {
        store::file(pool, id).await?.map(|f| f.filename)
    } else {
        None
    };
    Ok(ContractView {
        history: store::history(pool, id).await?,
        receipts,
        file_name,
        received,
        contract,
        capabilities,
    })
}

/// The contract file, for those who may see it.
pub async fn file(app: &App, actor: &Actor, id: i64) -> AppResult<ContractFile> {
    let (_, capabilities) = load(app, actor, id).await?;
    if !capabilities.see_file {
        return Err(AppError::Forbidden);
    }
    store::file(app.store().pool(), id)
        .await?
        .ok_or(AppError::NotFound("合同文本"))
}

/// What a listing asks for, beside what the actor may see.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<ContractStatus>,
    pub year: Option<i32>,
    pub kind: Option<zijin_domain::ContractKind>,
    pub field: Option<zijin_domain::ContractField>,
    pub words: String,
}

pub const PER_PAGE: i64 = 30;

pub async fn list(
    app: &App,
    actor: &Actor,
    query: &ListQuery,
    page: i64,
) -> AppResult<Paged<StoredContract>> {
    let mut filter = ContractFilter {
        status: query.status,
        year: query.year,
        kind: query.kind,
        field: query.field,
        words: query.words.clone(),
        by_deadline: query.status == Some(ContractStatus::Submitted),
        ..ContractFilter::default()
    };
    match access::contract_listing(actor)? {
        ContractListing::All => {}
        ContractListing::Registry(id) => filter.registry_id = Some(id),
        ContractListing::Seller(id) => filter.seller_institution_id = Some(id),
        ContractListing::District(district) => filter.place = Some(district.code().to_string()),
    }
    Ok(store::list(app.store().pool(), &filter, page.max(1), PER_PAGE).await?)
}

/// The seller corrects a waiting contract, or resubmits a returned one (the registry's clock
/// starts again from today).
pub async fn edit(app: &App, actor: &Actor, id: i64, submission: Submission) -> AppResult<()> {
    let details = submission.form.validate().map_err(AppError::Validation)?;
    check_signed(app, &details)?;
    let file = check_file(&submission.file)?;
    let (broker_institution_id, broker_user_id, broker_name) = brokers_of(app, &submission).await?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let (contract, capabilities) = locked(&mut work, actor, id).await?;
    if !capabilities.edit {
        return Err(AppError::WrongState(format!(
            "该合同当前为“{}”，不能修改",
            contract.status.label()
        )));
    }
    if details.seller.credit_code != contract.details.seller.credit_code {
        return Err(AppError::field(
            "seller_credit_code",
            "技术合同由卖方登记：卖方统一社会信用代码不能更改",
        ));
    }
    store::update_details(work.tx(), id, &details, now).await?;
    store::set_brokers(
        work.tx(),
        id,
        broker_institution_id,
        broker_user_id,
        &broker_name,
    )
    .await?;
    if let Some(file) = &file {
        store::put_file(work.tx(), id, file, now).await?;
    }
    let resubmitted = contract.status == ContractStatus::Returned;
    let accepted_on = if resubmitted {
        crate::applications::beijing_date(now)
    } else {
        contract
            .accepted_on
            .unwrap_or_else(|| crate::applications::beijing_date(now))
    };
    store::set_status(
        work.tx(),
        id,
        &StatusChange {
            status: ContractStatus::Submitted,
            number: None,
            accepted_on: Some(accepted_on),
            due_on: due_on(app, &details, accepted_on),
            registered_on: None,
            refusal_reason: "",
        },
        now,
    )
    .await?;
    let act = if resubmitted { "resubmit" } else { "edit" };
    let before = serde_json::to_string(&summary(&contract.details, contract.status, None))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    store::add_history(
        work.tx(),
        id,
        now,
        &actor_label(actor),
        act,
        "",
        Some(before),
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: if resubmitted {
            "contract.resubmit"
        } else {
            "contract.edit"
        },
        entity: "contract",
        entity_id: id.to_string(),
        before: Some(summary(&contract.details, contract.status, None)),
        after: Some(summary(&details, ContractStatus::Submitted, None)),
    });
    work.commit().await?;
    Ok(())
}

/// A form pre-filled from a match at 签约: the seller is the achievement's institution, the
/// buyer the demand's, the title the achievement's.
pub async fn form_from_match(app: &App, actor: &Actor, match_id: i64) -> AppResult<Submission> {
    access::require(actor, Area::OwnContracts)?;
    let own = access::require_own_institution(actor)?;
    let pool = app.store().pool();
    let row = zijin_store::matches::get(pool, match_id)
        .await?
        .filter(|m| m.achievement_owner == own || m.demand_owner == own)
        .ok_or(AppError::NotFound("对接"))?;
    let seller = zijin_store::institutions::get(pool, row.achievement_owner)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    let buyer = zijin_store::institutions::get(pool, row.demand_owner)
        .await?
        .ok_or(AppError::NotFound("机构"))?;
    let party = |i: &zijin_domain::Institution| {
        (
            i.details.name.clone(),
            i.details.credit_code.as_str().to_string(),
            nature_of(i.details.kind).code(),
            RegionCode::of_district(i.details.district)
                .map(|r| r.code())
                .unwrap_or_else(|| "320100".into()),
        )
    };
    let (seller_name, seller_credit_code, seller_nature, seller_region) = party(&seller);
    let (buyer_name, buyer_credit_code, buyer_nature, buyer_region) = party(&buyer);
    Ok(Submission {
        form: ContractInput {
            title: row.achievement_title.clone(),
            signed_on: row
                .closed_at
                .as_deref()
                .and_then(|at| zijin_store::parse_timestamp(at).ok())
                .map(|at| crate::applications::beijing_date(at).to_string())
                .unwrap_or_default(),
            seller_name,
            seller_credit_code,
            seller_nature,
            seller_region,
            buyer_name,
            buyer_credit_code,
            buyer_nature,
            buyer_region,
            ..ContractInput::default()
        },
        match_id: Some(match_id),
        broker_user_id: row.tech_manager_id,
        ..Submission::default()
    })
}

/// The 买卖方性质 an institution's type suggests (the seller checks it on the form).
pub fn nature_of(kind: InstitutionType) -> zijin_domain::PartyNature {
    use zijin_domain::PartyNature;
    match kind {
        InstitutionType::University => PartyNature::UNIVERSITY,
        InstitutionType::ResearchInstitute | InstitutionType::NewRdInstitution => {
            PartyNature::RESEARCH_INSTITUTE
        }
        InstitutionType::MedicalInstitution => {
            PartyNature::parse("023").unwrap_or(PartyNature::RESEARCH_INSTITUTE)
        }
        InstitutionType::ContractRegistry => PartyNature::GOVERNMENT,
        _ => PartyNature::LIMITED_COMPANY,
    }
}

/// The contract started from a match, if any (the match page links to it).
pub async fn of_match(app: &App, match_id: i64) -> AppResult<Option<i64>> {
    Ok(store::of_match(app.store().pool(), match_id).await?)
}

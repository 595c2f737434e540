//! Facts the contract registry supplies (issue 18): `a03-transfer-org` (art. 3: 技术转移机构,
//! 合同登记机构, 输出方, 吸纳方) takes its `technology_amount` from the registered contracts of
//! the year before the application (登记日期 in that year, cancelled ones not counted) instead
//! of a typed-in figure — in an application the institution files (the role it claims is
//! kept, the amount replaced) and in a 免申即享 pass (the role found in the registry).

use serde_json::{Map, Value};
use zijin_domain::{Institution, InstitutionType, Money};
use zijin_store::contracts::AwardRole;

use crate::{AppError, AppResult};

/// The measures whose amounts come from the registry: art. 3's, and the buyer subsidy of the
/// example in `policy/examples/ningke-2021-34` (when loaded).
pub const MEASURES: &[&str] = &["a03-transfer-org", BUYER_SUBSIDY];

/// 吸纳方技术交易补贴 of the example (宁科〔2021〕34号): a share of the 技术交易额 received.
pub const BUYER_SUBSIDY: &str = "a03-x2021-buyer-subsidy";

/// 技术经纪人奖励 of the example (宁科〔2021〕34号): a share of the 技术交易额 each 技术经理人
/// brokered, capped per person; drafted per person, never filed.
pub const BROKER_AWARD: &str = "a03-x2021-broker-award";

/// Whether a measure pays people (技术经理人) rather than institutions: its applications are
/// drafted per person by a 免申即享 pass and confirmed by the person's institution.
pub fn pays_people(measure_id: &str) -> bool {
    measure_id == BROKER_AWARD || measure_id == TECH_MANAGER_AWARD
}

/// 技术经理人绩效奖励 (art. 20): per person, by the 技术交易额 they brokered, like the example's
/// broker award, from the 技术经理人 registry.
pub const TECH_MANAGER_AWARD: &str = "a20-tech-manager";

/// A person a people-paying measure may be drafted for: their account, the institution that
/// confirms for them (`Err` with the reason when there is none), and the facts.
pub struct PersonCandidate {
    pub user: zijin_domain::User,
    pub institution: Result<Institution, String>,
    pub facts: Map<String, Value>,
}

/// The 技术经理人 with registered contracts of `year` between unrelated parties they brokered,
/// with the 技术交易额 as the broker award's fact.
pub async fn broker_candidates(
    db: &mut zijin_store::WriteTx,
    year: i32,
) -> AppResult<Vec<PersonCandidate>> {
    let mut candidates = Vec::new();
    for (user_id, fen) in zijin_store::contracts::technology_by_broker_user(&mut **db, year).await?
    {
        let Some(user) = zijin_store::users::get(&mut **db, user_id).await? else {
            continue;
        };
        let institution = match user.role {
            _ if !user.is_tech_manager || user.disabled => {
                Err(format!("{}已不是在册的技术经理人", user.display_name))
            }
            zijin_domain::UserRole::InstitutionUser(id) => {
                zijin_store::institutions::get(&mut **db, id)
                    .await?
                    .ok_or_else(|| format!("{}所属机构已不存在", user.display_name))
            }
            _ => Err(format!(
                "{}未隶属于任何机构，无人代为确认",
                user.display_name
            )),
        };
        let mut facts = Map::new();
        facts.insert("brokered_technology".into(), amount_text(fen)?);
        candidates.push(PersonCandidate {
            user,
            institution,
            facts,
        });
    }
    Ok(candidates)
}

/// The 技术交易额 actually received in `year` under the registered contracts the institution
/// bought, related-party contracts excluded: per contract, what was received in the year, at
/// most its 技术交易额.
async fn received_technology(
    db: &mut zijin_store::WriteTx,
    institution: &Institution,
    year: i32,
) -> AppResult<i64> {
    let code = institution.details.credit_code.as_str();
    Ok(zijin_store::contracts::received_in_year(&mut **db, year)
        .await?
        .into_iter()
        .filter(|(buyer, _, _)| buyer == code)
        .map(|(_, received, technology)| received.min(technology))
        .sum())
}

pub fn fed_by_registry(measure_id: &str) -> bool {
    MEASURES.contains(&measure_id)
}

fn role_of(code: &str, institution: &Institution) -> Option<AwardRole> {
    let credit = institution.details.credit_code.as_str().to_string();
    match code {
        "seller" => Some(AwardRole::Seller(credit)),
        "buyer" => Some(AwardRole::Buyer(credit)),
        "registry-org" => Some(AwardRole::Registry(institution.id)),
        "transfer-org" => Some(AwardRole::Broker(institution.id)),
        _ => None,
    }
}

fn amount_text(fen: i64) -> AppResult<Value> {
    Money::from_fen(fen)
        .map(|m| Value::String(m.to_string()))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Replaces `technology_amount` in the facts of a registry-fed measure with the registry's
/// figure for the role the facts name (left as typed for other measures).
pub async fn overlay(
    db: &mut zijin_store::WriteTx,
    measure_id: &str,
    institution: &Institution,
    year: i32,
    facts: &mut Map<String, Value>,
) -> AppResult<()> {
    if !fed_by_registry(measure_id) {
        return Ok(());
    }
    if measure_id == BUYER_SUBSIDY {
        let fen = received_technology(db, institution, year).await?;
        facts.insert("received_technology".into(), amount_text(fen)?);
        return Ok(());
    }
    let role = facts.get("role").and_then(Value::as_str).unwrap_or("");
    let fen = match role_of(role, institution) {
        Some(role) => zijin_store::contracts::technology_for(&mut **db, &role, year).await?,
        None => 0,
    };
    facts.insert("technology_amount".into(), amount_text(fen)?);
    Ok(())
}

/// The facts of a 免申即享 draft: the first role (合同登记机构, 技术转移机构, 输出方, 吸纳方)
/// under which the institution has registered contracts in `year`; `None` when it has none.
pub async fn exempt_facts(
    db: &mut zijin_store::WriteTx,
    measure_id: &str,
    institution: &Institution,
    year: i32,
) -> AppResult<Option<Map<String, Value>>> {
    if measure_id == BUYER_SUBSIDY {
        let fen = received_technology(db, institution, year).await?;
        if fen == 0 {
            return Ok(None);
        }
        let mut facts = Map::new();
        facts.insert("received_technology".into(), amount_text(fen)?);
        return Ok(Some(facts));
    }
    let mut roles = Vec::new();
    if institution.details.kind == InstitutionType::ContractRegistry {
        roles.push("registry-org");
    }
    if institution.details.kind == InstitutionType::ServiceOrganization {
        roles.push("transfer-org");
    }
    roles.extend(["seller", "buyer"]);
    for role in roles {
        let Some(award_role) = role_of(role, institution) else {
            continue;
        };
        let fen = zijin_store::contracts::technology_for(&mut **db, &award_role, year).await?;
        if fen > 0 {
            let mut facts = Map::new();
            facts.insert("role".into(), Value::String(role.into()));
            facts.insert("technology_amount".into(), amount_text(fen)?);
            return Ok(Some(facts));
        }
    }
    Ok(None)
}

//! 企业融资白名单 (art. 15, issue 19): the criteria are data (`config/financing-white-list.toml`);
//! the platform computes the enterprises that meet them from what it holds (qualification tags,
//! registered contracts of the year before, recognised carriers, carriers' incubatees); the
//! bureau confirms a list; 金融机构 users (accounts of a financial institution) read the latest
//! confirmed list with each enterprise's profile.
//!
//! Also here: carriers' incubatees (在孵企业), which a carrier's institution registers.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use zijin_domain::{Coded, Institution, InstitutionTag, InstitutionType};
use zijin_store::audit::Change;

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

const CRITERIA_FILE: &str = include_str!("../../../config/financing-white-list.toml");

/// What a criterion reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The institution holds the qualification tag.
    Tag(InstitutionTag),
    /// 技术交易额 as seller or buyer in the year before of at least this many yuan.
    Contracts(Decimal),
    /// The institution runs a recognised carrier.
    Carrier,
    /// A recognised carrier registered the institution as its incubatee.
    Incubatee,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub code: String,
    pub name: String,
    pub test: Test,
}

#[derive(Debug, Clone)]
pub struct Criteria {
    pub name: String,
    pub min_criteria: usize,
    pub criteria: Vec<Criterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: String,
    min_criteria: usize,
    criterion: Vec<RawCriterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    code: String,
    name: String,
    kind: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    min: Option<String>,
}

/// Reads a criteria file: kinds known, tags known, amounts positive, at least one criterion.
pub fn parse_criteria(text: &str) -> Result<Criteria, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| format!("白名单标准文件无效：{e}"))?;
    let mut criteria = Vec::new();
    for c in raw.criterion {
        let test = match (c.kind.as_str(), &c.tag, &c.min) {
            ("tag", Some(tag), None) => Test::Tag(
                InstitutionTag::from_code(tag)
                    .ok_or_else(|| format!("{}：没有这个资质标签：{tag}", c.name))?,
            ),
            ("contracts", None, Some(min)) => Test::Contracts(
                min.parse::<Decimal>()
                    .ok()
                    .filter(|m| *m > Decimal::ZERO)
                    .ok_or_else(|| format!("{}：金额应为正数：{min}", c.name))?,
            ),
            ("carrier", None, None) => Test::Carrier,
            ("incubatee", None, None) => Test::Incubatee,
            _ => {
                return Err(format!(
                    "{}：种类应为 tag（写明 tag）、contracts（写明 min）、carrier 或 incubatee",
                    c.name
                ));
            }
        };
        criteria.push(Criterion {
            code: c.code,
            name: c.name,
            test,
        });
    }
    if criteria.is_empty() || raw.min_criteria == 0 || raw.min_criteria > criteria.len() {
        return Err("白名单标准至少一项，入选所需项数应在 1 至标准项数之间".into());
    }
    Ok(Criteria {
        name: raw.name,
        min_criteria: raw.min_criteria,
        criteria,
    })
}

/// The shipped criteria.
pub fn criteria() -> &'static Criteria {
    static FILE: OnceLock<Criteria> = OnceLock::new();
    FILE.get_or_init(|| parse_criteria(CRITERIA_FILE).unwrap_or_else(|e| panic!("{e}")))
}

/// An enterprise that meets the criteria, with the names of those it meets.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub institution: Institution,
    pub met: Vec<String>,
}

async fn compute_in(app: &App, year: i32) -> AppResult<Vec<Candidate>> {
    let db = app.store().pool();
    let traded = zijin_store::white_list::technology_by_code(db, year).await?;
    let carriers: HashSet<i64> = zijin_store::white_list::carrier_institutions(db).await?;
    let incubatees: HashMap<i64, Vec<String>> = zijin_store::white_list::incubatees(db).await?;
    let rules = criteria();
    let mut out = Vec::new();
    for institution in zijin_store::institutions::all(db).await? {
        if institution.details.kind != InstitutionType::Enterprise {
            continue;
        }
        let met: Vec<String> = rules
            .criteria
            .iter()
            .filter(|c| match &c.test {
                Test::Tag(tag) => institution.details.tags.contains(tag),
                Test::Contracts(min) => {
                    let fen = traded
                        .get(institution.details.credit_code.as_str())
                        .copied()
                        .unwrap_or(0);
                    Decimal::new(fen, 2) >= *min
                }
                Test::Carrier => carriers.contains(&institution.id),
                Test::Incubatee => incubatees.contains_key(&institution.id),
            })
            .map(|c| c.name.clone())
            .collect();
        if met.len() >= rules.min_criteria {
            out.push(Candidate { institution, met });
        }
    }
    Ok(out)
}

fn data_year(app: &App) -> i32 {
    chrono::Datelike::year(&crate::applications::beijing_date(app.now())) - 1
}

/// The enterprises the criteria select now (the bureau, before confirming).
pub async fn candidates(app: &App, actor: &Actor) -> AppResult<Vec<Candidate>> {
    access::require(actor, Area::WhiteList)?;
    compute_in(app, data_year(app)).await
}

/// Confirms the list as computed now (the bureau; `confirmed` must be set). Returns its id.
pub async fn confirm(app: &App, actor: &Actor, confirmed: bool) -> AppResult<i64> {
    access::require(actor, Area::WhiteList)?;
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "确认后名单即向金融机构公开，请勾选确认后再提交",
        ));
    }
    let year = data_year(app);
    // Computed from the committed data of this moment, then recorded in one unit of work.
    let found = compute_in(app, year).await?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let on = crate::applications::beijing_date(now);
    let title = format!("企业融资白名单（{}确认）", on.format("%Y年%m月%d日"));
    let entries: Vec<(i64, String)> = found
        .iter()
        .map(|c| (c.institution.id, json!(c.met).to_string()))
        .collect();
    let id = zijin_store::white_list::confirm(
        work.tx(),
        &title,
        &on.format("%Y-%m-%d").to_string(),
        &actor.audit_name(),
        year,
        &entries,
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "white_list.confirm",
        entity: "white_list",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "title": title, "enterprises": entries.len(), "data_year": year })),
    });
    work.commit().await?;
    Ok(id)
}

/// The latest confirmed list, for the bureau and 金融机构 users.
pub struct Confirmed {
    pub title: String,
    pub confirmed_on: String,
    pub data_year: i32,
    pub entries: Vec<Candidate>,
}

pub async fn latest(app: &App, actor: &Actor) -> AppResult<Option<Confirmed>> {
    access::require_white_list_reader(app, actor).await?;
    let pool = app.store().pool();
    let Some((list, rows)) = zijin_store::white_list::latest(pool).await? else {
        return Ok(None);
    };
    let mut entries = Vec::new();
    for (id, criteria) in rows {
        let Some(institution) = zijin_store::institutions::get(pool, id).await? else {
            continue;
        };
        let met: Vec<String> = serde_json::from_str(&criteria)
            .map_err(|_| AppError::Internal(format!("白名单条目无效：{id}")))?;
        entries.push(Candidate { institution, met });
    }
    Ok(Some(Confirmed {
        title: list.title,
        confirmed_on: list.confirmed_on,
        data_year: list.data_year,
        entries,
    }))
}

/// Registers an enterprise (by credit code) as an incubatee of a recognised carrier (the
/// carrier's institution).
pub async fn add_incubatee(
    app: &App,
    actor: &Actor,
    carrier_id: i64,
    credit_code: &str,
) -> AppResult<()> {
    access::require(actor, Area::OwnCarriers)?;
    let own = access::require_own_institution(actor)?;
    let carrier = zijin_store::carriers::get(app.store().pool(), carrier_id)
        .await?
        .ok_or(AppError::NotFound("载体"))?;
    if carrier.institution_id != own {
        return Err(AppError::Forbidden);
    }
    let code = zijin_domain::CreditCode::parse(credit_code)
        .map_err(|e| AppError::field("credit_code", e.to_string()))?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let carrier = zijin_store::carriers::get_for_update(work.tx(), carrier_id)
        .await?
        .ok_or(AppError::NotFound("载体"))?;
    if !carrier.recognised {
        return Err(AppError::WrongState("该载体已撤销认定".into()));
    }
    let enterprise = zijin_store::institutions::get_by_credit_code(&mut **work.tx(), &code)
        .await?
        // No institution holds the code: nothing to register (404); the enterprise signs up first.
        .ok_or(AppError::NotFound(
            "该统一社会信用代码的机构（请该企业先在平台注册）",
        ))?;
    if enterprise.details.kind != InstitutionType::Enterprise {
        return Err(AppError::field(
            "credit_code",
            format!("{}不是企业，不能登记为在孵企业", enterprise.details.name),
        ));
    }
    let since = crate::applications::beijing_date(now)
        .format("%Y-%m-%d")
        .to_string();
    if !zijin_store::white_list::add_incubatee(work.tx(), carrier_id, enterprise.id, &since, now)
        .await?
    {
        return Err(AppError::WrongState(format!(
            "{}已登记为本载体的在孵企业",
            enterprise.details.name
        )));
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "carrier.add_incubatee",
        entity: "carrier",
        entity_id: carrier_id.to_string(),
        before: None,
        after: Some(json!({ "incubatee": enterprise.details.name, "since": since })),
    });
    work.commit().await?;
    Ok(())
}

/// A carrier's incubatees (its institution, and the bureau): (name, since).
pub async fn incubatees(
    app: &App,
    actor: &Actor,
    carrier_id: i64,
) -> AppResult<Vec<(String, String)>> {
    let carrier = zijin_store::carriers::get(app.store().pool(), carrier_id)
        .await?
        .ok_or(AppError::NotFound("载体"))?;
    if !access::may(actor, Area::Carriers)
        && access::own_institution_id(actor) != Some(carrier.institution_id)
    {
        return Err(AppError::Forbidden);
    }
    Ok(
        zijin_store::white_list::incubatees_of(app.store().pool(), carrier_id)
            .await?
            .into_iter()
            .map(|(_, name, since)| (name, since))
            .collect(),
    )
}

/// Demo incubatees: registered for a carrier without its institution's account.
pub(crate) async fn demo_incubatee(
    app: &App,
    carrier_id: i64,
    institution_id: i64,
) -> AppResult<()> {
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let since = crate::applications::beijing_date(now)
        .format("%Y-%m-%d")
        .to_string();
    zijin_store::white_list::add_incubatee(work.tx(), carrier_id, institution_id, &since, now)
        .await?;
    work.audit(Change {
        actor: Actor::System("demo").audit_name(),
        action: "carrier.add_incubatee",
        entity: "carrier",
        entity_id: carrier_id.to_string(),
        before: None,
        after: Some(json!({ "incubatee": institution_id, "since": since })),
    });
    work.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_criteria_read_and_bad_ones_are_refused() {
        let c = criteria();
        assert_eq!(c.min_criteria, 1);
        assert!(
            c.criteria
                .iter()
                .any(|c| c.test == Test::Tag(InstitutionTag::HighTechEnterprise))
        );
        assert!(
            parse_criteria(&CRITERIA_FILE.replace("tag = \"high-tech\"", "tag = \"卓越\""))
                .unwrap_err()
                .contains("卓越")
        );
        assert!(
            parse_criteria(&CRITERIA_FILE.replace("min = \"1000000\"", "min = \"-5\"")).is_err()
        );
        assert!(
            parse_criteria(&CRITERIA_FILE.replace("min_criteria = 1", "min_criteria = 9")).is_err()
        );
    }
}

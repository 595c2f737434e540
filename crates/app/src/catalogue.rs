//! 创新产品应用推荐目录 (art. 9, issue 19): an institution applies to list an innovative product
//! (name, field, first market date, certificates); the bureau approves or refuses; a publication
//! freezes the approved products not yet published as one batch (第N批), public with PDF and
//! .xlsx. A product first put on the market within [`FIRST_MARKET_YEARS`] years before the
//! publication is flagged as eligible for single-source procurement (依法依规采用单一来源等
//! 非公开招标方式采购首次投向市场的创新产品).
//!
//! **Invariants**: a published batch never changes (its entries are snapshots); a product is in
//! at most one batch; two publications at once make two batches or one, never the same batch
//! twice (the batch number is unique).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zijin_store::audit::Change;
pub use zijin_store::catalogue::StoredProduct;
use zijin_store::catalogue::{self as store, StoredCatalogue, StoredEntry};

use crate::access::{self, Area};
use crate::unit::UnitOfWork;
use crate::{Actor, App, AppError, AppResult};

/// How recent a first market date makes a product "首次投向市场" at publication.
pub const FIRST_MARKET_YEARS: i32 = 3;
pub const NAME_MAX_CHARS: usize = 60;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const CERTIFICATE_MAX_CHARS: usize = 60;
pub const CERTIFICATES_MAX: usize = 10;

/// What an applicant fills.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductInput {
    pub name: String,
    /// A technical field's code or label.
    pub field: String,
    /// YYYY-MM-DD.
    pub first_market_on: String,
    /// One per line (page) or one per item (API).
    pub certificates: Vec<String>,
    pub description: String,
}

/// A product as frozen in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySnapshot {
    pub name: String,
    pub company: String,
    pub district: String,
    pub field: String,
    pub first_market_on: String,
    pub certificates: Vec<String>,
    pub description: String,
}

/// A batch with its entries.
#[derive(Debug, Clone)]
pub struct Batch {
    pub catalogue: StoredCatalogue,
    pub entries: Vec<(EntrySnapshot, bool)>,
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "待审核",
        "approved" => "已通过，待发布",
        "refused" => "未通过",
        _ => "未知状态",
    }
}

/// Whether a product first marketed on `first` counts as 首次投向市场 when published on `on`.
pub fn first_to_market(first: NaiveDate, on: NaiveDate) -> bool {
    let since = NaiveDate::from_ymd_opt(on.year() - FIRST_MARKET_YEARS, on.month(), on.day())
        .or_else(|| NaiveDate::from_ymd_opt(on.year() - FIRST_MARKET_YEARS, on.month(), 28))
        .unwrap_or(on);
    first >= since && first <= on
}

/// Applies to list a product (institution users).
pub async fn apply(app: &App, actor: &Actor, input: &ProductInput) -> AppResult<i64> {
    apply_as(app, actor, input, false).await
}

pub(crate) async fn apply_as(
    app: &App,
    actor: &Actor,
    input: &ProductInput,
    is_demo: bool,
) -> AppResult<i64> {
    access::require(actor, Area::OwnProducts)?;
    let institution_id = access::require_own_institution(actor)?;
    let fields = zijin_store::records::technical_fields(app.store().pool()).await?;
    let today = crate::applications::beijing_date(app.now());
    let mut errors = zijin_domain::FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.add("name", "请填写产品名称");
    } else if name.chars().count() > NAME_MAX_CHARS {
        errors.add("name", format!("产品名称不能超过 {NAME_MAX_CHARS} 字"));
    }
    let field = fields
        .iter()
        .find(|f| f.code == input.field.trim() || f.label == input.field.trim());
    if field.is_none() {
        errors.add("field", "请选择产品所属的技术领域");
    }
    let first = NaiveDate::parse_from_str(input.first_market_on.trim(), "%Y-%m-%d");
    match first {
        Err(_) => errors.add(
            "first_market_on",
            "首次投放市场日期应写作 YYYY-MM-DD，例如 2025-09-01",
        ),
        Ok(date) if date > today => errors.add("first_market_on", "首次投放市场日期不能晚于今天"),
        Ok(date) if date.year() < 1980 => {
            errors.add("first_market_on", "首次投放市场日期过早，请核对")
        }
        Ok(_) => {}
    }
    let certificates: Vec<String> = input
        .certificates
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if certificates.is_empty() {
        errors.add(
            "certificates",
            "请至少列出一项证明材料（检测报告、认定证书、软件著作权等）",
        );
    } else if certificates.len() > CERTIFICATES_MAX {
        errors.add(
            "certificates",
            format!("证明材料最多列 {CERTIFICATES_MAX} 项"),
        );
    } else if let Some(long) = certificates
        .iter()
        .find(|c| c.chars().count() > CERTIFICATE_MAX_CHARS)
    {
        errors.add(
            "certificates",
            format!("每项证明材料不超过 {CERTIFICATE_MAX_CHARS} 字：{long}"),
        );
    }
    let description = input.description.trim();
    if description.is_empty() {
        errors.add("description", "请简要介绍产品的创新点和应用情况");
    } else if description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.add(
            "description",
            format!("产品介绍不能超过 {DESCRIPTION_MAX_CHARS} 字"),
        );
    }
    let (Some(field), Ok(first)) = (field, first) else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let same = store::products(&mut **work.tx(), Some(institution_id))
        .await?
        .into_iter()
        .find(|p| p.name == name && p.status != "refused");
    if let Some(same) = same {
        return Err(AppError::WrongState(format!(
            "本单位已申报过“{name}”（{}），不能重复申报",
            if same.catalogue_id.is_some() {
                "已列入目录"
            } else {
                status_label(&same.status)
            }
        )));
    }
    let first_text = first.format("%Y-%m-%d").to_string();
    let id = store::insert(
        work.tx(),
        &store::NewProduct {
            institution_id,
            name,
            field: &field.code,
            first_market_on: &first_text,
            certificates: &certificates,
            description,
            submitted_by: actor.user().map(|u| u.id),
            is_demo,
        },
        now,
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: "product.apply",
        entity: "product",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "name": name, "field": field.code, "first_market_on": first_text, "certificates": certificates })),
    });
    work.commit().await?;
    Ok(id)
}

/// The products the actor may see: the bureau all, an institution its own.
pub async fn products(app: &App, actor: &Actor) -> AppResult<Vec<StoredProduct>> {
    let institution = if access::may(actor, Area::Catalogue) {
        None
    } else {
        access::require(actor, Area::OwnProducts)?;
        Some(access::require_own_institution(actor)?)
    };
    Ok(store::products(app.store().pool(), institution).await?)
}

/// The bureau approves (to be listed in the next batch) or refuses (with a reason) a product.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    approve: bool,
    reason: &str,
) -> AppResult<()> {
    access::require(actor, Area::Catalogue)?;
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(AppError::field("reason", "请写明不予列入的原因"));
    }
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let product = store::for_update(work.tx(), id)
        .await?
        .ok_or(AppError::NotFound("产品"))?;
    if product.status != "submitted" {
        return Err(AppError::WrongState(format!(
            "该产品{}，不能再审核",
            status_label(&product.status)
        )));
    }
    store::decide(work.tx(), id, approve, reason, now).await?;
    zijin_store::notifications::notify(
        work.tx(),
        product.institution_id,
        &if approve {
            format!(
                "“{}”已通过审核，将列入下一批创新产品应用推荐目录",
                product.name
            )
        } else {
            format!("“{}”未列入创新产品应用推荐目录：{reason}", product.name)
        },
        "/my/products",
        &zijin_store::timestamp(now),
    )
    .await?;
    work.audit(Change {
        actor: actor.audit_name(),
        action: if approve {
            "product.approve"
        } else {
            "product.refuse"
        },
        entity: "product",
        entity_id: id.to_string(),
        before: Some(json!({ "status": "submitted" })),
        after: Some(
            json!({ "status": if approve { "approved" } else { "refused" }, "reason": reason }),
        ),
    });
    work.commit().await?;
    Ok(())
}

/// Publishes the next batch (第N批) of the approved products not yet published (the bureau;
/// final, so `confirmed` must be set). Refused when there is nothing to publish.
pub async fn publish(app: &App, actor: &Actor, confirmed: bool) -> AppResult<i64> {
    access::require(actor, Area::Catalogue)?;
    if !confirmed {
        return Err(AppError::field(
            "confirm",
            "发布后目录不能修改，请勾选确认后再发布",
        ));
    }
    let fields = zijin_store::records::technical_fields(app.store().pool()).await?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let on = crate::applications::beijing_date(now);
    // Before reading what is ready: a publication at the same moment waits here, then finds
    // the products published.
    store::lock_ready(work.tx()).await?;
    let ready: Vec<StoredProduct> = store::products(&mut **work.tx(), None)
        .await?
        .into_iter()
        .rev()
        .filter(|p| p.status == "approved" && p.catalogue_id.is_none())
        .collect();
    if ready.is_empty() {
        return Err(AppError::WrongState(
            "没有已通过审核、尚未发布的产品，无需发布".into(),
        ));
    }
    let batch = store::last_batch(&mut **work.tx()).await? + 1;
    let title = format!("南京市创新产品应用推荐目录（第{batch}批）");
    let mut entries = Vec::new();
    for p in &ready {
        let first = NaiveDate::parse_from_str(&p.first_market_on, "%Y-%m-%d").map_err(|_| {
            AppError::Internal(format!("首次投放市场日期无效：{}", p.first_market_on))
        })?;
        let snapshot = EntrySnapshot {
            name: p.name.clone(),
            company: p.institution_name.clone(),
            district: <zijin_domain::District as zijin_domain::Coded>::from_code(&p.district)
                .map(|d| zijin_domain::Coded::label(d).to_string())
                .unwrap_or_else(|| p.district.clone()),
            field: fields
                .iter()
                .find(|f| f.code == p.field)
                .map(|f| f.label.clone())
                .unwrap_or_else(|| p.field.clone()),
            first_market_on: p.first_market_on.clone(),
            certificates: p.certificates.clone(),
            description: p.description.clone(),
        };
        entries.push(StoredEntry {
            product_id: p.id,
            snapshot: serde_json::to_string(&snapshot)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            single_source: first_to_market(first, on),
        });
    }
    let id = store::publish(
        work.tx(),
        &title,
        batch,
        &on.format("%Y-%m-%d").to_string(),
        &actor.audit_name(),
        &entries,
        now,
    )
    .await
    .map_err(|error| match error {
        zijin_store::StoreError::Duplicate { .. } => {
            AppError::WrongState("另一批目录刚刚发布，请刷新后再试".into())
        }
        other => other.into(),
    })?;
    for p in &ready {
        zijin_store::notifications::notify(
            work.tx(),
            p.institution_id,
            &format!("“{}”已列入{title}", p.name),
            &format!("/catalogue/{id}"),
            &zijin_store::timestamp(now),
        )
        .await?;
    }
    work.audit(Change {
        actor: actor.audit_name(),
        action: "catalogue.publish",
        entity: "catalogue",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "title": title, "products": ready.len() })),
    });
    work.commit().await?;
    Ok(id)
}

/// The published batches, newest first (public).
pub async fn catalogues(app: &App) -> AppResult<Vec<StoredCatalogue>> {
    Ok(store::catalogues(app.store().pool()).await?)
}

/// One batch with its entries (public).
pub async fn batch(app: &App, id: i64) -> AppResult<Batch> {
    let pool = app.store().pool();
    let catalogue = store::get(pool, id)
        .await?
        .ok_or(AppError::NotFound("目录"))?;
    let entries = store::entries(pool, id)
        .await?
        .into_iter()
        .map(|e| {
            serde_json::from_str::<EntrySnapshot>(&e.snapshot)
                .map(|s| (s, e.single_source))
                .map_err(|_| AppError::Internal(format!("目录条目无效：{}", e.product_id)))
        })
        .collect::<AppResult<_>>()?;
    Ok(Batch { catalogue, entries })
}

const HEADERS: [(&str, f64); 8] = [
    ("序号", 6.0),
    ("产品名称", 28.0),
    ("生产企业", 28.0),
    ("所在区", 10.0),
    ("技术领域", 14.0),
    ("首次投放市场", 14.0),
    ("证明材料", 36.0),
    ("首次投向市场（可单一来源采购）", 18.0),
];

fn rows(batch: &Batch) -> Vec<Vec<String>> {
    batch
        .entries
        .iter()
        .enumerate()
        .map(|(k, (e, single))| {
            vec![
                (k + 1).to_string(),
                e.name.clone(),
                e.company.clone(),
                e.district.clone(),
                e.field.clone(),
                e.first_market_on.clone(),
                e.certificates.join("；"),
                if *single { "是" } else { "否" }.to_string(),
            ]
        })
        .collect()
}

pub fn export_xlsx(batch: &Batch) -> AppResult<Vec<u8>> {
    crate::exports::table_xlsx(
        &format!("第{}批", batch.catalogue.batch),
        &HEADERS,
        &rows(batch),
    )
}

pub async fn export_pdf(batch: &Batch) -> AppResult<Vec<u8>> {
    let on = NaiveDate::parse_from_str(&batch.catalogue.published_on, "%Y-%m-%d").ok();
    let weights = [0.5, 2.2, 2.2, 0.9, 1.1, 1.1, 2.6, 1.2];
    let publication = zijin_pdf::Publication {
        title: batch.catalogue.title.clone(),
        preamble: vec![
            format!("发布日期：{}", batch.catalogue.published_on),
            "依据：南京市加快推进科技成果转化的实施意见第9条“支持创新产品推广应用，定期发布应用推荐目录”。".into(),
            format!(
                "“首次投向市场”指首次投放市场日期在发布日前{FIRST_MARKET_YEARS}年内，可依法依规采用单一来源等非公开招标方式采购。"
            ),
        ],
        tables: vec![zijin_pdf::Table {
            heading: format!("本批共 {} 项产品", batch.entries.len()),
            columns: HEADERS
                .iter()
                .zip(weights)
                .map(|((h, _), w)| zijin_pdf::Column::new(*h, w))
                .collect(),
            rows: rows(batch),
            empty_note: "本批无产品".into(),
        }],
        footer: "紫金科技成果转化服务平台 · 创新产品应用推荐目录".into(),
        date: on.map(|d| (d.year() as u16, d.month() as u8, d.day() as u8)),
    };
    crate::exports::render_pdf(publication, "创新产品应用推荐目录").await
}

/// Demo products: applied for by `institution_id` (no account needed), marked as demo; the
/// bureau's part (review, publication) goes through [`decide`] and [`publish`].
pub(crate) async fn demo_product(
    app: &App,
    institution_id: i64,
    input: &ProductInput,
) -> AppResult<i64> {
    let fields = zijin_store::records::technical_fields(app.store().pool()).await?;
    let field = fields
        .iter()
        .find(|f| f.code == input.field || f.label == input.field)
        .ok_or_else(|| AppError::Internal(format!("演示产品的技术领域无效：{}", input.field)))?;
    let mut work = UnitOfWork::begin(app).await?;
    let now = work.now();
    let id = store::insert(
        work.tx(),
        &store::NewProduct {
            institution_id,
            name: &input.name,
            field: &field.code,
            first_market_on: &input.first_market_on,
            certificates: &input.certificates,
            description: &input.description,
            submitted_by: None,
            is_demo: true,
        },
        now,
    )
    .await?;
    work.audit(Change {
        actor: Actor::System("demo").audit_name(),
        action: "product.apply",
        entity: "product",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({ "name": input.name, "first_market_on": input.first_market_on })),
    });
    work.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_to_market_means_within_three_years_before_publication() {
        let on = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(first_to_market(day(2023, 12, 4), on));
        assert!(!first_to_market(day(2023, 12, 3), on));
        assert!(first_to_market(day(2026, 12, 4), on));
        assert!(!first_to_market(day(2026, 12, 5), on));
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert!(first_to_market(day(2025, 2, 28), leap));
    }
}

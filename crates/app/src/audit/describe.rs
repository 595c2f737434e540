//! The audit log as sentences a clerk reads: who did what to which record (by its title), and
//! what changed, field by field, in labels ("状态：待审核 → 审核通过"), never codes.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value as Json;
use zijin_domain::{
    ApplicationStatus, Coded, Designation, District, InstitutionTag, InstitutionType, MatchStage,
    Money, RecordStatus, ResponsibleUnit, ReviewStep, Role, Stage, TransferMode, group_thousands,
};
use zijin_store::audit::{Entry, object_titles};

use crate::auth::display_time;
use crate::{App, AppResult};

/// One audit entry as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    pub seq: i64,
    /// Beijing time, to the minute.
    pub at: String,
    /// The person (display name) or the system part that acted.
    pub actor: String,
    /// What was done, as a verb phrase ("审核通过了").
    pub verb: String,
    /// The object: its kind and title ("成果「……」"), empty for acts without one (登录).
    pub object: String,
    /// The whole sentence.
    pub sentence: String,
    pub changes: Vec<ChangeText>,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChangeText {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The kinds of objects the log records, with their labels, for the filter.
pub const OBJECT_KINDS: &[(&str, &str)] = &[
    ("achievement", "成果"),
    ("demand", "需求"),
    ("institution", "机构"),
    ("user", "用户"),
    ("call", "申报通知"),
    ("application", "申报"),
    ("notice", "公示"),
    ("objection", "异议"),
    ("payment_batch", "拨付批次"),
    ("payment", "拨付"),
    ("list-issue", "清单期次"),
    ("match", "对接"),
    ("technical-field", "技术领域"),
    ("contract", "技术合同"),
    ("ranking", "排行榜"),
    ("carrier", "载体"),
    ("audit", "审计日志"),
];

/// The acts the filter offers: the verb part of the action code and its label.
pub const ACT_KINDS: &[(&str, &str)] = &[
    ("create", "新建"),
    ("update", "修改"),
    ("submit", "提交"),
    ("approve", "审核通过"),
    ("return", "退回"),
    ("reject", "不予通过"),
    ("publish", "发布"),
    ("close", "关闭"),
    ("import", "导入"),
    ("login", "登录"),
    ("disable", "停用"),
    ("paid", "拨付"),
    ("interest", "表示意向"),
    ("terminate", "终止"),
    ("register", "登记"),
    ("refuse", "未予登记"),
    ("change", "变更"),
    ("cancel", "注销"),
    ("freeze", "发布冻结"),
];

fn object_kind_label(entity: &str) -> &'static str {
    OBJECT_KINDS
        .iter()
        .find(|(code, _)| *code == entity)
        .map_or("记录", |(_, label)| label)
}

/// Kinds whose stored title already says what the object is ("某机构申报的「…」").
fn composite(entity: &str) -> bool {
    matches!(
        entity,
        "application" | "match" | "notice" | "objection" | "payment_batch" | "payment"
    )
}

fn verb(action: &str) -> &'static str {
    let act = action.rsplit('.').next().unwrap_or(action);
    match act {
        "create" | "open" | "add" => "新建了",
        "update" => "修改了",
        "update-profile" => "修改了资料：",
        "rename" => "重命名了",
        "submit" => "提交了",
        "approve" => "审核通过了",
        "return" => "退回了",
        "reject" => "不予通过",
        "publish" => "发布了",
        "close" => "关闭了",
        "import" => "导入了",
        "draft" => "保存了草稿：",
        "confirm" => "确认了",
        "login" => "登录了系统",
        "logout" => "退出了系统",
        "login-failed" => "登录失败",
        "disable" => "停用了账号",
        "enable" => "启用了账号",
        "unlock" => "解除了锁定：",
        "email-change" => "修改了电子邮箱：",
        "password-change" => "修改了密码：",
        "password-reset" => "重置了密码：",
        "tech-manager-on" => "设为技术经纪人：",
        "tech-manager-off" => "取消了技术经纪人身份：",
        "expert-on" => "设为评审专家：",
        "expert-off" => "取消了评审专家身份：",
        "file-add" => "上传了附件：",
        "file-remove" => "删除了附件：",
        "experts-assign" => "指派了评审专家：",
        "expert-score" => "提交了专家评分：",
        "expert-conflict" => "声明了回避：",
        "exempt-pass" => "运行了免申即享：",
        "batch" => "生成了",
        "paid" => "登记拨付了",
        "objection" => "提出了异议：",
        "ruling" => "裁定了",
        "recommend" => "推荐了",
        "message" => "发送了洽谈消息：",
        "contact_view" => "查看了联系方式：",
        "interest" => "表示了意向：",
        "negotiate" => "进入洽谈：",
        "sign" => "签约了",
        "terminate" => "终止了",
        "assign-tech-manager" => "指派了技术经纪人：",
        "seal" => "封存了",
        "register" => "予以登记：",
        "refuse" => "未予登记：",
        "resubmit" => "补正后重新提交了",
        "edit" => "修改了",
        "change" => "变更了",
        "cancel" => "注销了",
        "receipt" => "登记了到账：",
        "freeze" => "发布并冻结了",
        "recognise" => "认定了",
        "withdraw" => "撤销了认定：",
        "profile" => "更新了技术经理人资料：",
        _ => "操作了",
    }
}

fn field_label(key: &str) -> &'static str {
    match key {
        "status" => "状态",
        "step" => "审核环节",
        "title" => "名称",
        "name" => "名称",
        "label" => "名称",
        "summary" => "简介",
        "description" => "描述",
        "field" => "技术领域",
        "keywords" => "关键词",
        "trl" => "技术成熟度",
        "ip_items" => "知识产权",
        "transfer_modes" => "转化方式",
        "cooperation_modes" => "合作方式",
        "price" => "参考价格",
        "budget_min" => "预算下限",
        "budget_max" => "预算上限",
        "deadline" => "期望完成日期",
        "contact_name" => "联系人",
        "contact_phone" => "联系电话",
        "source_flags" => "成果来源",
        "review_comment" => "审核意见",
        "priority" => "重点推介",
        "address" => "地址",
        "credit_code" => "统一社会信用代码",
        "disabled" => "已停用",
        "display_name" => "姓名",
        "district" => "所在区",
        "institution_id" => "所属机构",
        "is_demo" => "演示数据",
        "is_expert" => "评审专家",
        "is_tech_manager" => "技术经纪人",
        "kind" => "类型",
        "responsible_unit" => "责任单位",
        "role" => "角色",
        "tags" => "资质标签",
        "username" => "用户名",
        "email" => "电子邮箱",
        "published" => "已发布",
        "demand_interested" => "需求方意向",
        "achievement_interested" => "成果方意向",
        "stage" => "阶段",
        "tech_manager_id" => "技术经纪人",
        "experts" => "评审专家",
        "facts" => "申报数据",
        "filename" => "附件",
        "amount" => "金额",
        "paid_on" => "拨付日期",
        "voucher" => "凭证号",
        "ruling" => "裁定",
        "reason" => "理由",
        "comment" => "意见",
        "points" => "评分",
        "scores" => "评分",
        "premium" => "加分",
        "pilot_unit" => "试点单位",
        "enterprise_tags" => "企业资质",
        "empowered_count" => "赋权成果数",
        "payments" => "拨付笔数",
        "achievements" => "成果数",
        "size" => "大小",
        "delayed_until" => "暂停登录至",
        "approved" => "核定金额",
        "computed" => "测算金额",
        "eligible" => "符合申报条件",
        "measure" => "政策措施",
        "requirement" => "材料",
        "applicant_types" => "申报主体类型",
        "attachments" => "申报材料",
        "budgets" => "预算",
        "opens_at" => "开始时间",
        "closes_at" => "截止时间",
        "districts" => "适用区",
        "expert_review" => "专家评审",
        "notice_days" => "公示天数",
        "rubric" => "评分细则",
        "reasons" => "推荐理由",
        "score" => "匹配度",
        "step_label" => "审核环节",
        "contract_type" => "合同类型",
        "seller" => "卖方",
        "buyer" => "买方",
        "total" => "成交额",
        "technology_amount" => "技术交易额",
        "registration_number" => "合同登记编号",
        "received_on" => "到账日期",
        "count" => "数量",
        "year" => "年度",
        "entries" => "上榜单位数",
        "demo" => "演示数据",
        _ => "",
    }
}

/// Fields whose change says nothing to a reader (hashes, internal keys).
fn hidden(key: &str) -> bool {
    matches!(
        key,
        "sha256"
            | "id"
            | "code"
            | "hash"
            | "policy_hash"
            | "integrity_accepted"
            | "assigned"
            | "file"
            | "size"
            | "list_issue"
            | "call"
            | "achievement_id"
            | "demand_id"
            | "key_fingerprint"
    )
}

/// Looks a code up in every closed list, preferring the one the field names.
fn code_label(entity: &str, key: &str, code: &str) -> Option<String> {
    fn find<T: Coded>(code: &str) -> Option<String> {
        T::from_code(code).map(|value| value.label().to_string())
    }
    let specific = match (entity, key) {
        ("achievement" | "demand", "status") => {
            RecordStatus::from_code(code).map(|s| s.label().to_string())
        }
        ("application", "status") => find::<ApplicationStatus>(code),
        ("match", "stage") => find::<MatchStage>(code),
        ("contract", "status") => find::<zijin_domain::ContractStatus>(code),
        (_, "contract_type") => find::<zijin_domain::ContractType>(code),
        (_, "stage") => find::<Stage>(code),
        (_, "step") => find::<ReviewStep>(code),
        (_, "role") => find::<Role>(code),
        (_, "district") => find::<District>(code),
        (_, "kind") => find::<InstitutionType>(code),
        (_, "tags") => find::<InstitutionTag>(code),
        (_, "applicant_types") => find::<InstitutionType>(code),
        (_, "responsible_unit") => find::<ResponsibleUnit>(code),
        (_, "transfer_modes" | "cooperation_modes") => find::<TransferMode>(code),
        _ => None,
    };
    specific
        .or_else(|| RecordStatus::from_code(code).map(|s| s.label().to_string()))
        .or_else(|| find::<ApplicationStatus>(code))
        .or_else(|| find::<MatchStage>(code))
        .or_else(|| find::<TransferMode>(code))
        .or_else(|| find::<zijin_domain::SourceFlag>(code))
        .or_else(|| find::<Designation>(code))
}

struct Names {
    users: HashMap<String, String>,
    fields: HashMap<String, String>,
    /// Policy measures' names by id.
    measures: HashMap<String, String>,
    /// Institutions' names by id (an account's institution).
    institutions: HashMap<String, String>,
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && text.chars().any(|c| c.is_ascii_lowercase())
}

fn show_value(entity: &str, key: &str, value: Option<&Json>, names: &Names) -> String {
    match value {
        None | Some(Json::Null) => "（无）".to_string(),
        Some(Json::Bool(true)) => "是".to_string(),
        Some(Json::Bool(false)) => "否".to_string(),
        Some(Json::String(text)) if text.is_empty() => "（空）".to_string(),
        Some(Json::String(text)) => {
            if key == "field"
                && let Some(label) = names.fields.get(text)
            {
                return label.clone();
            }
            if matches!(
                key,
                "price"
                    | "budget_min"
                    | "budget_max"
                    | "amount"
                    | "approved"
                    | "computed"
                    | "total"
                    | "technology_amount"
            ) && let Ok(money) = Money::parse(text)
            {
                return money.shown();
            }
            if key == "measure"
                && let Some(name) = names.measures.get(text)
            {
                return name.clone();
            }
            if key == "trl" {
                return format!("{text} 级");
            }
            if text.len() >= 20 && zijin_store::parse_timestamp(text).is_ok() {
                return display_time(text);
            }
            match code_label(entity, key, text) {
                Some(label) => label,
                None if is_code(text) => "（已修改）".to_string(),
                None => text.clone(),
            }
        }
        Some(Json::Number(number)) => {
            if key == "tech_manager_id" {
                return names
                    .users
                    .get(&number.to_string())
                    .cloned()
                    .unwrap_or_else(|| "一位技术经理人".into());
            }
            if key == "institution_id" {
                return names
                    .institutions
                    .get(&number.to_string())
                    .cloned()
                    .unwrap_or_else(|| "（机构已不存在）".into());
            }
            if key == "trl" {
                return format!("{number} 级");
            }
            if key == "score"
                && let Some(score) = number.as_f64()
            {
                return format!("{}%", (score * 100.0).round());
            }
            if key == "notice_days" {
                return format!("{number} 个工作日");
            }
            group_thousands(&number.to_string())
        }
        Some(Json::Array(items)) if items.is_empty() => "（无）".to_string(),
        Some(Json::Array(items)) => {
            let shown: Vec<String> = items
                .iter()
                .map(|item| match (key, item) {
                    ("experts", Json::Number(n)) => names
                        .users
                        .get(&n.to_string())
                        .cloned()
                        .unwrap_or_else(|| "一位专家".to_string()),
                    _ => show_value(entity, key, Some(item), names),
                })
                .collect();
            shown.join("、")
        }
        // A call's budgets: measure → amount.
        Some(Json::Object(map)) if key == "budgets" => map
            .iter()
            .map(|(measure, amount)| {
                format!(
                    "{} {}",
                    names
                        .measures
                        .get(measure)
                        .cloned()
                        .unwrap_or_else(|| "政策措施".into()),
                    show_value(entity, "amount", Some(amount), names)
                )
            })
            .collect::<Vec<_>>()
            .join("、"),
        // A rubric item: its name and points.
        Some(Json::Object(map)) if map.contains_key("item") => format!(
            "{} {} 分",
            map.get("item").and_then(Json::as_str).unwrap_or(""),
            map.get("points").map(Json::to_string).unwrap_or_default()
        ),
        Some(Json::Object(_)) => "（已修改）".to_string(),
    }
}

fn snapshot(text: &Option<String>) -> serde_json::Map<String, Json> {
    match text.as_deref().map(serde_json::from_str::<Json>) {
        Some(Ok(Json::Object(map))) => map,
        _ => serde_json::Map::new(),
    }
}

fn changes(entry: &Entry, names: &Names) -> Vec<ChangeText> {
    let record = &entry.record;
    let (before, after) = (snapshot(&record.before), snapshot(&record.after));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let creation = record.before.is_none();
    keys.into_iter()
        .filter(|key| !hidden(key))
        .filter(|key| before.get(*key) != after.get(*key))
        // On creation only the fields that say something (not every empty one).
        .filter(|key| !creation || !matches!(after.get(*key), None | Some(Json::Null)))
        .map(|key| {
            let label = field_label(key);
            ChangeText {
                field: if label.is_empty() {
                    "其他信息".to_string()
                } else {
                    label.to_string()
                },
                before: if creation {
                    String::new()
                } else {
                    show_value(&record.entity, key, before.get(key), names)
                },
                after: show_value(&record.entity, key, after.get(key), names),
            }
        })
        .collect()
}

/// The user id in an actor name `user:{id}:{username}`.
fn actor_user_id(actor: &str) -> Option<&str> {
    actor.strip_prefix("user:")?.split(':').next()
}

fn actor_label(actor: &str, users: &HashMap<String, String>) -> String {
    if let Some(id) = actor_user_id(actor) {
        return users
            .get(id)
            .cloned()
            .unwrap_or_else(|| "已删除的用户".to_string());
    }
    match actor.strip_prefix("system:") {
        Some("cli") => "命令行管理工具".to_string(),
        Some("demo") => "演示数据".to_string(),
        Some("matchmaking") => "智能匹配".to_string(),
        Some("export") => "导出任务".to_string(),
        Some(_) => "系统".to_string(),
        None if actor == "anonymous" => "访客".to_string(),
        None => "系统".to_string(),
    }
}

/// Renders a page of entries, looking up every name it needs in a few queries.
pub async fn describe(app: &App, entries: &[Entry]) -> AppResult<Vec<Described>> {
    let pool = app.store.pool();
    let mut ids_by_kind: HashMap<&str, Vec<String>> = HashMap::new();
    let mut user_ids: BTreeSet<String> = BTreeSet::new();
    let mut institution_ids: BTreeSet<String> = BTreeSet::new();
    for entry in entries {
        let record = &entry.record;
        ids_by_kind
            .entry(record.entity.as_str())
            .or_default()
            .push(record.entity_id.clone());
        if let Some(id) = actor_user_id(&record.actor) {
            user_ids.insert(id.to_string());
        }
        for side in [&record.before, &record.after] {
            let map = snapshot(side);
            if let Some(Json::Number(n)) = map.get("tech_manager_id") {
                user_ids.insert(n.to_string());
            }
            if let Some(Json::Number(n)) = map.get("institution_id") {
                institution_ids.insert(n.to_string());
            }
            if let Some(Json::Array(items)) = map.get("experts") {
                user_ids.extend(
                    items
                        .iter()
                        .filter_map(|i| i.as_i64())
                        .map(|i| i.to_string()),
                );
            }
        }
    }
    let mut titles: HashMap<(String, String), String> = HashMap::new();
    for (kind, ids) in &ids_by_kind {
        for (id, title) in object_titles(pool, kind, ids).await? {
            titles.insert((kind.to_string(), id), title);
        }
    }
    let user_list: Vec<String> = user_ids.into_iter().collect();
    let users = object_titles(pool, "user", &user_list).await?;
    let fields = crate::records::technical_fields(app)
        .await?
        .into_iter()
        .map(|f| (f.code, f.label))
        .collect();
    let measures = crate::policy::measures(app)
        .iter()
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect();
    let institution_list: Vec<String> = institution_ids.into_iter().collect();
    let institutions = object_titles(pool, "institution", &institution_list).await?;
    let names = Names {
        users,
        fields,
        measures,
        institutions,
    };
    Ok(entries
        .iter()
        .map(|entry| {
            let record = &entry.record;
            let actor = actor_label(&record.actor, &names.users);
            let verb = verb(&record.action).to_string();
            let object = if matches!(record.action.as_str(), "session.login" | "session.logout")
                || record.entity == "audit"
            {
                String::new()
            } else {
                let kind = object_kind_label(&record.entity);
                match titles.get(&(record.entity.clone(), record.entity_id.clone())) {
                    Some(title) if composite(&record.entity) => title.clone(),
                    Some(title) => format!("{kind}「{title}」"),
                    // A bulk act (an import) names no single object; a ranking is its year's.
                    None if record.entity_id.is_empty() => kind.to_string(),
                    None if record.entity == "ranking" => format!("{}年度排行榜", record.entity_id),
                    None => format!("一条{kind}记录"),
                }
            };
            let sentence = if record.action == "user.login-failed" {
                format!("{object}登录失败（密码错误）")
            } else if object.is_empty() {
                format!("{actor} {verb}")
            } else {
                format!("{actor} {verb}{object}")
            };
            Described {
                seq: record.seq,
                at: display_time(&record.at),
                actor,
                verb,
                object,
                sentence,
                changes: changes(entry, &names),
                hash: entry.hash.clone(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shown_by_their_labels() {
        assert_eq!(
            code_label("achievement", "status", "submitted").as_deref(),
            Some("待审核")
        );
        assert_eq!(
            code_label("application", "status", "approved").as_deref(),
            Some(ApplicationStatus::Approved.label())
        );
        assert_eq!(verb("achievement.approve"), "审核通过了");
        assert_eq!(verb("session.login"), "登录了系统");
        assert!(is_code("closed-deal") && !is_code("面议") && !is_code("2026"));
    }

    #[test]
    fn values_never_show_raw_codes_or_json() {
        let names = Names {
            users: HashMap::from([("7".into(), "王芳".into())]),
            fields: HashMap::from([("new-energy".into(), "新能源".into())]),
            measures: HashMap::from([("a18-empowerment".into(), "赋权改革资助".into())]),
            institutions: HashMap::from([("3".into(), "南京大学".into())]),
        };
        let show = |key: &str, value: Json| show_value("achievement", key, Some(&value), &names);
        assert_eq!(show("field", Json::from("new-energy")), "新能源");
        assert_eq!(
            show("price", Json::from("4170000.00")),
            "4,170,000.00 元（417 万元）"
        );
        assert_eq!(show("approved", Json::from("8000.00")), "8,000.00 元");
        assert_eq!(
            show("measure", Json::from("a18-empowerment")),
            "赋权改革资助"
        );
        assert_eq!(
            show(
                "budgets",
                serde_json::json!({"a18-empowerment": "1000000.00"})
            ),
            "赋权改革资助 1,000,000.00 元（100 万元）"
        );
        assert_eq!(
            show(
                "rubric",
                serde_json::json!([{"item": "技术先进性", "points": 40}])
            ),
            "技术先进性 40 分"
        );
        assert_eq!(show("score", Json::from(0.895)), "90%");
        assert_eq!(show("institution_id", Json::from(3)), "南京大学");
        assert_eq!(show("demand_interested", Json::from(true)), "是");
        assert_eq!(show("tech_manager_id", Json::from(7)), "王芳");
        assert_eq!(show("experts", serde_json::json!([7, 8])), "王芳、一位专家");
        assert_eq!(
            show("unknown", Json::from("some_internal_code")),
            "（已修改）"
        );
        assert_eq!(show("facts", serde_json::json!({"a": 1})), "（已修改）");
    }
}

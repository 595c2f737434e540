//! What pages and the API show of domain values: one view struct per entity, serialisable for
//! templates and documented for OpenAPI.

use minijinja::{Value, context};
use serde::Serialize;
use zijin_app::access::RecordCapabilities;
use zijin_app::records::{Record, SeenRecord};
use zijin_app::{Actor, App, auth};
use zijin_domain::{Coded, Institution, User};

use crate::session::Visitor;
use crate::templates::ASSET_VERSION;

/// An institution as shown. Address and contacts are present only for those allowed to see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstitutionView {
    pub id: i64,
    pub name: String,
    /// Type code, e.g. `university`.
    pub kind: String,
    /// Type in Chinese, e.g. 高校.
    pub kind_label: String,
    /// Unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// District code, e.g. `jiangning`.
    pub district: String,
    pub district_label: String,
    /// Tag labels in Chinese.
    pub tags: Vec<String>,
    /// Tag codes.
    pub tag_codes: Vec<String>,
    pub description: String,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Fictitious demo data.
    pub is_demo: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl InstitutionView {
    pub fn new(institution: &Institution, with_contacts: bool) -> Self {
        let details = &institution.details;
        let private = |value: &String| with_contacts.then(|| value.clone());
        Self {
            id: institution.id,
            name: details.name.clone(),
            kind: details.kind.code().into(),
            kind_label: details.kind.label().into(),
            credit_code: details.credit_code.to_string(),
            district: details.district.code().into(),
            district_label: details.district.label().into(),
            tags: details
                .tags
                .iter()
                .map(|tag| tag.label().to_string())
                .collect(),
            tag_codes: details
                .tags
                .iter()
                .map(|tag| tag.code().to_string())
                .collect(),
            description: details.profile.description.clone(),
            address: private(&details.profile.address),
            contact_name: private(&details.profile.contact_name),
            contact_phone: private(&details.profile.contact_phone),
            is_demo: institution.is_demo,
            created_at: institution.created_at.clone(),
            updated_at: institution.updated_at.clone(),
        }
    }
}

/// An account as shown to admins and to its owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Role code: `admin`, `reviewer`, `district` or `institution`.
    pub role: String,
    pub role_label: String,
    /// What the role is bound to, in Chinese (unit, district or institution name).
    pub scope: String,
    pub responsible_unit: Option<String>,
    pub district: Option<String>,
    pub institution_id: Option<i64>,
    /// Login from some address is being delayed now (too many wrong passwords).
    pub locked: bool,
    /// Until when, in Beijing time.
    pub locked_until: Option<String>,
    /// Switched off by an admin.
    pub disabled: bool,
    /// Flagged as technology manager (技术经理人): may be assigned to matches.
    pub is_tech_manager: bool,
    /// Registered as 评审专家: may be assigned to applications at 专家评审.
    pub is_expert: bool,
    pub is_demo: bool,
}

impl UserView {
    pub async fn new(app: &App, user: &User) -> Self {
        let binding = zijin_app::users::role_binding(app, user).await;
        Self {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role.role().code().into(),
            role_label: user.role.role().label().into(),
            scope: binding.scope,
            responsible_unit: binding.responsible_unit.map(str::to_string),
            district: binding.district.map(str::to_string),
            institution_id: binding.institution_id,
            locked: false,
            locked_until: None,
            disabled: user.disabled,
            is_tech_manager: user.is_tech_manager,
            is_expert: user.is_expert,
            is_demo: user.is_demo,
        }
    }

    /// The same view with the account's login delay, from [`auth::throttled_accounts`].
    pub fn with_throttle(mut self, throttled: &std::collections::HashMap<String, String>) -> Self {
        self.locked_until = throttled.get(&self.username).cloned();
        self.locked = self.locked_until.is_some();
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// A menu's entries; empty for a plain link.
    pub children: Vec<NavItem>,
}

/// The navigation each role sees: the public pages, then the role's own work and (for the
/// bureau) the administration, each in a drop-down menu once it has more than two entries, so
/// the header keeps to one line on a laptop.
pub fn nav_for(actor: &Actor) -> Vec<NavItem> {
    use zijin_app::access::MenuGroup;
    let item = |href, label| NavItem {
        href,
        label,
        children: Vec::new(),
    };
    let mut nav = vec![
        item("/", "首页"),
        item("/lists", "两项清单"),
        item("/search", "检索"),
        item("/institutions", "机构名录"),
        item("/policy", "政策计算器"),
        item("/calls", "通知公告"),
        NavItem {
            href: "/stats/contracts",
            label: "转化数据",
            children: vec![
                item("/stats/contracts", "技术合同统计"),
                item("/rankings", "高校院所排行榜"),
                item("/carriers", "载体名录"),
                item("/catalogue", "创新产品目录"),
                item("/brokers", "技术经理人"),
            ],
        },
    ];
    // Which entries beyond the public ones a visitor sees is the access module's decision.
    let menu = zijin_app::access::menu(actor);
    let own_work = menu.iter().any(|entry| entry.href.starts_with("/my/"));
    for (group, title) in [
        (
            MenuGroup::Work,
            if own_work {
                "我的工作"
            } else {
                "业务办理"
            },
        ),
        (MenuGroup::Admin, "系统管理"),
    ] {
        let entries: Vec<NavItem> = menu
            .iter()
            .filter(|entry| entry.group == group)
            .map(|entry| item(entry.href, entry.label))
            .collect();
        if entries.len() <= 2 {
            nav.extend(entries);
        } else {
            nav.push(NavItem {
                href: entries[0].href,
                label: title,
                children: entries,
            });
        }
    }
    nav
}

/// What every page's layout needs: the user, the navigation, the CSRF token.
pub async fn page_context(app: &App, visitor: &Visitor, title: &str) -> Value {
    let user = match visitor.actor.user() {
        Some(user) => Some(UserView::new(app, user).await),
        None => None,
    };
    // The header's unread count; a failure to count leaves the badge off, not the page.
    let unread = match zijin_app::notifications::unread(app, &visitor.actor).await {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "unread notifications not counted");
            0
        }
    };
    let mut nav = nav_for(&visitor.actor);
    // The 融资白名单 is for the bureau and 金融机构 users (whose institution type decides).
    if visitor.actor.user().is_some()
        && zijin_app::access::require_white_list_reader(app, &visitor.actor)
            .await
            .is_ok()
    {
        nav.push(NavItem {
            href: "/white-list",
            label: "融资白名单",
            children: Vec::new(),
        });
    }
    context! {
        title,
        unread,
        user => ser(&user),
        nav => ser(nav),
        csrf => visitor.csrf.clone(),
        current_path => visitor.path.clone(),
        footer => ser(&visitor.config.site.footer),
        breadcrumbs => ser(crate::guide::breadcrumbs(&visitor.path, title)),
        guide => ser(crate::guide::guide_for(&visitor.path)),
        asset_version => ASSET_VERSION,
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeLabel {
    pub code: String,
    pub label: String,
}

/// Every value of a closed list, for select boxes and the reference API.
pub fn options<T: Coded>() -> Vec<CodeLabel> {
    T::ALL
        .iter()
        .map(|value| CodeLabel {
            code: value.code().into(),
            label: value.label().into(),
        })
        .collect()
}

/// A page number from a query string; anything unreadable is the first page.
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.and_then(|page| page.trim().parse::<i64>().ok())
        .filter(|page| (1..=1_000_000).contains(page))
        .unwrap_or(1)
}

/// Where a list page starts: `after` or `before` a record id (keyset), else the page number.
pub fn page_at(
    page: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
) -> zijin_app::lists::PageAt {
    use zijin_app::lists::PageAt;
    let id = |raw: Option<&str>| {
        raw.and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|v| *v >= 0)
    };
    match (id(after), id(before)) {
        (Some(after), _) => PageAt::After(after),
        (None, Some(before)) => PageAt::Before(before),
        (None, None) => PageAt::Number(page_number(page)),
    }
}

/// `path?key=value&…&`, ready for `page=N`; empty values are left out.
pub fn query_prefix(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut text = format!("{path}?");
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        text.push_str(&format!("{key}={}&", percent_encode(value)));
    }
    text
}

/// Encodes a value for a query string.
pub fn percent_encode(value: &str) -> String {
    let mut text = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                text.push(byte as char)
            }
            _ => text.push_str(&format!("%{byte:02X}")),
        }
    }
    text
}

/// Any serialisable value, for a template context.
pub fn ser<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// An achievement or demand as shown on pages: labels resolved, contacts masked unless allowed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: i64,
    /// `achievement` or `demand`.
    pub kind: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    pub editable: bool,
    pub title: String,
    /// Summary of an achievement, description of a demand.
    pub text: String,
    pub field: String,
    pub field_label: String,
    pub keywords: Vec<String>,
    pub trl: Option<u8>,
    /// A demand's 期望成熟度 (level), if it names one.
    pub wanted_trl: Option<u8>,
    pub trl_label: Option<String>,
    pub ip_items: Vec<String>,
    /// Transfer modes (achievements) or wanted cooperation modes (demands), in Chinese.
    pub modes: Vec<String>,
    pub mode_codes: Vec<String>,
    /// Reference price (achievements) or budget range (demands), in Chinese.
    pub money: String,
    /// The amounts as a form shows them for editing (yuan, no separators): the price, or the
    /// budget's two ends.
    pub money_inputs: [String; 2],
    pub deadline: Option<String>,
    pub source_flags: Vec<String>,
    pub source_flag_codes: Vec<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub review_comment: Option<String>,
    pub priority: bool,
    pub updated_at: String,
    /// What the caller may do with this record (decided by `app::access`).
    #[schema(value_type = Object)]
    pub capabilities: RecordCapabilities,
}

fn field_label(fields: &[zijin_domain::TechnicalField], code: &str) -> String {
    fields
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.label.clone())
        .unwrap_or_else(|| code.to_string())
}

fn labels<T: Coded>(values: &[T]) -> (Vec<String>, Vec<String>) {
    (
        values.iter().map(|v| v.label().to_string()).collect(),
        values.iter().map(|v| v.code().to_string()).collect(),
    )
}

impl RecordView {
    /// A record as the use case returned it for the caller (contacts masked, capabilities).
    pub fn seen(
        seen: &SeenRecord,
        fields: &[zijin_domain::TechnicalField],
        institution_name: &str,
    ) -> Self {
        match &seen.record {
            Record::Achievement(a) => {
                Self::achievement(a, fields, institution_name, seen.capabilities)
            }
            Record::Demand(d) => Self::demand(d, fields, institution_name, seen.capabilities),
        }
    }

    pub fn achievement(
        a: &zijin_domain::Achievement,
        fields: &[zijin_domain::TechnicalField],
        institution_name: &str,
        capabilities: RecordCapabilities,
    ) -> Self {
        let d = &a.details;
        let (modes, mode_codes) = labels(&d.transfer_modes);
        let (source_flags, source_flag_codes) = labels(&d.source_flags);
        Self {
            id: a.id,
            kind: "achievement".into(),
            kind_label: "科技成果".into(),
            status: a.status.code().into(),
            status_label: a.status.label().into(),
            editable: a.status.is_editable(),
            title: d.title.clone(),
            text: d.summary.clone(),
            field: d.field.clone(),
            field_label: field_label(fields, &d.field),
            keywords: d.keywords.clone(),
            trl: Some(d.trl.level()),
            wanted_trl: None,
            trl_label: Some(d.trl.label()),
            ip_items: d
                .ip_items
                .iter()
                .map(zijin_domain::IpItem::written)
                .collect(),
            modes,
            mode_codes,
            money: d.price.label(),
            money_inputs: [
                match d.price {
                    zijin_domain::Price::Amount(m) => m.to_string(),
                    zijin_domain::Price::Negotiable => String::new(),
                },
                String::new(),
            ],
            deadline: None,
            source_flags,
            source_flag_codes,
            contact_name: d.contact_name.clone(),
            // Already masked by `app` for those who may not see it.
            contact_phone: d.contact_phone.clone(),
            institution_id: a.institution_id,
            institution_name: institution_name.to_string(),
            review_comment: a.review_comment.clone(),
            priority: a.priority,
            updated_at: auth::display_time(&a.updated_at),
            capabilities,
        }
    }

    pub fn demand(
        d: &zijin_domain::Demand,
        fields: &[zijin_domain::TechnicalField],
        institution_name: &str,
        capabilities: RecordCapabilities,
    ) -> Self {
        let details = &d.details;
        let (modes, mode_codes) = labels(&details.cooperation_modes);
        let money = zijin_domain::Money::range_shown(details.budget_min, details.budget_max);
        Self {
            id: d.id,
            kind: "demand".into(),
            kind_label: "技术需求".into(),
            status: d.status.code().into(),
            status_label: d.status.label().into(),
            editable: d.status.is_editable(),
            title: details.title.clone(),
            text: details.description.clone(),
            field: details.field.clone(),
            field_label: field_label(fields, &details.field),
            keywords: details.keywords.clone(),
            trl: None,
            wanted_trl: details.wanted_trl.map(|t| t.level()),
            trl_label: None,
            ip_items: vec![],
            modes,
            mode_codes,
            money,
            money_inputs: [
                details
                    .budget_min
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                details
                    .budget_max
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ],
            deadline: details.deadline.map(|date| date.to_string()),
            source_flags: vec![],
            source_flag_codes: vec![],
            contact_name: details.contact_name.clone(),
            contact_phone: details.contact_phone.clone(),
            institution_id: d.institution_id,
            institution_name: institution_name.to_string(),
            review_comment: d.review_comment.clone(),
            priority: d.priority,
            updated_at: auth::display_time(&d.updated_at),
            capabilities,
        }
    }
}

/// An id chosen from a list in a form: none when nothing was chosen; one that names nothing (0)
/// when the value is not a number, so that the check of the choice refuses it by its field.
pub fn chosen_id(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(raw.parse().unwrap_or(0))
}

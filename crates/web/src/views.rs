//! What pages and the API show of domain values: one view struct per entity, serialisable for
//! templates and documented for OpenAPI.

use minijinja::{Value, context};
use serde::Serialize;
use zijin_app::{Actor, App, auth};
use zijin_domain::{Coded, Institution, User, UserRole};

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
    pub locked: bool,
    pub locked_until: Option<String>,
    pub is_demo: bool,
}

impl UserView {
    pub async fn new(app: &App, user: &User) -> Self {
        let (scope, unit, district, institution_id) = match user.role {
            UserRole::Admin => ("市科技局".to_string(), None, None, None),
            UserRole::Reviewer(unit) => (
                unit.label().to_string(),
                Some(unit.code().to_string()),
                None,
                None,
            ),
            UserRole::DistrictOfficer(district) => (
                district.label().to_string(),
                None,
                Some(district.code().to_string()),
                None,
            ),
            UserRole::InstitutionUser(id) => {
                let name = zijin_app::institutions::get(app, id)
                    .await
                    .map(|institution| institution.details.name)
                    .unwrap_or_else(|_| format!("机构 #{id}"));
                (name, None, None, Some(id))
            }
        };
        let locked_until = user
            .locked_until
            .as_ref()
            .filter(|until| is_after_now(until, app))
            .map(|until| auth::display_time(until));
        Self {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role.role().code().into(),
            role_label: user.role.role().label().into(),
            scope,
            responsible_unit: unit,
            district,
            institution_id,
            locked: locked_until.is_some(),
            locked_until,
            is_demo: user.is_demo,
        }
    }
}

fn is_after_now(stored: &str, app: &App) -> bool {
    chrono::DateTime::parse_from_rfc3339(stored)
        .map(|at| at > app.now())
        .unwrap_or(false)
}

#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// The navigation each role sees.
pub fn nav_for(actor: &Actor) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut nav = vec![item("/", "首页"), item("/institutions", "机构名录")];
    match actor.user().map(|user| user.role) {
        Some(UserRole::Admin) => nav.extend([
            item("/manage/institutions", "机构管理"),
            item("/admin/users", "用户管理"),
            item("/admin/audit", "审计日志"),
        ]),
        Some(UserRole::Reviewer(_)) => nav.push(item("/manage/institutions", "机构查询")),
        Some(UserRole::DistrictOfficer(_)) => nav.push(item("/manage/institutions", "本区机构")),
        Some(UserRole::InstitutionUser(_)) => nav.push(item("/my/institution", "本机构资料")),
        None => {}
    }
    nav
}

/// What every page's layout needs: the user, the navigation, the CSRF token.
pub async fn page_context(app: &App, visitor: &Visitor, title: &str) -> Value {
    let user = match visitor.actor.user() {
        Some(user) => Some(UserView::new(app, user).await),
        None => None,
    };
    context! {
        title,
        user => ser(&user),
        nav => ser(nav_for(&visitor.actor)),
        csrf => visitor.csrf.clone(),
        current_path => visitor.path.clone(),
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

/// `path?key=value&…&`, ready for `page=N`; empty values are left out.
pub fn query_prefix(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut text = format!("{path}?");
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        text.push_str(key);
        text.push('=');
        for byte in value.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    text.push(byte as char)
                }
                _ => text.push_str(&format!("%{byte:02X}")),
            }
        }
        text.push('&');
    }
    text
}

/// Any serialisable value, for a template context.
pub fn ser<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

//! What pages and the API show of a match: one view per answer of `app::matchmaking`, so the
//! 我的对接 page, the match page and their API twins render the same thing. Scores are 匹配度 in
//! whole percent, reasons are words (no weights), times are Beijing time beside the stored UTC.

use serde::Serialize;
use utoipa::ToSchema;
use zijin_app::access::{MatchCapabilities, MatchSide};
use zijin_app::auth::display_time;
use zijin_app::matchmaking::{MatchDetail, MatchMessage, PartyContact, SeenMatch};
use zijin_domain::{Coded, MatchStage};

/// One record of a match.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchRecordView {
    pub id: i64,
    pub title: String,
    pub institution_id: i64,
    pub institution_name: String,
    /// The record's page.
    pub href: String,
}

/// A date in a match's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchDateView {
    /// What happened, e.g. 推荐于, 进入洽谈.
    pub label: String,
    /// Stored time, UTC RFC 3339.
    pub at: String,
    /// Beijing time, as people read it.
    pub text: String,
}

/// A match as one reader sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchView {
    pub id: i64,
    /// Stage code: recommended, interested, negotiating, signed, terminated.
    pub stage: String,
    pub stage_label: String,
    /// 匹配度 in whole percent (0–100).
    pub score_percent: i64,
    /// "匹配度 82%".
    pub score_label: String,
    /// Why the pair was recommended, in words.
    pub reasons: Vec<String>,
    pub demand: MatchRecordView,
    pub achievement: MatchRecordView,
    /// The side the reader's institution holds: `demand`, `achievement`, or absent.
    pub side: Option<String>,
    /// 需求方 or 成果方.
    pub side_label: Option<String>,
    /// The other side's institution, for a side.
    pub counterpart_institution: Option<String>,
    pub demand_interested: bool,
    pub achievement_interested: bool,
    /// The reader's side marked interest.
    pub own_interested: bool,
    /// The other side marked interest.
    pub other_interested: bool,
    /// The technology manager (技术经理人) assigned, by name.
    pub tech_manager: Option<String>,
    /// Why it was ended (终止).
    pub termination_reason: Option<String>,
    pub dates: Vec<MatchDateView>,
    /// The page of the match.
    pub href: String,
    /// What the reader may do with it (decided by `app::access`).
    #[schema(value_type = Object)]
    pub capabilities: MatchCapabilities,
}

fn date(label: &str, at: &str) -> MatchDateView {
    MatchDateView {
        label: label.into(),
        at: at.into(),
        text: display_time(at),
    }
}

impl MatchView {
    pub fn new(seen: &SeenMatch) -> Self {
        let row = &seen.row;
        let record =
            |kind: &str, id, title: &str, institution_id, institution: &str| MatchRecordView {
                id,
                title: title.into(),
                institution_id,
                institution_name: institution.into(),
                href: format!("/records/{kind}/{id}"),
            };
        let (own_interested, other_interested) = match seen.side {
            Some(MatchSide::Demand) => (row.demand_interested, row.achievement_interested),
            Some(MatchSide::Achievement) => (row.achievement_interested, row.demand_interested),
            None => (false, false),
        };
        let mut dates = vec![date("推荐于", &row.recommended_at)];
        if let Some(at) = &row.interested_at {
            dates.push(date("表示意向", at));
        }
        if let Some(at) = &row.negotiating_at {
            dates.push(date("进入洽谈", at));
        }
        if let Some(at) = &row.closed_at {
            let label = match MatchStage::from_code(&row.stage) {
                Some(MatchStage::Signed) => "签约",
                _ => "终止",
            };
            dates.push(date(label, at));
        }
        let score_percent = seen.score_percent();
        Self {
            id: row.id,
            stage: row.stage.clone(),
            stage_label: MatchStage::from_code(&row.stage)
                .map(|stage| stage.label())
                .unwrap_or("未知")
                .into(),
            score_percent,
            score_label: format!("匹配度 {score_percent}%"),
            reasons: row.reasons.clone(),
            demand: record(
                "demand",
                row.demand_id,
                &row.demand_title,
                row.demand_owner,
                &row.demand_institution,
            ),
            achievement: record(
                "achievement",
                row.achievement_id,
                &row.achievement_title,
                row.achievement_owner,
                &row.achievement_institution,
            ),
            side: seen.side.map(|side| side.code().into()),
            side_label: seen.side.map(|side| side.label().into()),
            counterpart_institution: seen.counterpart_institution().map(str::to_string),
            demand_interested: row.demand_interested,
            achievement_interested: row.achievement_interested,
            own_interested,
            other_interested,
            tech_manager: row.tech_manager_name.clone(),
            termination_reason: row.termination_reason.clone(),
            dates,
            href: format!("/matches/{}", row.id),
            capabilities: seen.capabilities,
        }
    }
}

/// A side's contacts as the reader may see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// `demand` or `achievement`.
    pub side: String,
    pub side_label: String,
    pub institution_name: String,
    /// The contact person named on the side's record.
    pub contact_name: String,
    /// In full once revealed, else masked (138****5678).
    pub contact_phone: String,
    /// The institution's contact person and phone, once revealed.
    pub institution_contact_name: Option<String>,
    pub institution_contact_phone: Option<String>,
    /// Shown in full (both sides marked interest, or the reader is the technology manager).
    pub revealed: bool,
}

impl ContactView {
    fn new(contact: &PartyContact) -> Self {
        let present = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        Self {
            side: contact.side.code().into(),
            side_label: contact.side.label().into(),
            institution_name: contact.institution_name.clone(),
            contact_name: contact.contact_name.clone(),
            contact_phone: contact.contact_phone.clone(),
            institution_contact_name: present(&contact.institution_contact_name),
            institution_contact_phone: present(&contact.institution_contact_phone),
            revealed: contact.revealed,
        }
    }
}

/// A message of the thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// Who wrote it, as people read it: the institution, or 技术经理人 and the name.
    pub author: String,
    /// `demand`, `achievement` or `tech-manager`.
    pub author_role: String,
    /// 需求方, 成果方 or 技术经理人.
    pub author_role_label: String,
    pub body: String,
    /// Stored time, UTC RFC 3339.
    pub created_at: String,
    /// Beijing time.
    pub created_at_text: String,
}

impl MessageView {
    fn new(message: &MatchMessage) -> Self {
        let (author, label) = match message.author_role.as_str() {
            "demand" | "achievement" => (
                message.author_institution.clone().unwrap_or_default(),
                if message.author_role == "demand" {
                    "需求方"
                } else {
                    "成果方"
                },
            ),
            _ => (format!("技术经理人 {}", message.author_name), "技术经理人"),
        };
        Self {
            id: message.id,
            author,
            author_role: message.author_role.clone(),
            author_role_label: label.into(),
            body: message.body.clone(),
            created_at: message.created_at.clone(),
            created_at_text: display_time(&message.created_at),
        }
    }
}

/// A technology manager one may assign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechManagerChoiceView {
    pub user_id: i64,
    pub label: String,
}

/// One match with its contacts (as the reader may see them) and its thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchDetailView {
    #[serde(flatten)]
    pub summary: MatchView,
    /// For a side: the other side; for the technology manager: both sides.
    pub contacts: Vec<ContactView>,
    /// The thread (洽谈记录), oldest first.
    pub messages: Vec<MessageView>,
    /// The technology managers the reader may assign (admins).
    pub tech_manager_choices: Vec<TechManagerChoiceView>,
}

impl MatchDetailView {
    pub fn new(detail: &MatchDetail) -> Self {
        Self {
            summary: MatchView::new(&detail.seen),
            contacts: detail.contacts.iter().map(ContactView::new).collect(),
            messages: detail.messages.iter().map(MessageView::new).collect(),
            tech_manager_choices: detail
                .tech_manager_choices
                .iter()
                .map(|choice| TechManagerChoiceView {
                    user_id: choice.user_id,
                    label: choice.label.clone(),
                })
                .collect(),
        }
    }
}

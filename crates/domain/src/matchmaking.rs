//! Matchmaking (对接): a recommended pair of a demand and an achievement, followed to a contract.
//! 推荐 → 意向 → 洽谈 → 签约, or 终止 at any open stage.

use crate::validation::required_text;
use crate::{Coded, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchStage {
    /// 推荐: the matcher proposed the pair.
    Recommended,
    /// 意向: a side marked interest.
    Interested,
    /// 洽谈: both sides are talking.
    Negotiating,
    /// 签约: a contract was signed.
    Signed,
    /// 终止: a side ended it.
    Terminated,
}

impl Coded for MatchStage {
    const ALL: &'static [Self] = &[
        Self::Recommended,
        Self::Interested,
        Self::Negotiating,
        Self::Signed,
        Self::Terminated,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Recommended => "recommended",
            Self::Interested => "interested",
            Self::Negotiating => "negotiating",
            Self::Signed => "signed",
            Self::Terminated => "terminated",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Recommended => "推荐",
            Self::Interested => "意向",
            Self::Negotiating => "洽谈",
            Self::Signed => "签约",
            Self::Terminated => "终止",
        }
    }
}

/// What a side does to a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchStep {
    /// 有意向
    Interest,
    /// 进入洽谈
    Negotiate,
    /// 签约
    Sign,
    /// 终止
    Terminate,
}

impl MatchStep {
    pub const ALL: &'static [MatchStep] = &[
        MatchStep::Interest,
        MatchStep::Negotiate,
        MatchStep::Sign,
        MatchStep::Terminate,
    ];

    pub fn from_code(code: &str) -> Option<MatchStep> {
        Some(match code {
            "interest" => MatchStep::Interest,
            "negotiate" => MatchStep::Negotiate,
            "sign" => MatchStep::Sign,
            "terminate" => MatchStep::Terminate,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            MatchStep::Interest => "interest",
            MatchStep::Negotiate => "negotiate",
            MatchStep::Sign => "sign",
            MatchStep::Terminate => "terminate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MatchStep::Interest => "有意向",
            MatchStep::Negotiate => "进入洽谈",
            MatchStep::Sign => "签约",
            MatchStep::Terminate => "终止",
        }
    }
}

impl MatchStage {
    pub fn is_open(self) -> bool {
        !matches!(self, MatchStage::Signed | MatchStage::Terminated)
    }

    /// The stage after `step`, or why not. Interest may be marked by each side once; it moves a
    /// recommendation to 意向 and leaves later stages where they are.
    pub fn apply(self, step: MatchStep) -> Result<MatchStage, String> {
        use MatchStage::*;
        match (self, step) {
            (Recommended, MatchStep::Interest) => Ok(Interested),
            (Interested | Negotiating, MatchStep::Interest) => Ok(self),
            (Interested, MatchStep::Negotiate) => Ok(Negotiating),
            (Negotiating, MatchStep::Sign) => Ok(Signed),
            (stage, MatchStep::Terminate) if stage.is_open() => Ok(Terminated),
            (stage, step) => Err(format!(
                "当前阶段为“{}”，不能{}",
                stage.label(),
                step.label()
            )),
        }
    }
}

/// How a list of matches is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchSort {
    /// 最近更新: the match that moved last comes first.
    #[default]
    Recent,
    /// 匹配度: the best recommendation comes first.
    Score,
}

impl Coded for MatchSort {
    const ALL: &'static [Self] = &[Self::Recent, Self::Score];

    fn code(self) -> &'static str {
        match self {
            Self::Recent => "recent",
            Self::Score => "score",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Recent => "最近更新",
            Self::Score => "匹配度",
        }
    }
}

/// The longest message of a match's thread (洽谈记录), in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// The longest reason for ending a match, in characters.
pub const MAX_TERMINATION_REASON_CHARS: usize = 500;

/// A message of a match's thread: text of 1 to [`MAX_MESSAGE_CHARS`] characters, trimmed, lines
/// allowed, no control or direction characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(input: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = required_text(&mut errors, "body", "留言内容", input, MAX_MESSAGE_CHARS);
        errors.into_result(|| Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a side (or its technology manager) ended a match: required, at most
/// [`MAX_TERMINATION_REASON_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminationReason(String);

impl TerminationReason {
    /// The reason, and the confirmation the form's checkbox (确认终止) gives: ending a match
    /// cannot be undone.
    pub fn parse(input: &str, confirmed: bool) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = required_text(
            &mut errors,
            "reason",
            "终止原因",
            input,
            MAX_TERMINATION_REASON_CHARS,
        );
        if !confirmed {
            errors.add("confirm", "终止对接无法撤销，请勾选“确认终止”");
        }
        errors.into_result(|| Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A match's score as users read it: 匹配度 in whole percent (score × 1000 ÷ 10, within 0–100).
pub fn score_percent(score_milli: i64) -> i64 {
    (score_milli / 10).clamp(0, 100)
}

/// A stored reason in words: reasons recorded before weights were left out end with the
/// factor's points, "（+0.123）", which users must not see.
pub fn reason_in_words(reason: &str) -> &str {
    let trimmed = reason.trim_end();
    let Some(inner) = trimmed
        .strip_suffix('）')
        .and_then(|rest| rest.rfind("（+").map(|at| (at, &rest[at + "（+".len()..])))
    else {
        return trimmed;
    };
    let (at, points) = inner;
    let is_number = !points.is_empty()
        && points.chars().all(|c| c.is_ascii_digit() || c == '.')
        && points.chars().any(|c| c.is_ascii_digit());
    if is_number {
        trimmed[..at].trim_end()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_moves_forward_or_ends_and_never_back() {
        let stage = MatchStage::Recommended;
        assert!(stage.apply(MatchStep::Negotiate).is_err());
        let stage = stage.apply(MatchStep::Interest).unwrap();
        assert_eq!(stage, MatchStage::Interested);
        let stage = stage.apply(MatchStep::Negotiate).unwrap();
        assert_eq!(
            stage.apply(MatchStep::Interest),
            Ok(MatchStage::Negotiating)
        );
        let signed = stage.apply(MatchStep::Sign).unwrap();
        assert_eq!(signed, MatchStage::Signed);
        let error = signed.apply(MatchStep::Terminate).unwrap_err();
        assert!(error.contains("签约"), "{error}");
        assert_eq!(
            MatchStage::Interested.apply(MatchStep::Terminate),
            Ok(MatchStage::Terminated)
        );
        assert_eq!(
            MatchStage::from_code("negotiating"),
            Some(MatchStage::Negotiating)
        );
    }

    #[test]
    fn scores_are_whole_percents_and_reasons_lose_their_weights() {
        assert_eq!(score_percent(823), 82);
        assert_eq!(score_percent(1000), 100);
        assert_eq!(score_percent(1234), 100);
        assert_eq!(score_percent(-5), 0);
        assert_eq!(
            reason_in_words("技术领域一致：新能源（+0.123）"),
            "技术领域一致：新能源"
        );
        assert_eq!(
            reason_in_words("转化方式一致：许可（+0.1）"),
            "转化方式一致：许可"
        );
        // New reasons come without weights; other brackets stay.
        assert_eq!(
            reason_in_words("技术领域一致：新能源"),
            "技术领域一致：新能源"
        );
        assert_eq!(
            reason_in_words("语义相近（相似度 0.87）"),
            "语义相近（相似度 0.87）"
        );
        assert_eq!(
            reason_in_words("语义相近（相似度 0.87）（+0.201）"),
            "语义相近（相似度 0.87）"
        );
        assert_eq!(reason_in_words("共同关键词（+甲）"), "共同关键词（+甲）");
    }

    #[test]
    fn messages_and_termination_reasons_are_checked_in_chinese() {
        assert_eq!(
            MessageText::parse("  您好，想约时间面谈  ")
                .unwrap()
                .as_str(),
            "您好，想约时间面谈"
        );
        let empty = MessageText::parse(" \n ").unwrap_err();
        assert_eq!(empty.get("body"), Some("请填写留言内容"));
        let long = MessageText::parse(&"字".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err();
        assert!(
            long.get("body").unwrap().contains("不能超过2000个字符"),
            "{long}"
        );
        assert!(MessageText::parse("第一行\n第二行").is_ok());
        let unconfirmed = TerminationReason::parse("需求已由其他方案解决", false).unwrap_err();
        assert!(unconfirmed.get("confirm").unwrap().contains("确认终止"));
        let missing = TerminationReason::parse("", true).unwrap_err();
        assert_eq!(missing.get("reason"), Some("请填写终止原因"));
        assert_eq!(
            TerminationReason::parse("预算不足", true).unwrap().as_str(),
            "预算不足"
        );
        assert_eq!(MatchSort::from_code("score"), Some(MatchSort::Score));
        assert_eq!(MatchSort::from_code("best"), None);
    }
}

//! Matching (对接): for a demand the achievements that could meet it, for an achievement the
//! demands it could meet. Text relevance finds a pool of candidates; each is then scored on
//! structured compatibility — field, maturity against the wanted stage, price against budget,
//! transfer mode against cooperation mode, conversion in the city — with the weights of
//! `config/matching.toml`, and every recommendation says in Chinese what counted and how much.

use std::collections::HashMap;

use zijin_domain::{Coded, District, TransferMode};

use crate::index::{Profile, Scope, SearchError, SearchIndex};

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub text: f64,
    pub field: f64,
    pub maturity: f64,
    pub price: f64,
    pub mode: f64,
    pub local: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidates {
    pub pool: usize,
    pub keep: usize,
    pub minimum_score: f64,
    /// How many index postings the search for the pool may read; a configuration file from
    /// before this setting gets the shipped value.
    #[serde(default = "Candidates::default_postings")]
    pub postings: u64,
}

impl Candidates {
    fn default_postings() -> u64 {
        1_000_000
    }
}

/// The semantic signal (issue 6): sentence vectors beside the text index.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Semantic {
    /// The switch: off, matching and search use the text alone.
    pub enabled: bool,
    /// The part of the text weight carried by semantic similarity when both records have
    /// vectors (the rest stays with the matched terms): the weight of the semantic list in
    /// the rank fusion.
    pub share: f64,
    /// How the text and the semantic signal are put together.
    pub fusion: Fusion,
    /// The constant k of the rank fusion: a list's record at rank r (from 0) counts
    /// (k + 1) / (k + 1 + r).
    pub rank_constant: f32,
    /// How many records the vector search adds to the text pool.
    pub pool: usize,
    /// Up to this many vectors of a kind, every one is compared; beyond, the sign codes choose
    /// `rescore` records to compare.
    pub exact_limit: usize,
    pub rescore: usize,
    /// The search box shows a record found by meaning only from this cosine on, and only
    /// within `margin` of the nearest record's of its kind (e5's cosines crowd between 0.75 and
    /// 0.9, so a short unrelated record can pass an absolute floor).
    pub floor: f32,
    pub margin: f32,
}

/// How the matcher puts the text and the semantic signal together (`[semantic] fusion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// Each signal's score relative to the pool's range: the text score over the best text
    /// score, the cosine between the pool's lowest (0) and highest (1). A record far ahead on
    /// its words keeps its lead; a rank fusion would make it one place ahead.
    Scores,
    /// Reciprocal-rank fusion: a record at rank r (from 0) of a list counts (k + 1) / (k + 1 + r).
    Ranks,
}

impl Default for Semantic {
    fn default() -> Self {
        Semantic {
            enabled: true,
            share: 0.4,
            fusion: Fusion::Scores,
            rank_constant: 60.0,
            pool: 60,
            exact_limit: 100_000,
            rescore: 10_000,
            floor: 0.85,
            margin: 0.02,
        }
    }
}

impl Semantic {
    pub fn vector_settings(&self) -> crate::VectorSettings {
        crate::VectorSettings {
            exact_limit: self.exact_limit,
            rescore: self.rescore,
        }
    }
}

/// The matcher's configuration file.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    pub weights: Weights,
    pub candidates: Candidates,
    /// A configuration file from before semantic matching gets the shipped settings.
    #[serde(default)]
    pub semantic: Semantic,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("匹配权重配置 {file} 无法读取：{message}")]
    Parse { file: String, message: String },
    #[error("匹配权重配置 {file}：{message}")]
    Invalid { file: String, message: String },
}

/// The configuration shipped with the platform (`config/matching.toml`).
pub const SHIPPED_CONFIG: &str = include_str!("../../../config/matching.toml");

impl MatchConfig {
    pub fn parse(file: &str, text: &str) -> Result<MatchConfig, ConfigError> {
        let config: MatchConfig = toml::from_str(text).map_err(|error| ConfigError::Parse {
            file: file.to_string(),
            message: error.to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            file: file.to_string(),
            message,
        };
        let w = &config.weights;
        for (name, weight) in [
            ("text", w.text),
            ("field", w.field),
            ("maturity", w.maturity),
            ("price", w.price),
            ("mode", w.mode),
            ("local", w.local),
        ] {
            if !(0.0..=1.0).contains(&weight) {
                return Err(invalid(format!("权重 {name} = {weight} 应在 0 到 1 之间")));
            }
        }
        if !(1..=1000).contains(&config.candidates.pool) {
            return Err(invalid("candidates.pool 应在 1 到 1000 之间".into()));
        }
        if config.candidates.postings == 0 {
            return Err(invalid("candidates.postings 应大于 0".into()));
        }
        if config.candidates.keep == 0 || config.candidates.keep > config.candidates.pool {
            return Err(invalid("candidates.keep 应至少为 1 且不大于 pool".into()));
        }
        let semantic = &config.semantic;
        if !(0.0..=1.0).contains(&semantic.share) {
            return Err(invalid(format!(
                "semantic.share = {} 应在 0 到 1 之间",
                semantic.share
            )));
        }
        if !(semantic.rank_constant >= 0.0 && semantic.rank_constant <= 1000.0) {
            return Err(invalid(format!(
                "semantic.rank_constant = {} 应在 0 到 1000 之间",
                semantic.rank_constant
            )));
        }
        if !(1..=1000).contains(&semantic.pool) {
            return Err(invalid("semantic.pool 应在 1 到 1000 之间".into()));
        }
        if !(-1.0..=1.0).contains(&semantic.floor) {
            return Err(invalid(format!(
                "semantic.floor = {} 应在 -1 到 1 之间（余弦相似度）",
                semantic.floor
            )));
        }
        if semantic.margin.is_nan() || semantic.margin < 0.0 {
            return Err(invalid(format!(
                "semantic.margin = {} 不应小于 0",
                semantic.margin
            )));
        }
        if semantic.rescore == 0 {
            return Err(invalid("semantic.rescore 应大于 0".into()));
        }
        Ok(config)
    }

    pub fn shipped() -> MatchConfig {
        MatchConfig::parse("config/matching.toml", SHIPPED_CONFIG)
            .expect("the shipped matching configuration parses (tested)")
    }
}

/// What a recommendation is sought for: a record's text and profile, or free text.
#[derive(Debug, Clone, Default)]
pub struct Seeker {
    pub text: String,
    /// What the seeker states; empty parts are not compared.
    pub profile: Profile,
    /// The seeker's own record (never recommended to itself).
    pub own: Option<u64>,
    /// The seeker's text embedded as a query: with it the index's vectors add the semantic
    /// signal.
    pub vector: Option<Vec<f32>>,
}

/// One factor of a recommendation's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Factor {
    /// `text`, `semantic`, `field`, `maturity`, `price`, `mode` or `local`.
    pub factor: String,
    /// How well this factor holds, 0–1.
    pub value: f64,
    pub weight: f64,
    /// value × weight, the points it adds to the score.
    pub points: f64,
    /// Why, in Chinese.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recommendation {
    pub id: u64,
    pub title: String,
    /// The sum of the factors' points, 0–1.
    pub score: f64,
    pub matched: Vec<String>,
    pub factors: Vec<Factor>,
}

impl Recommendation {
    /// The reasons as sentences, strongest first (words only: the weights stay in `factors`).
    pub fn reasons(&self) -> Vec<String> {
        let mut factors: Vec<&Factor> = self
            .factors
            .iter()
            .filter(|f| f.points > 0.0 && !f.reason.is_empty())
            .collect();
        factors.sort_by(|a, b| b.points.total_cmp(&a.points));
        factors.into_iter().map(|f| f.reason.clone()).collect()
    }

    /// The score as 匹配度, a whole percentage.
    pub fn percent(&self) -> u32 {
        (self.score.clamp(0.0, 1.0) * 100.0).round() as u32
    }
}

/// Labels of the field codes (the admins' list lives in the database).
pub type FieldLabels = HashMap<String, String>;

fn yuan(fen: i64) -> String {
    if fen % 1_000_000 == 0 {
        format!("{}万元", fen / 1_000_000)
    } else {
        format!("{:.2}万元", fen as f64 / 1_000_000.0)
    }
}

fn district_label(code: &str) -> &str {
    District::from_code(code).map(|d| d.label()).unwrap_or(code)
}

fn mode_labels(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| TransferMode::from_code(c).map(|m| m.label()).unwrap_or(c))
        .collect::<Vec<_>>()
        .join("、")
}

/// The structured factors between a demand's profile and an achievement's (either may be the
/// seeker). A factor whose information is missing on either side is left out.
pub fn structured_factors(
    weights: &Weights,
    demand: &Profile,
    achievement: &Profile,
    fields: &FieldLabels,
) -> Vec<Factor> {
    let mut factors = Vec::new();
    let mut push = |factor: &str, value: f64, weight: f64, reason: String| {
        factors.push(Factor::new(factor, value, weight, reason));
    };
    if !demand.field.is_empty() && !achievement.field.is_empty() {
        let label = |code: &str| {
            fields
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_string())
        };
        if demand.field == achievement.field {
            push(
                "field",
                1.0,
                weights.field,
                format!("技术领域一致：{}", label(&demand.field)),
            );
        } else {
            push(
                "field",
                0.0,
                weights.field,
                format!(
                    "技术领域不同：需求属{}，成果属{}",
                    label(&demand.field),
                    label(&achievement.field)
                ),
            );
        }
    }
    if let (Some(wanted), Some(trl)) = (demand.trl, achievement.trl) {
        let (value, reason) = if trl >= wanted {
            (1.0, format!("成熟度 TRL {trl} 达到需求期望的 TRL {wanted}"))
        } else if trl + 1 == wanted {
            (
                0.5,
                format!("成熟度 TRL {trl} 略低于需求期望的 TRL {wanted}，需少量熟化"),
            )
        } else {
            (0.0, format!("成熟度 TRL {trl} 低于需求期望的 TRL {wanted}"))
        };
        push("maturity", value, weights.maturity, reason);
    }
    if let (Some(price), Some(max)) = (achievement.price_fen, demand.budget_max_fen) {
        let (value, reason) = if price <= max {
            (
                1.0,
                format!("报价{}在预算上限{}以内", yuan(price), yuan(max)),
            )
        } else if price * 2 <= max * 3 {
            (
                0.5,
                format!(
                    "报价{}超出预算上限{}不到一半，可议价",
                    yuan(price),
                    yuan(max)
                ),
            )
        } else {
            (0.0, format!("报价{}远超预算上限{}", yuan(price), yuan(max)))
        };
        push("price", value, weights.price, reason);
    }
    if !demand.modes.is_empty() && !achievement.modes.is_empty() {
        let shared: Vec<String> = achievement
            .modes
            .iter()
            .filter(|m| demand.modes.contains(m))
            .cloned()
            .collect();
        if shared.is_empty() {
            push(
                "mode",
                0.0,
                weights.mode,
                format!(
                    "转化方式不一致：成果提供{}，需求接受{}",
                    mode_labels(&achievement.modes),
                    mode_labels(&demand.modes)
                ),
            );
        } else {
            push(
                "mode",
                1.0,
                weights.mode,
                format!("转化方式一致：{}", mode_labels(&shared)),
            );
        }
    }
    if !demand.district.is_empty() && !achievement.district.is_empty() {
        if demand.district == achievement.district {
            push(
                "local",
                1.0,
                weights.local,
                format!("双方同在{}，便于就地转化", district_label(&demand.district)),
            );
        } else {
            push(
                "local",
                0.5,
                weights.local,
                format!(
                    "成果在本市转化（{} → {}）",
                    district_label(&achievement.district),
                    district_label(&demand.district)
                ),
            );
        }
    }
    factors
}

impl Factor {
    fn new(factor: &str, value: f64, weight: f64, reason: String) -> Factor {
        Factor {
            factor: factor.to_string(),
            value: round3(value),
            weight,
            points: round3(value * weight),
            reason,
        }
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Recommends records of `target_kind` ("achievement" for a demand, "demand" for an
/// achievement) in `scope` for `seeker`: the text pool and, when the seeker has a vector, the
/// records whose vectors are nearest it, rescored with the structured factors.
///
/// Text relevance is relative to the best text candidate, semantic relevance is the cosine
/// relative to the best one in the pool; with vectors on both sides the text weight is split
/// between them by `semantic.share` (measured in `bench/matching-eval`). A record whose vector
/// is not ready yet is judged on its text alone.
pub fn recommend(
    index: &SearchIndex,
    config: &MatchConfig,
    fields: &FieldLabels,
    seeker: &Seeker,
    target_kind: &str,
    scope: Scope,
    top: usize,
) -> Result<Vec<Recommendation>, SearchError> {
    let groups = index.query_terms(&seeker.text)?;
    let mut pool = index.candidates(
        &seeker.text,
        target_kind,
        scope,
        config.candidates.pool + 1,
        config.candidates.postings,
    )?;
    let best_text = pool
        .iter()
        .filter(|c| Some(c.id) != seeker.own)
        .map(|c| c.text_score)
        .fold(0.0f32, f32::max);
    // The semantic pool: the nearest vectors, those the scope may see, added to the text pool.
    let mut similarity: HashMap<u64, f32> = HashMap::new();
    let vectors = index.vectors();
    if let (Some(query), Some(vectors), true) =
        (&seeker.vector, vectors.as_ref(), config.semantic.enabled)
    {
        let nearest = vectors.nearest(target_kind, query, config.semantic.pool + 1 + pool.len());
        let fresh: Vec<u64> = nearest
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !pool.iter().any(|c| c.id == *id))
            .take(config.semantic.pool + 1)
            .collect();
        pool.extend(index.candidates_by_id(target_kind, &fresh, scope)?);
        for candidate in &pool {
            if let Some(cosine) = vectors.similarity(target_kind, candidate.id, query) {
                similarity.insert(candidate.id, cosine);
            }
        }
    }
    // With vectors the two signals are fused (`Fusion`): by their scores, each relative to the
    // pool's range, or by their ranks (reciprocal-rank fusion: each list gives a record
    // (k + 1) / (k + 1 + rank), 1 for its first). The text signal weighs 1 − share, the
    // semantic one share.
    let k = f64::from(config.semantic.rank_constant);
    let rank_value = |rank: usize| (k + 1.0) / (k + 1.0 + rank as f64);
    let text_rank: HashMap<u64, usize> = pool
        .iter()
        .filter(|c| c.text_score > 0.0 && Some(c.id) != seeker.own)
        .enumerate()
        .map(|(rank, c)| (c.id, rank))
        .collect();
    let semantic_rank: HashMap<u64, usize> = {
        let mut by_cosine: Vec<(u64, f32)> = similarity
            .iter()
            .filter(|(id, _)| Some(**id) != seeker.own)
            .map(|(id, cosine)| (*id, *cosine))
            .collect();
        by_cosine.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        by_cosine
            .into_iter()
            .enumerate()
            .map(|(rank, (id, _))| (id, rank))
            .collect()
    };
    let (lowest, highest) = similarity
        .iter()
        .filter(|(id, _)| Some(**id) != seeker.own)
        .fold((f32::MAX, f32::MIN), |(lo, hi), (_, c)| {
            (lo.min(*c), hi.max(*c))
        });
    let fusion = config.semantic.fusion;
    let text_value = |candidate: &crate::index::Candidate| -> f64 {
        match fusion {
            Fusion::Ranks => text_rank.get(&candidate.id).map_or(0.0, |r| rank_value(*r)),
            Fusion::Scores if best_text > 0.0 => f64::from(candidate.text_score / best_text),
            Fusion::Scores => 0.0,
        }
    };
    let semantic_value = |id: u64, cosine: f32| -> f64 {
        match fusion {
            Fusion::Ranks => semantic_rank.get(&id).map_or(0.0, |r| rank_value(*r)),
            Fusion::Scores if highest > lowest => f64::from((cosine - lowest) / (highest - lowest)),
            Fusion::Scores => 1.0,
        }
    };
    let seeker_is_demand = target_kind == "achievement";
    let mut scored: Vec<(Recommendation, usize)> = Vec::with_capacity(pool.len());
    for (position, candidate) in pool.iter().enumerate() {
        if Some(candidate.id) == seeker.own {
            continue;
        }
        let mut factors = Vec::with_capacity(7);
        match (
            similarity.get(&candidate.id),
            semantic_rank.get(&candidate.id),
        ) {
            (Some(cosine), Some(_)) => {
                let share = config.semantic.share;
                factors.push(Factor::new(
                    "text",
                    text_value(candidate),
                    config.weights.text * (1.0 - share),
                    String::new(),
                ));
                factors.push(Factor::new(
                    "semantic",
                    semantic_value(candidate.id, *cosine),
                    config.weights.text * share,
                    format!("语义相近（相似度 {:.0}%）", cosine.max(0.0) * 100.0),
                ));
            }
            _ if !semantic_rank.is_empty() => {
                // The record's vector is not computed yet: its text rank stands for both.
                factors.push(Factor::new(
                    "text",
                    text_value(candidate),
                    config.weights.text,
                    String::new(),
                ));
            }
            _ => factors.push(Factor::new(
                "text",
                if best_text > 0.0 {
                    f64::from(candidate.text_score / best_text)
                } else {
                    0.0
                },
                config.weights.text,
                String::new(),
            )),
        }
        let (demand, achievement) = if seeker_is_demand {
            (&seeker.profile, &candidate.profile)
        } else {
            (&candidate.profile, &seeker.profile)
        };
        factors.extend(structured_factors(
            &config.weights,
            demand,
            achievement,
            fields,
        ));
        let score = round3(factors.iter().map(|f| f.points).sum());
        scored.push((
            Recommendation {
                id: candidate.id,
                title: candidate.title.clone(),
                score,
                matched: Vec::new(),
                factors,
            },
            position,
        ));
    }
    scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.1.cmp(&b.1)));
    scored.truncate(top);
    // Matched terms only for what is kept: reading a record's text back costs more than scoring.
    let mut kept = Vec::with_capacity(scored.len());
    for (mut recommendation, position) in scored {
        let matched = index.candidate_terms(&groups, &pool[position])?;
        let text = &mut recommendation.factors[0];
        text.reason = if matched.is_empty() {
            "文本相关".to_string()
        } else {
            format!(
                "文本相关：匹配{}",
                matched
                    .iter()
                    .take(8)
                    .map(|t| format!("“{t}”"))
                    .collect::<String>()
            )
        };
        recommendation.matched = matched;
        kept.push(recommendation);
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Document;

    fn config() -> MatchConfig {
        MatchConfig::shipped()
    }

    fn achievement(id: u64, title: &str, profile: Profile) -> Document {
        Document {
            kind: "achievement".into(),
            id,
            title: title.into(),
            body: title.into(),
            owner: id,
            status: "published".into(),
            institution_type: "university".into(),
            date: 0,
            profile,
        }
    }

    #[test]
    fn the_shipped_configuration_parses_and_bad_weights_are_named() {
        let config = config();
        assert!(config.weights.text > config.weights.field);
        let error = MatchConfig::parse(
            "x.toml",
            &SHIPPED_CONFIG.replace("text = 0.55", "text = 1.5"),
        )
        .unwrap_err();
        assert!(error.to_string().contains("权重 text = 1.5"), "{error}");
        let error = MatchConfig::parse("x.toml", "[weights]\ntext = 1\n").unwrap_err();
        assert!(error.to_string().contains("x.toml"), "{error}");
        // A file from before the postings budget gets the shipped one; a zero budget is named.
        assert_eq!(config.candidates.postings, 1_000_000);
        let older = SHIPPED_CONFIG.replace("postings = 1000000", "");
        assert_eq!(
            MatchConfig::parse("x.toml", &older)
                .unwrap()
                .candidates
                .postings,
            1_000_000
        );
        let error = MatchConfig::parse(
            "x.toml",
            &SHIPPED_CONFIG.replace("postings = 1000000", "postings = 0"),
        )
        .unwrap_err();
        assert!(error.to_string().contains("candidates.postings"), "{error}");
        // The semantic settings: a file without them gets the shipped ones; bad ones are named.
        let older = &SHIPPED_CONFIG[..SHIPPED_CONFIG.find("[semantic]").unwrap()];
        assert_eq!(
            MatchConfig::parse("x.toml", older).unwrap().semantic,
            config.semantic
        );
        for (from, to, named) in [
            ("share = 0.4", "share = 1.2", "semantic.share"),
            ("fusion = \"scores\"", "fusion = \"votes\"", "fusion"),
            (
                "rank_constant = 60",
                "rank_constant = -1",
                "semantic.rank_constant",
            ),
            ("floor = 0.85", "floor = 85", "semantic.floor"),
            ("margin = 0.02", "margin = -0.1", "semantic.margin"),
            ("rescore = 10000", "rescore = 0", "semantic.rescore"),
        ] {
            let error =
                MatchConfig::parse("x.toml", &SHIPPED_CONFIG.replace(from, to)).unwrap_err();
            assert!(error.to_string().contains(named), "{error}");
        }
    }

    #[test]
    fn structured_compatibility_reorders_equal_texts_and_says_why() {
        let index = SearchIndex::in_memory().unwrap();
        let fitting = Profile {
            field: "new-energy".into(),
            trl: Some(7),
            price_fen: Some(50_000_000),
            modes: vec!["licence".into()],
            district: "jiangning".into(),
            ..Profile::default()
        };
        let unfitting = Profile {
            field: "new-materials".into(),
            trl: Some(3),
            price_fen: Some(900_000_000),
            modes: vec!["assignment".into()],
            district: "gulou".into(),
            ..Profile::default()
        };
        index
            .upsert(&[
                achievement(1, "钠离子电池 正极材料", unfitting),
                achievement(2, "钠离子电池 正极材料", fitting),
                achievement(3, "中药饮片 炮制", Profile::default()),
            ])
            .unwrap();
        index.commit(None).unwrap();
        let seeker = Seeker {
            text: "钠离子电池正极材料".into(),
            profile: Profile {
                field: "new-energy".into(),
                trl: Some(6),
                budget_max_fen: Some(100_000_000),
                modes: vec!["licence".into(), "joint-development".into()],
                district: "jiangning".into(),
                ..Profile::default()
            },
            own: None,
            vector: None,
        };
        let mut fields = FieldLabels::new();
        fields.insert("new-energy".into(), "新能源".into());
        let found = recommend(
            &index,
            &config(),
            &fields,
            &seeker,
            "achievement",
            Scope::Public,
            5,
        )
        .unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].id, 2);
        assert!(found[0].score > found[1].score);
        let reasons = found[0].reasons().join("；");
        for expected in [
            "技术领域一致：新能源",
            "TRL 7 达到需求期望的 TRL 6",
            "报价50万元在预算上限100万元以内",
            "转化方式一致：许可",
            "双方同在江宁区",
            "“钠离子电池”",
        ] {
            assert!(reasons.contains(expected), "{expected} not in {reasons}");
        }
        // The points add up to the score.
        let sum: f64 = found[0].factors.iter().map(|f| f.points).sum();
        assert!((sum - found[0].score).abs() < 0.002);
        assert!(found[1].reasons().join("").contains("成果在本市转化"));
    }

    #[test]
    fn free_text_without_a_profile_ranks_by_text_alone() {
        let index = SearchIndex::in_memory().unwrap();
        index
            .upsert(&[
                achievement(1, "光伏组件清洗机器人", Profile::default()),
                achievement(2, "光伏逆变器 最大功率点跟踪", Profile::default()),
            ])
            .unwrap();
        index.commit(None).unwrap();
        let seeker = Seeker {
            text: "光伏逆变器".into(),
            ..Seeker::default()
        };
        let found = recommend(
            &index,
            &config(),
            &FieldLabels::new(),
            &seeker,
            "achievement",
            Scope::Public,
            5,
        )
        .unwrap();
        assert_eq!(found[0].id, 2);
        assert_eq!(found[0].factors.len(), 1);
        assert!((found[0].score - config().weights.text).abs() < 1e-9);
    }

    #[test]
    fn the_semantic_signal_finds_records_without_shared_words_and_says_so() {
        let index = SearchIndex::in_memory().unwrap();
        let mut draft = achievement(4, "低温 电池 草稿", Profile::default());
        draft.status = "draft".into();
        index
            .upsert(&[
                achievement(1, "光伏组件清洗机器人", Profile::default()),
                achievement(2, "宽温域锂离子电池电解液", Profile::default()),
                achievement(3, "中药饮片炮制工艺", Profile::default()),
                draft,
            ])
            .unwrap();
        index.commit(None).unwrap();
        let mut vectors = crate::Vectors::new(4, 1, crate::VectorSettings::default());
        vectors.insert("achievement", 1, 0, &[0.0, 1.0, 0.0, 0.0]);
        vectors.insert("achievement", 2, 0, &[0.8, 0.0, 0.6, 0.0]);
        vectors.insert("achievement", 3, 0, &[0.0, 0.0, 0.0, 1.0]);
        vectors.insert("achievement", 4, 0, &[1.0, 0.0, 0.0, 0.0]);
        *index.vectors_mut() = Some(vectors);
        let seeker = Seeker {
            text: "北方冬天电动车续航掉得厉害".into(),
            vector: Some(vec![1.0, 0.0, 0.0, 0.0]),
            ..Seeker::default()
        };
        let run = |config: &MatchConfig, seeker: &Seeker| {
            recommend(
                &index,
                config,
                &FieldLabels::new(),
                seeker,
                "achievement",
                Scope::Public,
                3,
            )
            .unwrap()
        };
        let found = run(&config(), &seeker);
        // The nearest public record comes first; the closer draft is not shown to the public.
        assert_eq!(found[0].id, 2, "{found:?}");
        assert!(found.iter().all(|r| r.id != 4));
        assert!(
            found[0]
                .reasons()
                .iter()
                .any(|r| r.contains("语义相近（相似度 80%）")),
            "{:?}",
            found[0].reasons()
        );
        // Closeness is the cosine's place between the pool's farthest (0) and nearest (1);
        // fused by ranks, it is the rank's value: 1 for the nearest, (k + 1) / (k + 2) next.
        let closeness = |r: &Recommendation| {
            r.factors
                .iter()
                .find(|f| f.factor == "semantic")
                .map(|f| f.value)
                .unwrap()
        };
        assert!(found.len() >= 2, "{found:?}");
        assert_eq!(closeness(&found[0]), 1.0);
        assert_eq!(closeness(found.last().unwrap()), 0.0);
        assert!(
            found
                .windows(2)
                .all(|w| closeness(&w[0]) >= closeness(&w[1]))
        );
        let mut ranks = config();
        ranks.semantic.fusion = Fusion::Ranks;
        let by_rank = run(&ranks, &seeker);
        assert_eq!(by_rank[0].id, 2);
        assert_eq!(closeness(&by_rank[0]), 1.0);
        assert_eq!(closeness(&by_rank[1]), round3(61.0 / 62.0));
        let semantic = found[0]
            .factors
            .iter()
            .find(|f| f.factor == "semantic")
            .unwrap();
        assert!((semantic.weight - config().weights.text * config().semantic.share).abs() < 1e-9);
        // The switch turns it off (the text alone finds nothing here), as does a seeker
        // without a vector.
        let mut off = config();
        off.semantic.enabled = false;
        assert!(run(&off, &seeker).is_empty());
        let without = Seeker {
            vector: None,
            ..seeker.clone()
        };
        assert!(run(&config(), &without).is_empty());
    }

    #[test]
    fn a_record_without_a_vector_yet_is_judged_on_its_text() {
        let index = SearchIndex::in_memory().unwrap();
        index
            .upsert(&[
                achievement(1, "钠离子电池正极材料", Profile::default()),
                achievement(2, "钠离子电池负极材料", Profile::default()),
            ])
            .unwrap();
        index.commit(None).unwrap();
        let mut vectors = crate::Vectors::new(2, 1, crate::VectorSettings::default());
        vectors.insert("achievement", 2, 0, &[0.6, 0.8]);
        *index.vectors_mut() = Some(vectors);
        let seeker = Seeker {
            text: "钠离子电池正极材料".into(),
            vector: Some(vec![1.0, 0.0]),
            ..Seeker::default()
        };
        let found = recommend(
            &index,
            &config(),
            &FieldLabels::new(),
            &seeker,
            "achievement",
            Scope::Public,
            5,
        )
        .unwrap();
        let first = found.iter().find(|r| r.id == 1).unwrap();
        assert_eq!(first.factors.len(), 1);
        assert_eq!(first.factors[0].weight, config().weights.text);
        let second = found.iter().find(|r| r.id == 2).unwrap();
        assert_eq!(second.factors.len(), 2);
        assert!(second.reasons().join("").contains("语义相近"));
    }
}

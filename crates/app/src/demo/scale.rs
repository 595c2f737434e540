//! Demo records at any scale (benchmarks of search and matching at a million records). The
//! curated demo topics repeat after a few dozen titles, which no real list does; these records
//! compose their titles and texts from the domain dictionary's terms of one technical field,
//! so a million of them use the dictionary's thousands of words the way real listings use a
//! field's vocabulary. Record `n` depends on `n` alone, so any slice can be made on its own.
//! Fictitious like all demo data (real patents are for tests and evaluation only).

use zijin_domain::{
    AchievementDetails, Coded, DemandDetails, District, Money, Price, SourceFlag, TechnicalField,
    TransferMode, Trl,
};

const ACHIEVEMENT_TITLES: &[&str] = &[
    "基于{a}的{b}{kind}",
    "{a}{kind}及其在{b}中的应用",
    "面向{b}的{a}关键技术",
    "一种{a}{kind}",
    "{a}与{b}协同{kind}",
    "高可靠{a}{kind}",
    "{b}用{a}{kind}",
    "低成本{a}{kind}",
];
const KINDS: &[&str] = &[
    "方法",
    "装置",
    "系统",
    "工艺",
    "技术",
    "平台",
    "制备方法",
    "控制方法",
    "检测方法",
    "模块",
];
const PROBLEMS: &[&str] = &[
    "成本偏高",
    "效率不高",
    "稳定性不足",
    "能耗较大",
    "精度不够",
    "寿命较短",
    "依赖进口",
    "工艺复杂",
    "良率偏低",
    "响应较慢",
];
const EFFECTS: &[&str] = &[
    "关键指标较现有方案提升30%以上",
    "综合成本降低约20%",
    "能耗下降15%左右",
    "产品良率提高到98%以上",
    "使用寿命延长一倍",
    "核心部件实现国产化替代",
];
const DEMAND_TITLES: &[&str] = &[
    "寻求{a}技术解决方案",
    "{b}中的{a}难题攻关",
    "{b}产线{a}升级改造",
    "引进成熟的{a}技术",
    "{a}在{b}中的工程化应用合作",
];

/// Makes achievements and demands from the domain dictionary.
pub struct ScaleGenerator {
    /// Each technical field's code with its dictionary terms.
    fields: Vec<(String, Vec<&'static str>)>,
}

impl Default for ScaleGenerator {
    fn default() -> Self {
        Self::new()
    }
}

/// splitmix64: a well-mixed number from a record's index and a purpose.
fn mix(index: u64, purpose: u64) -> u64 {
    let mut z = index
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(purpose.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(items: &[T], index: u64, purpose: u64) -> T {
    items[(mix(index, purpose) % items.len() as u64) as usize]
}

/// Three different terms of one field (or repeats, for a field with fewer).
struct Words {
    field: String,
    a: &'static str,
    b: &'static str,
    c: &'static str,
}

impl ScaleGenerator {
    pub fn new() -> Self {
        let fields = TechnicalField::defaults()
            .into_iter()
            .map(|field| {
                let terms: Vec<&'static str> = zijin_search::analysis::domain_terms()
                    .into_iter()
                    .filter(|(_, label)| *label == field.label)
                    .map(|(term, _)| term)
                    .collect();
                (field.code, terms)
            })
            .filter(|(_, terms)| terms.len() >= 3)
            .collect();
        ScaleGenerator { fields }
    }

    fn words(&self, index: u64) -> Words {
        let (field, terms) = &self.fields[(mix(index, 1) % self.fields.len() as u64) as usize];
        let n = terms.len() as u64;
        let first = mix(index, 2) % n;
        let second = (first + 1 + mix(index, 3) % (n - 1)) % n;
        let mut third = mix(index, 4) % n;
        if third == first || third == second {
            third = (third + 1..third + n)
                .map(|t| t % n)
                .find(|t| *t != first && *t != second)
                .unwrap_or(third);
        }
        Words {
            field: field.clone(),
            a: terms[first as usize],
            b: terms[second as usize],
            c: terms[third as usize],
        }
    }

    fn fill(template: &str, words: &Words, kind: &str) -> String {
        template
            .replace("{a}", words.a)
            .replace("{b}", words.b)
            .replace("{kind}", kind)
    }

    /// The district of record `index`'s owner.
    pub fn district(&self, index: u64) -> District {
        pick(District::ALL, index, 5)
    }

    fn modes(index: u64, count: usize) -> Vec<TransferMode> {
        let mut modes: Vec<TransferMode> = (0..count as u64)
            .map(|n| pick(TransferMode::ALL, index, 10 + n))
            .collect();
        modes.sort();
        modes.dedup();
        modes
    }

    pub fn achievement(&self, index: u64) -> AchievementDetails {
        let words = self.words(index);
        let kind = pick(KINDS, index, 6);
        let trl = Trl::new(2 + (mix(index, 7) % 8) as u8).unwrap_or(Trl::new(5).expect("level"));
        let stage = trl.stage().label();
        AchievementDetails {
            title: Self::fill(pick(ACHIEVEMENT_TITLES, index, 8), &words, kind),
            summary: format!(
                "本成果针对{}中{}的问题，研发了{}{}，并结合{}，{}。目前处于{}阶段，可与企业合作推进产业化。",
                words.b,
                pick(PROBLEMS, index, 9),
                words.a,
                kind,
                words.c,
                pick(EFFECTS, index, 12),
                stage
            ),
            field: words.field.clone(),
            keywords: vec![words.a.into(), words.b.into(), words.c.into()],
            trl,
            ip_items: Vec::new(),
            transfer_modes: Self::modes(index, 2),
            price: if mix(index, 13) % 10 < 3 {
                Price::Negotiable
            } else {
                Price::Amount(
                    Money::from_fen((5 + mix(index, 14) % 995) as i64 * 1_000_000)
                        .unwrap_or(Money::ZERO),
                )
            },
            contact_name: "王老师".into(),
            contact_phone: "13800000000".into(),
            source_flags: vec![SourceFlag::UniversityInstitute],
        }
    }

    pub fn demand(&self, index: u64) -> DemandDetails {
        // Demands draw from other numbers than achievements so the two are not paired.
        let index = index.wrapping_add(1 << 40);
        let words = self.words(index);
        let min = (2 + mix(index, 15) % 98) as i64 * 1_000_000;
        DemandDetails {
            title: Self::fill(pick(DEMAND_TITLES, index, 16), &words, ""),
            description: format!(
                "我公司从事{}相关业务，目前在{}方面存在{}的问题，希望引进或合作开发{}相关技术。",
                words.b,
                words.c,
                pick(PROBLEMS, index, 17),
                words.a
            ),
            field: words.field,
            keywords: vec![words.a.into(), words.b.into()],
            cooperation_modes: Self::modes(index, 1),
            budget_min: Money::from_fen(min).ok(),
            budget_max: Money::from_fen(min * 3).ok(),
            wanted_trl: mix(index, 18)
                .is_multiple_of(2)
                .then(|| Trl::new(4 + (mix(index, 19) % 5) as u8))
                .flatten(),
            deadline: chrono::NaiveDate::from_ymd_opt(2027, 12, 31),
            contact_name: "李经理".into(),
            contact_phone: "13900000000".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_valid_varied_and_the_same_for_the_same_number() {
        let generator = ScaleGenerator::new();
        let fields = TechnicalField::defaults();
        let titles: std::collections::HashSet<String> = (0..10_000)
            .map(|i| generator.achievement(i).title)
            .collect();
        assert!(titles.len() > 9_900, "{} distinct titles", titles.len());
        for index in [0, 1, 999_999] {
            let achievement = generator.achievement(index);
            assert_eq!(achievement, generator.achievement(index));
            assert!(TechnicalField::find(&fields, &achievement.field).is_some());
            assert!(!achievement.transfer_modes.is_empty());
            let demand = generator.demand(index);
            assert!(demand.budget_min <= demand.budget_max);
            assert_ne!(demand.title, achievement.title);
        }
    }
}

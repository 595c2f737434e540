//! Deterministic demo data: the real universities, institutes and hospitals of Nanjing by name
//! (with generated credit codes — not their registered ones), fictitious enterprises and
//! service bodies marked as demo, and one account per role.

mod applications;
mod carriers;
mod contracts;
mod documents;
mod past_calls;
pub mod scale;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::collections::HashSet;
use zijin_domain::{
    Coded, CreditCode, District, InstitutionDetails, InstitutionProfile, InstitutionTag,
    InstitutionType, ResponsibleUnit, Role,
};
use zijin_store::{StoreError, audit, institutions, records, users};

use crate::users::NewUserInput;
use crate::{Actor, App, AppError, AppResult};

/// The password of every demo account, printed at start-up.
pub const DEMO_PASSWORD: &str = "Zijin-demo-2026";
/// Fictitious enterprises per unit of `--scale`.
pub const ENTERPRISES_PER_SCALE: usize = 200;
const SEED: u64 = 20_261_128;
const BATCH: usize = 500;

/// A demo account as printed at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// False when the database already held data and nothing was added.
    pub seeded: bool,
    pub institutions: usize,
    pub accounts: Vec<DemoAccount>,
}

use District::*;
use InstitutionType::*;

/// Real institutions of Nanjing: name, type, district.
const REAL_INSTITUTIONS: &[(&str, InstitutionType, District)] = &[
    ("南京大学", University, Gulou),
    ("东南大学", University, Xuanwu),
    ("南京航空航天大学", University, Qinhuai),
    ("南京理工大学", University, Xuanwu),
    ("河海大学", University, Gulou),
    ("中国药科大学", University, Jiangning),
    ("南京邮电大学", University, Qixia),
    ("南京工业大学", University, JiangbeiNewArea),
    ("南京信息工程大学", University, JiangbeiNewArea),
    ("南京农业大学", University, Xuanwu),
    ("南京医科大学", University, Jiangning),
    ("南京林业大学", University, Xuanwu),
    ("南京师范大学", University, Qixia),
    ("南京中医药大学", University, Qixia),
    ("南京财经大学", University, Qixia),
    ("南京审计大学", University, Pukou),
    ("南京工程学院", University, Jiangning),
    ("南京晓庄学院", University, Jiangning),
    ("金陵科技学院", University, Jiangning),
    ("南京艺术学院", University, Gulou),
    ("南京体育学院", University, Xuanwu),
    ("三江学院", University, Yuhuatai),
    ("江苏第二师范学院", University, Jianye),
    ("南京工业职业技术大学", University, Qixia),
    ("南京信息职业技术学院", University, Qixia),
    ("南京森林警察学院", University, Qixia),
    ("紫金山实验室", ResearchInstitute, Jiangning),
    ("中国科学院南京土壤研究所", ResearchInstitute, Xuanwu),
    ("中国科学院南京地理与湖泊研究所", ResearchInstitute, Xuanwu),
    ("中国科学院紫金山天文台", ResearchInstitute, Qixia),
    ("中国科学院南京地质古生物研究所", ResearchInstitute, Xuanwu),
    ("江苏省农业科学院", ResearchInstitute, Xuanwu),
    ("南京水利科学研究院", ResearchInstitute, Gulou),
    (
        "中国电子科技集团公司第十四研究所",
        ResearchInstitute,
        Yuhuatai,
    ),
    (
        "中国电子科技集团公司第五十五研究所",
        ResearchInstitute,
        Qinhuai,
    ),
    ("江苏省产业技术研究院", ResearchInstitute, JiangbeiNewArea),
    ("江苏省人民医院", MedicalInstitution, Gulou),
    ("南京鼓楼医院", MedicalInstitution, Gulou),
    ("东南大学附属中大医院", MedicalInstitution, Gulou),
    ("南京市第一医院", MedicalInstitution, Qinhuai),
    ("江苏省中医院", MedicalInstitution, Qinhuai),
];

/// Fictitious service, finance and new R&D bodies (marked as demo).
const DEMO_BODIES: &[(&str, InstitutionType, District)] = &[
    ("南京紫金技术转移服务有限公司", ServiceOrganization, Xuanwu),
    ("南京石城知识产权运营有限公司", ServiceOrganization, Jianye),
    (
        "南京江北科技成果评估中心有限公司",
        ServiceOrganization,
        JiangbeiNewArea,
    ),
    (
        "南京钟山科创投资基金管理有限公司",
        FinancialInstitution,
        Jianye,
    ),
    (
        "南京秦淮科技融资担保有限公司",
        FinancialInstitution,
        Qinhuai,
    ),
    (
        "南京麒麟智能制造研究院有限公司",
        NewRdInstitution,
        Jiangning,
    ),
    ("南京仙林生物医药研究院有限公司", NewRdInstitution, Qixia),
    ("紫金科创银行南京科技支行", FinancialInstitution, Xuanwu),
];

const NAME_PREFIXES: &[&str] = &[
    "紫峰", "玄湖", "钟山", "栖霞", "秦淮", "雨花", "金陵", "石城", "龙蟠", "虎踞", "莫愁", "汤山",
    "麒麟", "仙林", "方山", "青龙", "牛首", "星河", "启明", "云锦", "宁远", "长江", "浦江", "弘毅",
    "博远", "晨曦", "聚芯", "智行", "衡正", "鼎新",
];
const NAME_MIDDLES: &[&str] = &[
    "瑞", "华", "泰", "达", "创", "恒", "航", "科", "源", "晟", "微", "睿",
];
const INDUSTRIES: &[&str] = &[
    "生物科技",
    "医药科技",
    "通信技术",
    "微电子",
    "半导体",
    "智算科技",
    "软件技术",
    "信息技术",
    "电力科技",
    "智能装备",
    "精密机械",
    "新材料科技",
    "新能源科技",
    "环保科技",
    "农业科技",
    "光电科技",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "马",
];

/// The six-digit division code used in generated credit codes.
fn division_code(district: District) -> &'static str {
    match district {
        Xuanwu => "320102",
        Qinhuai => "320104",
        Jianye => "320105",
        Gulou => "320106",
        Pukou => "320111",
        Qixia => "320113",
        Yuhuatai => "320114",
        Jiangning => "320115",
        Luhe => "320116",
        Lishui => "320117",
        Gaochun => "320118",
        JiangbeiNewArea => "320100",
    }
}

struct Generator {
    rng: ChaCha8Rng,
    codes: HashSet<String>,
}

impl Generator {
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.next_u64() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A valid, unique credit code: `12` for public institutions, `91` for companies.
    fn credit_code(&mut self, kind: InstitutionType, district: District) -> CreditCode {
        let prefix = match kind {
            University | ResearchInstitute | MedicalInstitution => "12",
            _ => "91",
        };
        loop {
            let body: String = (0..9)
                .map(|_| CreditCode::alphabet_character(self.below(31)))
                .collect();
            let first = format!("{prefix}{}{body}", division_code(district));
            if let Some(code) = CreditCode::complete(&first)
                && self.codes.insert(code.as_str().to_string())
            {
                return code;
            }
        }
    }

    fn phone(&mut self) -> String {
        format!("025-{}", 52_000_000 + self.below(30_000_000))
    }

    fn enterprise(&mut self, index: usize) -> InstitutionDetails {
        let combinations = NAME_PREFIXES.len() * NAME_MIDDLES.len() * INDUSTRIES.len();
        let prefix = NAME_PREFIXES[index % NAME_PREFIXES.len()];
        let middle = NAME_MIDDLES[(index / NAME_PREFIXES.len()) % NAME_MIDDLES.len()];
        let industry =
            INDUSTRIES[(index / (NAME_PREFIXES.len() * NAME_MIDDLES.len())) % INDUSTRIES.len()];
        let round = index / combinations;
        let suffix = if self.chance(20) {
            "股份有限公司"
        } else {
            "有限公司"
        };
        let name = if round == 0 {
            format!("南京{prefix}{middle}{industry}{suffix}")
        } else {
            format!("南京{prefix}{middle}{industry}{}号{suffix}", round + 1)
        };
        let district = *self.pick(District::ALL);
        let mut tags = Vec::new();
        for (tag, percent) in [
            (InstitutionTag::HighTechEnterprise, 35),
            (InstitutionTag::SpecialisedInnovative, 15),
            (InstitutionTag::AboveDesignatedSize, 25),
            (InstitutionTag::TechSme, 45),
        ] {
            if self.chance(percent) {
                tags.push(tag);
            }
        }
        tags.sort();
        let contact = format!(
            "{}{}",
            self.pick(SURNAMES),
            ["经理", "工程师", "主任"][self.below(3)]
        );
        InstitutionDetails {
            credit_code: self.credit_code(Enterprise, district),
            kind: Enterprise,
            district,
            tags,
            profile: InstitutionProfile {
                address: format!(
                    "南京市{}{}路{}号",
                    district.label(),
                    self.pick(NAME_PREFIXES),
                    1 + self.below(300)
                ),
                contact_name: contact,
                contact_phone: self.phone(),
                description: format!("（演示数据）一家从事{industry}研发与产业化的企业。"),
            },
            name,
        }
    }
}

/// Fills an empty database; does nothing when it already holds institutions or users.
pub async fn seed(
    app: &App,
    scale: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<DemoSummary> {
    let pool = app.store.pool();
    let existing = users::count(pool).await?
        + institutions::list(pool, &Default::default(), 1, 1)
            .await?
            .total;
    if existing > 0 {
        return Ok(DemoSummary {
            seeded: false,
            institutions: 0,
            accounts: existing_demo_accounts(app).await?,
        });
    }
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(SEED),
        codes: HashSet::new(),
    };
    let mut all = Vec::new();
    for (name, kind, district) in REAL_INSTITUTIONS {
        let mut tags = Vec::new();
        if matches!(kind, University | ResearchInstitute | MedicalInstitution)
            && generator.chance(30)
        {
            tags.push(InstitutionTag::EmpowermentPilot);
        }
        all.push((
            InstitutionDetails {
                name: name.to_string(),
                kind: *kind,
                credit_code: generator.credit_code(*kind, *district),
                district: *district,
                tags,
                profile: InstitutionProfile {
                    address: String::new(),
                    contact_name: String::new(),
                    contact_phone: String::new(),
                    description: String::new(),
                },
            },
            false,
        ));
    }
    for (name, kind, district) in DEMO_BODIES {
        all.push((
            InstitutionDetails {
                name: name.to_string(),
                kind: *kind,
                credit_code: generator.credit_code(*kind, *district),
                district: *district,
                tags: vec![],
                profile: InstitutionProfile {
                    address: format!("南京市{}", district.label()),
                    contact_name: format!("{}主任", generator.pick(SURNAMES)),
                    contact_phone: generator.phone(),
                    description: "（演示数据）虚构的服务机构。".into(),
                },
            },
            true,
        ));
    }
    let enterprises = ENTERPRISES_PER_SCALE * scale.max(1);
    for index in 0..enterprises {
        all.push((generator.enterprise(index), true));
    }

    let actor = Actor::System("demo");
    let total = all.len();
    let mut ids = Vec::with_capacity(total);
    for (batch_index, batch) in all.chunks(BATCH).enumerate() {
        let now = app.now();
        let mut tx = app.store.begin_write().await?;
        for (details, is_demo) in batch {
            let id = institutions::insert(&mut tx, details, *is_demo, now).await?;
            let stored = institutions::get(&mut *tx, id)
                .await?
                .ok_or(AppError::NotFound("机构"))?;
            audit::append(
                &mut tx,
                now,
                audit::Change {
                    actor: actor.audit_name(),
                    action: "institution.create",
                    entity: "institution",
                    entity_id: id.to_string(),
                    before: None,
                    after: Some(crate::institutions::audit_snapshot(&stored)),
                },
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await.map_err(StoreError::from)?;
        progress((batch_index * BATCH + batch.len()).min(total), total);
    }

    let university_id = ids[0];
    let enterprise_id = ids[REAL_INSTITUTIONS.len() + DEMO_BODIES.len()];
    let bank_id = ids[REAL_INSTITUTIONS.len() + DEMO_BODIES.len() - 1];
    let accounts = [
        (
            "admin",
            "市科技局 管理员",
            Role::Admin,
            "",
            "",
            None,
            "平台管理员（市科技局）".to_string(),
        ),
        (
            "reviewer",
            "审核员（市科技局）",
            Role::Reviewer,
            ResponsibleUnit::ScienceTechnologyBureau.code(),
            "",
            None,
            "审核员，责任单位：市科技局".to_string(),
        ),
        (
            "district",
            "江宁区 区级管理员",
            Role::DistrictOfficer,
            "",
            Jiangning.code(),
            None,
            "区级管理员，所辖区：江宁区".to_string(),
        ),
        (
            "university",
            "南京大学 技术转移中心",
            Role::InstitutionUser,
            "",
            "",
            Some(university_id),
            format!("机构用户，所属机构：{}", REAL_INSTITUTIONS[0].0),
        ),
        (
            "enterprise",
            "企业联系人",
            Role::InstitutionUser,
            "",
            "",
            Some(enterprise_id),
            format!(
                "机构用户，所属机构：{}",
                all[REAL_INSTITUTIONS.len() + DEMO_BODIES.len()].0.name
            ),
        ),
        (
            "bank",
            "科技支行 客户经理",
            Role::InstitutionUser,
            "",
            "",
            Some(bank_id),
            format!(
                "金融机构用户，所属机构：{}；可查看企业融资白名单",
                DEMO_BODIES[DEMO_BODIES.len() - 1].0
            ),
        ),
        (
            "manager",
            "周敏",
            Role::InstitutionUser,
            "",
            "",
            Some(ids[REAL_INSTITUTIONS.len()]),
            format!(
                "技术经理人，所属机构：{}；管理员可将其指派到对接",
                DEMO_BODIES[0].0
            ),
        ),
    ];
    let mut created = Vec::new();
    let mut acting = std::collections::HashMap::new();
    for (username, display_name, role, unit, district, institution_id, description) in accounts {
        let user = crate::users::create_unchecked(
            app,
            &actor,
            &NewUserInput {
                username,
                display_name,
                password: DEMO_PASSWORD,
                role: role.code(),
                responsible_unit: unit,
                district,
                institution_id,
            },
            true,
        )
        .await?;
        if username == "manager" {
            crate::users::set_tech_manager(app, &actor, user.id, true).await?;
            let flagged = zijin_store::users::get(app.store().pool(), user.id)
                .await?
                .ok_or(AppError::NotFound("用户"))?;
            crate::tech_managers::save_profile(
                app,
                &Actor::User(flagged),
                &zijin_domain::TechManagerProfileInput {
                    certificate_level: "intermediate".into(),
                    certificate_number: "JSTM-2024-0318".into(),
                    fields: vec!["new-energy".into(), "advanced-manufacturing".into()],
                    introduction: "（演示数据）从事新能源、智能制造领域技术转移，熟悉技术合同登记和赋权改革政策。".into(),
                    listed: true,
                },
            )
            .await?;
        }
        acting.insert(username, Actor::User(user));
        created.push(DemoAccount {
            username: username.to_string(),
            password: DEMO_PASSWORD.to_string(),
            role,
            description,
        });
    }
    let owners: Vec<i64> = ids[..REAL_INSTITUTIONS.len() - 5].to_vec();
    let enterprises: Vec<i64> = ids[REAL_INSTITUTIONS.len() + DEMO_BODIES.len()..].to_vec();
    seed_records(app, &mut generator, scale, &owners, &enterprises, &actor).await?;
    let institutions: Vec<(i64, InstitutionDetails)> = ids
        .iter()
        .copied()
        .zip(all.into_iter().map(|(details, _)| details))
        .collect();
    let who = |name: &str| {
        acting
            .get(name)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("演示账号 {name} 未生成")))
    };
    let (admin, reviewer, district, university, enterprise) = (
        who("admin")?,
        who("reviewer")?,
        who("district")?,
        who("university")?,
        who("enterprise")?,
    );
    let panel = applications::experts(app, &admin, &institutions).await?;
    for expert in &panel {
        if let Some(user) = expert.user() {
            created.push(DemoAccount {
                username: user.username.clone(),
                password: DEMO_PASSWORD.to_string(),
                role: user.role.role(),
                description: format!(
                    "评审专家 {}，可被指派到申报的专家评审环节",
                    user.display_name
                ),
            });
        }
    }
    let people = applications::DemoActors {
        admin: &admin,
        experts: &panel,
        reviewer: &reviewer,
        district: &district,
        university: &university,
        enterprise: &enterprise,
    };
    past_calls::seed(app, &people, &institutions).await?;
    applications::seed(app, &people, &institutions).await?;
    created.extend(contracts::seed(app).await?);
    carriers::seed(app, &institutions, &university, &enterprise).await?;
    carriers::seed_finance(app, &institutions).await?;
    Ok(DemoSummary {
        seeded: true,
        institutions: total,
        accounts: created,
    })
}

/// Technologies the demo achievements and demands are about: field, achievement title,
/// keywords, and the demand an enterprise would write for it. Written for the demo; not real
/// results of the institutions they are attached to.
const TOPICS: &[(&str, &str, &str, &str)] = &[
    (
        "biomedicine",
        "靶向肿瘤的双特异性抗体制备技术",
        "双特异性抗体、肿瘤、生物药",
        "寻求肿瘤免疫治疗候选药物合作开发",
    ),
    (
        "biomedicine",
        "中药有效成分高效提取与纯化工艺",
        "中药、提取、纯化",
        "中药饮片企业提取工艺升级",
    ),
    (
        "information-communication",
        "面向工业互联网的5G专网切片技术",
        "5G、网络切片、工业互联网",
        "工厂5G专网低时延改造",
    ),
    (
        "information-communication",
        "可见光通信室内定位系统",
        "可见光通信、室内定位",
        "仓储物流室内高精度定位",
    ),
    (
        "integrated-circuits",
        "低功耗物联网芯片射频前端设计",
        "芯片、射频、低功耗",
        "物联网模组射频性能提升",
    ),
    (
        "integrated-circuits",
        "碳化硅功率器件封装可靠性技术",
        "碳化硅、功率器件、封装",
        "新能源汽车电驱功率模块国产化",
    ),
    (
        "intelligent-computing",
        "大模型推理加速与算力调度平台",
        "大模型、推理加速、算力调度",
        "企业私有化大模型部署降本",
    ),
    (
        "intelligent-computing",
        "异构计算集群能效优化方法",
        "异构计算、能效、集群",
        "数据中心算力能耗优化",
    ),
    (
        "software",
        "工业软件三维几何建模内核",
        "工业软件、几何内核、CAD",
        "自主可控三维设计软件替代",
    ),
    (
        "software",
        "政务数据共享隐私计算平台",
        "隐私计算、数据共享",
        "多方数据联合分析合规方案",
    ),
    (
        "new-power",
        "配电网故障快速定位与自愈技术",
        "配电网、故障定位、自愈",
        "园区配电网可靠性提升",
    ),
    (
        "new-power",
        "虚拟电厂负荷聚合调控系统",
        "虚拟电厂、负荷调控",
        "工业用户需求响应与电费优化",
    ),
    (
        "high-end-equipment",
        "高精度五轴数控机床误差补偿技术",
        "数控机床、误差补偿、五轴",
        "精密零部件加工精度提升",
    ),
    (
        "high-end-equipment",
        "协作机器人柔性装配系统",
        "协作机器人、柔性装配",
        "电子产品装配线自动化",
    ),
    (
        "new-materials",
        "高性能碳纤维复合材料成型工艺",
        "碳纤维、复合材料",
        "轻量化结构件材料替代",
    ),
    (
        "new-materials",
        "石墨烯导热膜规模化制备技术",
        "石墨烯、导热膜",
        "消费电子散热方案升级",
    ),
    (
        "new-energy",
        "宽温域锂离子电池电解液",
        "锂电池、电解液、低温",
        "冬季电动车续航提升",
    ),
    (
        "new-energy",
        "钙钛矿叠层太阳能电池制备技术",
        "钙钛矿、光伏、叠层电池",
        "光伏组件转换效率提升",
    ),
    (
        "energy-saving",
        "工业废水零排放膜分离技术",
        "废水处理、膜分离、零排放",
        "化工园区废水达标排放",
    ),
    (
        "energy-saving",
        "余热回收有机朗肯循环发电系统",
        "余热回收、节能",
        "钢铁企业余热利用",
    ),
    (
        "modern-agriculture",
        "水稻抗病分子育种技术",
        "水稻、分子育种、抗病",
        "优质稻品种选育合作",
    ),
    (
        "modern-agriculture",
        "设施农业智能水肥一体化系统",
        "智能灌溉、水肥一体化",
        "蔬菜大棚节水增产",
    ),
    (
        "future-industries",
        "量子点显示材料合成技术",
        "量子点、显示材料",
        "新型显示面板材料开发",
    ),
    (
        "future-industries",
        "固态激光雷达光学相控阵技术",
        "激光雷达、光学相控阵",
        "自动驾驶感知系统降本",
    ),
    (
        "other",
        "城市地下管网数字孪生监测技术",
        "数字孪生、地下管网",
        "城市管网运维数字化",
    ),
    (
        "other",
        "文物数字化三维重建技术",
        "文物数字化、三维重建",
        "文旅数字展陈方案",
    ),
];

/// How many achievements and demands the demo data holds per unit of `--scale`.
pub const ACHIEVEMENTS_PER_SCALE: usize = 120;
pub const DEMANDS_PER_SCALE: usize = 80;

/// Achievements for the real universities and institutes, demands for the demo enterprises,
/// most approved and published in a first list issue; a few left in review and in draft.
async fn seed_records(
    app: &App,
    generator: &mut Generator,
    scale: usize,
    owners: &[i64],
    enterprises: &[i64],
    actor: &Actor,
) -> AppResult<()> {
    use zijin_domain::{
        AchievementDetails, DemandDetails, IpItem, Money, PatentNumber, Price, RecordStatus,
        SourceFlag, TransferMode, Trl,
    };
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let mut changes = Vec::new();
    for index in 0..ACHIEVEMENTS_PER_SCALE * scale.max(1) {
        let (field, title, keywords, _) = TOPICS[index % TOPICS.len()];
        let round = index / TOPICS.len();
        let owner = owners[index % owners.len()];
        let serial = 100_000 + generator.below(900_000);
        let digits = format!("2024{}0{serial:06}", 1 + generator.below(2));
        let digits = &digits[..12];
        let check = zijin_domain::patent::application_check_digit(digits);
        let mut modes: Vec<TransferMode> = vec![
            *generator.pick(TransferMode::ALL),
            *generator.pick(TransferMode::ALL),
        ];
        modes.sort();
        modes.dedup();
        let details = AchievementDetails {
            title: if round == 0 {
                title.to_string()
            } else {
                format!(
                    "{title}（{}）",
                    ["改进型", "第二代", "规模化", "低成本", "模块化"][round % 5]
                )
            },
            summary: format!(
                "（演示数据）{title}。该成果面向{}需求，已完成原理验证和样机测试，可与企业合作推进工程化和产业化。",
                keywords.split('、').next().unwrap_or("产业")
            ),
            field: field.to_string(),
            keywords: keywords.split('、').map(str::to_string).collect(),
            trl: Trl::new(3 + generator.below(7) as u8)
                .unwrap_or(Trl::new(5).expect("valid level")),
            ip_items: PatentNumber::parse(&format!("ZL{digits}.{check}"))
                .map(IpItem::Patent)
                .into_iter()
                .collect(),
            transfer_modes: modes,
            price: if generator.chance(30) {
                Price::Negotiable
            } else {
                Price::Amount(
                    Money::from_fen((50 + generator.below(950)) as i64 * 1_000_000)
                        .unwrap_or(Money::ZERO),
                )
            },
            contact_name: format!("{}老师", generator.pick(SURNAMES)),
            contact_phone: format!("138{:08}", generator.below(100_000_000)),
            source_flags: vec![SourceFlag::UniversityInstitute],
        };
        let status = match index % 20 {
            0 => RecordStatus::Submitted,
            1 => RecordStatus::Draft,
            _ => RecordStatus::Approved,
        };
        let id = records::insert_achievement(&mut tx, owner, status, &details, now).await?;
        changes.push(audit::Change {
            actor: actor.audit_name(),
            action: "achievement.create",
            entity: "achievement",
            entity_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({"title": details.title, "status": status.code()})),
        });
    }
    for index in 0..DEMANDS_PER_SCALE * scale.max(1) {
        let (field, _, keywords, need) = TOPICS[(index * 7) % TOPICS.len()];
        let owner = enterprises[index % enterprises.len()];
        let min = (20 + generator.below(80)) as i64 * 1_000_000;
        let mut modes = vec![*generator.pick(TransferMode::ALL)];
        modes.sort();
        let details = DemandDetails {
            title: need.to_string(),
            description: format!(
                "（演示数据）我公司希望在{}方面寻找高校院所合作，解决生产中的实际问题，欢迎有相关成果的团队联系。",
                keywords.split('、').next().unwrap_or("相关技术")
            ),
            field: field.to_string(),
            keywords: keywords.split('、').map(str::to_string).collect(),
            cooperation_modes: modes,
            budget_min: Money::from_fen(min).ok(),
            budget_max: Money::from_fen(min * 3).ok(),
            // Half the demo demands say how mature a solution they want.
            wanted_trl: (index % 2 == 0)
                .then(|| zijin_domain::Trl::new(4 + (index % 5) as u8))
                .flatten(),
            deadline: chrono::NaiveDate::from_ymd_opt(2027, 1 + (index % 12) as u32, 28),
            contact_name: format!("{}经理", generator.pick(SURNAMES)),
            contact_phone: format!("139{:08}", generator.below(100_000_000)),
        };
        // The demo enterprise account owns demand 0: approved, so it is listed and its owner
        // finds recommendations under 我的对接; every sixteenth other one waits for review.
        let status = if index % 16 == 15 {
            RecordStatus::Submitted
        } else {
            RecordStatus::Approved
        };
        let id = records::insert_demand(&mut tx, owner, status, &details, now).await?;
        changes.push(audit::Change {
            actor: actor.audit_name(),
            action: "demand.create",
            entity: "demand",
            entity_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({"title": details.title, "status": status.code()})),
        });
    }
    audit::append_many(&mut tx, now, changes).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let issue = crate::lists::open_issue(app, actor, "2026年第3期").await?;
    crate::lists::publish(app, actor, issue.id).await?;
    Ok(())
}

/// The demo accounts of an already seeded database (their password may have been changed).
async fn existing_demo_accounts(app: &App) -> AppResult<Vec<DemoAccount>> {
    let listed = users::list(app.store.pool(), 1, 100).await?;
    Ok(listed
        .items
        .into_iter()
        .filter(|user| user.is_demo)
        .map(|user| DemoAccount {
            description: user.display_name.clone(),
            username: user.username,
            password: DEMO_PASSWORD.to_string(),
            role: user.role.role(),
        })
        .collect())
}

/// How many real institutions the demo data names.
pub fn real_institution_count() -> usize {
    REAL_INSTITUTIONS.len()
}

//! 技术合同登记 (issue 18), on both backends: the seller submits, the registrar returns,
//! registers, changes and cancels, with the kept aggregates equal to a GROUP BY over the table
//! after every step; two registrations at once get distinct numbers; imports land whole or
//! not at all; a frozen ranking is exactly what `compute` gives.

use zijin_app::contracts::{
    self, Amendment, Decision, ListQuery, Submission, import, ranking, stats,
};
use zijin_app::users::NewUserInput;
use zijin_app::{Actor, AppError, institutions, users};
use zijin_domain::{ContractInput, ContractStatus, CreditCode, InstitutionInput};
use zijin_store::contracts::totals;
use zijin_testkit::{BACKENDS, TestContext};

pub(super) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

pub(super) fn code(stem: &str) -> String {
    CreditCode::complete(stem).unwrap().as_str().to_string()
}

pub(super) struct World {
    pub(super) context: TestContext,
    pub(super) seller: Actor,
    pub(super) registrar: Actor,
    pub(super) other_registrar: Actor,
    pub(super) admin: Actor,
    pub(super) registry: i64,
    pub(super) university_code: String,
    pub(super) buyer_code: String,
}

pub(super) async fn institution(
    context: &TestContext,
    name: &str,
    kind: &str,
    code: &str,
    district: &str,
) -> i64 {
    institutions::create(
        &context.app,
        &Actor::System("test"),
        &InstitutionInput {
            name,
            kind,
            credit_code: code,
            district,
            contact_phone: "025-84000000",
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

pub(super) async fn account(
    context: &TestContext,
    username: &str,
    role: &str,
    institution_id: Option<i64>,
) -> Actor {
    Actor::User(
        users::create(
            &context.app,
            &Actor::System("test"),
            &NewUserInput {
                username,
                display_name: username,
                password: "Secret-pass-1",
                role,
                responsible_unit: "",
                district: "",
                institution_id,
            },
        )
        .await
        .unwrap(),
    )
}

/// A 技术转移中心 with three accounts flagged 技术经理人 (as they are after the flag): the
/// center's id and the accounts.
pub(super) async fn managers(w: &World, names: [&str; 3]) -> (i64, Vec<Actor>) {
    let app = &w.context.app;
    let center = institution(
        &w.context,
        "南京测试技术转移中心",
        "服务机构",
        &code("52320102MJ1EEEEE0"),
        "玄武区",
    )
    .await;
    let mut people = Vec::new();
    for name in names {
        let Actor::User(user) = account(&w.context, name, "institution", Some(center)).await else {
            unreachable!()
        };
        users::set_tech_manager(app, &w.admin, user.id, true)
            .await
            .unwrap();
        let user = zijin_store::users::get(app.store().pool(), user.id)
            .await
            .unwrap()
            .unwrap();
        people.push(Actor::User(user));
    }
    (center, people)
}

pub(super) async fn world(backend: zijin_app::Backend) -> World {
    let context = TestContext::new(backend).await;
    let university_code = code("12320102MB1AAAAA0");
    let buyer_code = code("91320115MA1BBBBB0");
    let university =
        institution(&context, "南京测试大学", "高校", &university_code, "玄武区").await;
    institution(
        &context,
        "南京测试科技有限公司",
        "企业",
        &buyer_code,
        "江宁区",
    )
    .await;
    let registry = institution(
        &context,
        "测试技术合同登记处",
        "合同登记机构",
        &code("11320102MB1CCCCC0"),
        "玄武区",
    )
    .await;
    let other = institution(
        &context,
        "另一登记站",
        "合同登记机构",
        &code("11320115MB1DDDDD0"),
        "江宁区",
    )
    .await;
    let seller = account(&context, "seller", "institution", Some(university)).await;
    let registrar = account(&context, "registrar", "contract-registrar", Some(registry)).await;
    let other_registrar = account(&context, "registrar2", "contract-registrar", Some(other)).await;
    let admin = Actor::User(
        users::create_admin_from_cli(&context.app, "admin", "Admin-pass-1")
            .await
            .unwrap(),
    );
    World {
        context,
        seller,
        registrar,
        other_registrar,
        admin,
        registry,
        university_code,
        buyer_code,
    }
}

pub(super) fn form(w: &World, total: &str) -> ContractInput {
    ContractInput {
        title: "钙钛矿电池制备技术开发".into(),
        contract_type: "技术开发（委托）".into(),
        signed_on: "2026-10-08".into(),
        seller_name: "南京测试大学".into(),
        seller_credit_code: w.university_code.clone(),
        seller_nature: "022".into(),
        seller_region: "320102".into(),
        buyer_name: "南京测试科技有限公司".into(),
        buyer_credit_code: w.buyer_code.clone(),
        buyer_nature: "150".into(),
        buyer_region: "320115".into(),
        field: "新能源与高效节能".into(),
        ip_type: "专利".into(),
        total: total.into(),
        deductions: vec![("设备".into(), "100000".into())],
        ..ContractInput::default()
    }
}

pub(super) fn submission(w: &World, total: &str) -> Submission {
    Submission {
        form: form(w, total),
        registry_id: Some(w.registry),
        file: Some(("合同.pdf".into(), PDF.to_vec())),
        ..Submission::default()
    }
}

/// The kept aggregates of the city and both districts equal a GROUP BY over the table.
async fn assert_totals_match(w: &World, year: i32) {
    let pool = w.context.app.store().pool();
    for scope in [
        totals::CITY.to_string(),
        totals::district_scope("xuanwu"),
        totals::district_scope("jiangning"),
    ] {
        let kept = totals::read(pool, &scope, year).await.unwrap();
        let counted = totals::recount(pool, &scope, year).await.unwrap();
        assert_eq!(kept, counted, "scope {scope}");
    }
}

#[tokio::test]
async fn seller_submits_registrar_decides_and_statistics_follow() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        // Written contracts only; the seller registers.
        let mut no_file = submission(&w, "1200000");
        no_file.file = None;
        let refused = contracts::submit(app, &w.seller, no_file)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Validation(e) if e.get("file").is_some_and(|m| m.contains("书面"))),
            "{refused:?}"
        );
        let mut not_seller = submission(&w, "1200000");
        not_seller.form.seller_credit_code = w.buyer_code.clone();
        not_seller.form.buyer_credit_code = w.university_code.clone();
        let refused = contracts::submit(app, &w.seller, not_seller)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Validation(e) if e.get("seller_credit_code").is_some()),
            "{refused:?}"
        );

        let id = contracts::submit(app, &w.seller, submission(&w, "120万"))
            .await
            .unwrap();
        let view = contracts::get(app, &w.seller, id).await.unwrap();
        assert_eq!(view.contract.status, ContractStatus::Submitted);
        assert_eq!(view.contract.details.technology.to_string(), "1100000.00");
        // Accepted 2026-11-28 (a Saturday); 15 working days on.
        assert_eq!(
            view.contract.accepted_on.map(|d| d.to_string()).as_deref(),
            Some("2026-11-28")
        );
        assert!(
            view.contract
                .due_on
                .is_some_and(|d| d.to_string().as_str() > "2026-12-15")
        );

        // Another registry's registrar does not see it; the seller cannot decide.
        assert!(matches!(
            contracts::get(app, &w.other_registrar, id).await,
            Err(AppError::NotFound(_))
        ));
        assert!(
            contracts::decide(app, &w.other_registrar, id, Decision::Register)
                .await
                .is_err()
        );
        assert!(
            contracts::decide(app, &w.seller, id, Decision::Register)
                .await
                .is_err()
        );

        // Returned: a reason is required; the clock starts again when it comes back.
        assert!(
            contracts::decide(app, &w.registrar, id, Decision::Return("  ".into()))
                .await
                .is_err()
        );
        contracts::decide(app, &w.registrar, id, Decision::Return("缺少签章页".into()))
            .await
            .unwrap();
        let returned = contracts::get(app, &w.seller, id).await.unwrap();
        assert_eq!(returned.contract.status, ContractStatus::Returned);
        assert_eq!(returned.contract.due_on, None);
        w.context.clock.advance(chrono::Duration::days(5));
        contracts::edit(app, &w.seller, id, submission(&w, "1200000"))
            .await
            .unwrap();
        let back = contracts::get(app, &w.seller, id).await.unwrap();
        assert_eq!(back.contract.status, ContractStatus::Submitted);
        assert_eq!(
            back.contract.accepted_on.map(|d| d.to_string()).as_deref(),
            Some("2026-12-03")
        );

        // Registered: a 16-digit number of the scheme; the statistics count it.
        let number = contracts::decide(app, &w.registrar, id, Decision::Register)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(number.as_str(), "2026320102000001");
        assert_totals_match(&w, 2026).await;
        let city = stats::statistics(app, &Actor::Anonymous, Some(2026), None)
            .await
            .unwrap();
        assert_eq!(city.total.contracts, 1);
        assert_eq!(city.total.technology.to_string(), "1100000.00");
        assert_eq!(
            city.in_city_share.map(|p| p.to_string()).as_deref(),
            Some("100.0")
        );
        let jiangning = stats::statistics(
            app,
            &Actor::Anonymous,
            Some(2026),
            Some(zijin_domain::District::Jiangning),
        )
        .await
        .unwrap();
        assert_eq!(
            jiangning.total.contracts, 1,
            "the buyer's district counts it too"
        );
        // Not twice.
        assert!(matches!(
            contracts::decide(app, &w.registrar, id, Decision::Register).await,
            Err(AppError::WrongState(_))
        ));

        // Payments received: never beyond 成交额.
        contracts::record_receipt(app, &w.seller, id, "2026-12-01", "50万", "首期款")
            .await
            .unwrap();
        let too_much = contracts::record_receipt(app, &w.registrar, id, "2026-12-02", "800000", "")
            .await
            .unwrap_err();
        assert!(
            matches!(&too_much, AppError::Validation(e) if e.get("amount").is_some()),
            "{too_much:?}"
        );

        // 变更: the statistics move with it; the history keeps the form before.
        let mut changed = form(&w, "2000000");
        changed.deductions.clear();
        changed.field = "电子信息".into();
        contracts::amend(
            app,
            &w.registrar,
            id,
            Amendment::Change(Box::new(changed)),
            "补充协议增加合同金额",
        )
        .await
        .unwrap();
        assert_totals_match(&w, 2026).await;
        let after = stats::statistics(app, &Actor::Anonymous, Some(2026), None)
            .await
            .unwrap();
        assert_eq!(after.total.technology.to_string(), "2000000.00");
        let history = contracts::get(app, &w.registrar, id).await.unwrap().history;
        assert!(history.iter().any(|h| {
            h.act == "change"
                && h.before
                    .as_deref()
                    .is_some_and(|b| b.contains("1100000.00"))
        }));

        // The seller cannot amend; a registrar without a reason cannot either.
        assert!(
            contracts::amend(app, &w.seller, id, Amendment::Cancel, "解除")
                .await
                .is_err()
        );
        assert!(
            contracts::amend(app, &w.registrar, id, Amendment::Cancel, "")
                .await
                .is_err()
        );
        contracts::amend(app, &w.registrar, id, Amendment::Cancel, "合同已解除")
            .await
            .unwrap();
        assert_totals_match(&w, 2026).await;
        let cancelled = stats::statistics(app, &Actor::Anonymous, Some(2026), None)
            .await
            .unwrap();
        assert_eq!(cancelled.total.contracts, 0);
        assert!(cancelled.year.is_some_and(|y| y == 2026));

        // Listings: the seller sees theirs, the registrar their registry's, the other none.
        let all = ListQuery::default();
        assert_eq!(
            contracts::list(app, &w.seller, &all, 1)
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            contracts::list(app, &w.registrar, &all, 1)
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            contracts::list(app, &w.other_registrar, &all, 1)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            contracts::list(app, &w.admin, &all, 1).await.unwrap().total,
            1
        );
        assert!(
            contracts::list(app, &Actor::Anonymous, &all, 1)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn two_registrations_at_once_get_distinct_numbers() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let first = contracts::submit(app, &w.seller, submission(&w, "300000"))
            .await
            .unwrap();
        let second = contracts::submit(app, &w.seller, submission(&w, "400000"))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            contracts::decide(app, &w.registrar, first, Decision::Register),
            contracts::decide(app, &w.registrar, second, Decision::Register),
        );
        let mut numbers = vec![
            a.unwrap().unwrap().as_str().to_string(),
            b.unwrap().unwrap().as_str().to_string(),
        ];
        numbers.sort();
        assert_eq!(
            numbers,
            vec!["2026320102000001", "2026320102000002"],
            "{backend:?}"
        );
        assert_totals_match(&w, 2026).await;
        // And the same contract decided twice at once is registered once.
        let third = contracts::submit(app, &w.seller, submission(&w, "500000"))
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            contracts::decide(app, &w.registrar, third, Decision::Register),
            contracts::decide(app, &w.registrar, third, Decision::Register),
        );
        assert_eq!(x.is_ok() as u8 + y.is_ok() as u8, 1, "{x:?} {y:?}");
        let city = stats::statistics(app, &Actor::Anonymous, Some(2026), None)
            .await
            .unwrap();
        assert_eq!(city.total.contracts, 3);
    }
}

pub(super) const HEADER: &str = "合同登记编号,项目名称,合同类型,签订日期,卖方名称,卖方统一社会信用代码,卖方性质,卖方行政区划,买方名称,买方统一社会信用代码,买方性质,买方行政区划,技术领域,知识产权类型,成交额,技术交易额,登记日期";

pub(super) fn row(
    number: &str,
    (seller, seller_code, nature): (&str, &str, &str),
    kind: &str,
    buyer_region: &str,
    (total, technology): (&str, &str),
    on: &str,
) -> String {
    format!(
        "{number},{seller}项目,{kind},{on},{seller},{seller_code},{nature},320102,买方公司,{},150,{buyer_region},电子信息,专利,{total},{technology},{on}",
        code("91320505MA1EEEEE0")
    )
}

#[tokio::test]
async fn imports_land_whole_or_not_at_all_and_feed_the_ranking() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let a = code("12320102MB1FFFFF0");
        let b = code("12320113MB1GGGGG0");
        let bad = [
            HEADER.to_string(),
            row(
                "2025320102000101",
                ("甲大学", &a, "022"),
                "技术转让（专利权）",
                "320115",
                ("1000000", "900000"),
                "2025-03-01",
            ),
            row(
                "2025320102000102",
                ("乙研究所", &b, "021"),
                "技术服务",
                "3201",
                ("500000", "600000"),
                "2025-04-01",
            ),
            row(
                "2025320102000101",
                ("甲大学", &a, "022"),
                "技术开发",
                "320115",
                ("200000", "200000"),
                "2025-05-01",
            ),
        ]
        .join("\n");
        let outcome = import::import(app, &w.admin, bad.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        let import::Outcome::Refused(report) = outcome else {
            panic!("a bad file was imported")
        };
        let lines = report.lines().join("\n");
        assert!(lines.contains("第3行【买方行政区划】"), "{lines}");
        assert!(
            lines.contains("第3行【技术交易额】技术交易额不能大于成交额"),
            "{lines}"
        );
        assert!(
            lines.contains("第4行【合同登记编号】与第2行的合同登记编号重复"),
            "{lines}"
        );
        let everything = ListQuery::default();
        assert_eq!(
            contracts::list(app, &w.admin, &everything, 1)
                .await
                .unwrap()
                .total,
            0,
            "nothing written"
        );
        assert!(
            stats::statistics(app, &Actor::Anonymous, None, None)
                .await
                .unwrap()
                .year
                .is_none()
        );

        // Only admins import.
        assert!(
            import::import(app, &w.seller, bad.as_bytes(), &|_, _| {})
                .await
                .is_err()
        );

        let good = [
            HEADER.to_string(),
            row(
                "2025320102000101",
                ("甲大学", &a, "022"),
                "技术转让（专利权）",
                "320115",
                ("1000000", "900000"),
                "2025-03-01",
            ),
            row(
                "2025320102000102",
                ("乙研究所", &b, "021"),
                "技术服务",
                "310115",
                ("500000", "500000"),
                "2025-04-01",
            ),
            row(
                "2025320102000103",
                ("甲大学", &a, "022"),
                "技术开发",
                "320115",
                ("200000", "200000"),
                "2025-05-01",
            ),
            row(
                "2025320102000104",
                ("乙研究所", &b, "021"),
                "技术许可",
                "320115",
                ("1200000", "1200000"),
                "2025-06-01",
            ),
        ]
        .join("\n");
        let outcome = import::import(app, &w.admin, good.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        assert_eq!(outcome, import::Outcome::Imported { count: 4 });
        assert_totals_match(&w, 2025).await;
        let again = import::import(app, &w.admin, good.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        assert!(
            matches!(&again, import::Outcome::Refused(r) if r.lines().join("").contains("已在平台登记"))
        );

        // The ranking: 乙 1,700,000 (license 1.2M + service 0.5M), 甲 1,200,000.
        let computed = ranking::compute(app, 2025).await.unwrap();
        let names: Vec<&str> = computed.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["乙研究所", "甲大学"]);
        let b_entry = &computed.entries[0];
        assert_eq!(b_entry.total.to_string(), "1700000.00");
        assert_eq!(b_entry.transfer_group.to_string(), "1200000.00");
        assert_eq!(b_entry.service_group.to_string(), "500000.00");
        assert_eq!(b_entry.in_city_share.to_string(), "70.59");
        let a_entry = &computed.entries[1];
        assert_eq!(
            (
                a_entry.rank_transfer_group,
                a_entry.rank_service_group,
                a_entry.rank_in_city_share
            ),
            (2, 2, 1)
        );

        // Frozen: exactly the computation; once only; later changes leave it as it was.
        let frozen = ranking::freeze(app, &w.admin, 2025).await.unwrap();
        assert_eq!(
            ranking::to_json(&frozen).unwrap(),
            ranking::to_json(&computed).unwrap()
        );
        let stored = ranking::snapshot(app, 2025).await.unwrap().unwrap();
        assert_eq!(
            ranking::to_json(&stored).unwrap(),
            ranking::to_json(&computed).unwrap()
        );
        assert!(matches!(
            ranking::freeze(app, &w.admin, 2025).await,
            Err(AppError::WrongState(_))
        ));
        assert!(ranking::freeze(app, &w.seller, 2024).await.is_err());
        let more = [
            HEADER.to_string(),
            row(
                "2025320102000105",
                ("甲大学", &a, "022"),
                "技术开发",
                "320115",
                ("9000000", "9000000"),
                "2025-07-01",
            ),
        ]
        .join("\n");
        import::import(app, &w.admin, more.as_bytes(), &|_, _| {})
            .await
            .unwrap();
        let shown = ranking::shown(app, 2025).await.unwrap();
        assert_eq!(
            ranking::to_json(&shown.ranking).unwrap(),
            ranking::to_json(&computed).unwrap()
        );
        assert_ne!(
            ranking::to_json(&ranking::compute(app, 2025).await.unwrap()).unwrap(),
            ranking::to_json(&computed).unwrap()
        );
    }
}

#[tokio::test]
async fn the_same_import_or_freeze_twice_at_once_lands_once_with_a_clear_refusal() {
    for backend in BACKENDS {
        let w = world(backend).await;
        let app = &w.context.app;
        let file = [
            HEADER.to_string(),
            row(
                "2025320102000401",
                ("南京测试大学", &w.university_code, "022"),
                "技术开发",
                "320115",
                ("500000", "500000"),
                "2025-04-01",
            ),
        ]
        .join("\n");
        let (a, b) = tokio::join!(
            import::import(app, &w.admin, file.as_bytes(), &|_, _| {}),
            import::import(app, &w.admin, file.as_bytes(), &|_, _| {}),
        );
        let imported = [&a, &b]
            .iter()
            .filter(|o| matches!(o, Ok(import::Outcome::Imported { .. })))
            .count();
        assert_eq!(imported, 1, "{backend:?}: {a:?} {b:?}");
        for outcome in [&a, &b] {
            assert!(
                matches!(outcome, Ok(_) | Err(AppError::WrongState(_))),
                "{backend:?}: {outcome:?}"
            );
        }
        assert_eq!(
            contracts::list(app, &w.admin, &ListQuery::default(), 1)
                .await
                .unwrap()
                .total,
            1
        );
        assert_totals_match(&w, 2025).await;
        let (x, y) = tokio::join!(
            ranking::freeze(app, &w.admin, 2025),
            ranking::freeze(app, &w.admin, 2025),
        );
        assert_eq!(x.is_ok() as u8 + y.is_ok() as u8, 1, "{backend:?}");
        assert!(matches!(x.err().or(y.err()), Some(AppError::WrongState(_))));
        // The audit log says it in words: the import as such, the ranking by its year.
        let entries = zijin_app::audit::list(app, &w.admin, &Default::default(), 1, 50)
            .await
            .unwrap();
        let described = zijin_app::audit::describe(app, &entries.items)
            .await
            .unwrap();
        let objects: Vec<&str> = described.iter().map(|d| d.object.as_str()).collect();
        assert!(objects.contains(&"2025年度排行榜"), "{objects:?}");
        assert!(objects.contains(&"技术合同"), "{objects:?}");
    }
}

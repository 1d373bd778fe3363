//! Configuration in two stages: [`File`] mirrors the TOML file (unknown keys are errors), and
//! [`Settings`] is the validated value the server runs on.
//!
//! Sources, later wins: built-in defaults, the config file, `SECRETGATE_<SECTION>_<KEY>`
//! environment variables (every key in [`KEYS`]; values parse as TOML, or as a plain string),
//! then command-line flags. With nothing configured both directions redact: a user who only
//! changes an SDK's base URL is protected.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::{
    detect::{canary::CanarySet, Style},
    proxy::auth::Hidden,
    stream::{Action, Overflow, Policy},
};

/// Every key, as `section.key` (or `key` at the top): the names `SECRETGATE_…` variables map to.
/// `secretgate.example.toml` lists exactly these (a test checks).
pub const KEYS: &[&str] = &[
    "listen",
    "require_tls",
    "trusted_proxies",
    "log_format",
    "scan",
    "upstream.url",
    "upstream.connect_timeout_secs",
    "upstream.read_timeout_secs",
    "upstream.key_env",
    "upstream.ca_file",
    "tls.cert",
    "tls.key",
    "tls.reload_secs",
    "tls.hsts_max_age_secs",
    "auth.client_key_hashes",
    "request.action",
    "response.action",
    "response.block_mode",
    "disclosure.request",
    "disclosure.response",
    "canaries.min_run",
    "canaries.automatic",
    "system_prompt.action",
    "system_prompt.min_words",
    "redaction.style",
    "limits.max_body_bytes",
    "limits.max_concurrent",
    "limits.max_holdback_bytes",
    "limits.on_overflow",
    "limits.max_event_bytes",
    "limits.shutdown_grace_secs",
    "rules.builtin",
    "rules.paths",
    "reload.watch",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct File {
    pub listen: Option<String>,
    /// Refuse plain HTTP (see `proxy::transport`).
    pub require_tls: Option<bool>,
    /// Peers whose `X-Forwarded-Proto: https` is believed (IPs or CIDRs).
    pub trusted_proxies: Vec<String>,
    pub tls: crate::proxy::tls::TlsFile,
    pub log_format: Option<LogFormat>,
    pub scan: Option<bool>,
    pub upstream: UpstreamFile,
    pub auth: AuthFile,
    pub request: DirectionFile,
    pub response: ResponseFile,
    pub redaction: RedactionFile,
    pub disclosure: DisclosureFile,
    pub canaries: CanariesFile,
    pub system_prompt: SystemPromptFile,
    /// `[[canary]]` entries: known secrets to find in any form.
    pub canary: Vec<CanaryEntry>,
    pub limits: LimitsFile,
    pub rules: RulesFile,
    pub reload: ReloadFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadFile {
    /// Reload when the config, rule or canary files change (SIGHUP reloads either way).
    pub watch: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SystemPromptFile {
    pub action: Option<LeakMode>,
    pub min_words: Option<usize>,
}

/// What to do when an answer repeats the request's system or developer instructions, or
/// holds a disclosure request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeakMode {
    /// Audit event, metric, `x-secretgate-flagged: <kind>` on whole answers.
    #[default]
    Flag,
    Redact,
    Block,
    Off,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CanariesFile {
    pub min_run: Option<usize>,
    pub automatic: Option<bool>,
}

/// One known secret, or a file of them: exactly one of the three. Its `Debug` shows where it
/// comes from, never a literal.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CanaryEntry {
    pub literal: Option<String>,
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

impl std::fmt::Debug for CanaryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanaryEntry")
            .field("literal", &self.literal.as_ref().map(|_| "<hidden>"))
            .field("env", &self.env)
            .field("file", &self.file)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamFile {
    pub url: Option<String>,
    pub connect_timeout_secs: Option<f64>,
    pub read_timeout_secs: Option<f64>,
    pub key_env: Option<String>,
    /// PEM certificates trusted for the upstream instead of the system roots.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthFile {
    pub client_key_hashes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectionFile {
    pub action: Option<Mode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseFile {
    pub action: Option<Mode>,
    pub block_mode: Option<BlockMode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisclosureFile {
    pub request: Option<Flag>,
    /// Injected instructions and exfiltration links in answers (default `redact`).
    pub response: Option<LeakMode>,
}

/// What to do with a request to disclose secrets found in a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// Audit event, metric, and `x-secretgate-flagged` on the answer; forwarded.
    #[default]
    Flag,
    /// Refused with 400, code `disclosure_request`.
    Block,
    Off,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionFile {
    pub style: Option<StyleName>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsFile {
    pub max_body_bytes: Option<usize>,
    pub max_concurrent: Option<usize>,
    pub max_holdback_bytes: Option<usize>,
    pub on_overflow: Option<OverflowName>,
    pub max_event_bytes: Option<usize>,
    pub shutdown_grace_secs: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesFile {
    pub builtin: Option<bool>,
    pub paths: Vec<PathBuf>,
}

/// What to do with secrets in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Redact,
    Block,
    Report,
    Off,
}

/// How a blocked non-streamed answer looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockMode {
    /// The answer cut before the secret, `finish_reason: "content_filter"`.
    #[default]
    Finish,
    /// An error in OpenAI's JSON shape (HTTP 400, code `content_filter`).
    Error,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StyleName {
    Label,
    Mask,
    Hash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverflowName {
    Block,
    Redact,
}

/// Command-line flags that override the file and environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub upstream: Option<String>,
    pub listen: Option<String>,
    pub scan: Option<bool>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    /// `Some`: the listener speaks TLS only.
    pub tls: Option<crate::proxy::tls::TlsSettings>,
    pub transport: crate::proxy::transport::TransportSettings,
    pub log_format: LogFormat,
    /// `false`: forward everything unscanned (for measuring the proxy's own cost).
    pub scan: bool,
    /// Without a trailing `/`.
    pub upstream: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Gateway mode: the key the proxy sends upstream (from the environment variable named
    /// in the config). `None`: transparent mode.
    pub upstream_key: Option<Hidden>,
    /// Roots for the upstream's certificate instead of the system's.
    pub upstream_ca_file: Option<PathBuf>,
    /// SHA-256 digests of the accepted client keys (gateway mode).
    pub client_keys: Vec<[u8; 32]>,
    /// `None`: that direction is not scanned.
    pub request: Option<Policy>,
    pub response: Option<Policy>,
    pub block_mode: BlockMode,
    /// Requests to disclose secrets in user and tool messages.
    pub disclosure_request: Flag,
    /// Disclosure requests in answers: the action (`Report` = flag), or `None` (off).
    pub disclosure_response: Option<Action>,
    /// Configured canaries (both directions); `None` when there are none.
    pub canaries: Option<std::sync::Arc<CanarySet>>,
    /// Secrets found in a request are canaries in its answer.
    pub automatic_canaries: bool,
    pub canary_min_run: usize,
    /// System-prompt leaks in answers: the action (`Report` = flag), or `None` (off).
    pub system_prompt: Option<Action>,
    pub system_prompt_min_words: usize,
    pub max_body_bytes: usize,
    pub max_concurrent: usize,
    pub max_event_bytes: usize,
    pub shutdown_grace: Duration,
    pub builtin_rules: bool,
    pub rule_paths: Vec<PathBuf>,
    /// The `[[canary]] file`s read (the hot reload watches them too).
    pub canary_files: Vec<PathBuf>,
    /// Reload on file changes (`[reload] watch`).
    pub reload_watch: bool,
}

impl Settings {
    /// Reads the file (if any), applies the environment `env` (pairs of name and value) and
    /// the overrides, and validates.
    pub fn load(
        path: Option<&std::path::Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> anyhow::Result<Settings> {
        let mut table = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?;
                text.parse::<toml::Table>().with_context(|| format!("parsing config {}", p.display()))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut table, env)?;
        let file: File = toml::Value::Table(table).try_into().context("invalid configuration")?;
        Settings::from_file(file, env, overrides)
    }

    fn from_file(f: File, env: &[(String, String)], o: &Overrides) -> anyhow::Result<Settings> {
        let listen_text = o.listen.clone().or(f.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().with_context(|| format!("listen address {listen_text:?}"))?;
        let upstream = o.upstream.clone().or(f.upstream.url).unwrap_or_else(|| "https://api.openai.com/v1".into());
        let parsed = reqwest::Url::parse(&upstream).with_context(|| format!("upstream URL {upstream:?}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() || !parsed.username().is_empty() {
            bail!("upstream URL must be http(s)://host[:port][/path], without credentials or query");
        }
        let secs = |v: Option<f64>, default: f64, what: &str| -> anyhow::Result<Duration> {
            let v = v.unwrap_or(default);
            if !(v.is_finite() && v > 0.0) {
                bail!("{what} must be a positive number of seconds");
            }
            Ok(Duration::from_secs_f64(v))
        };
        let upstream_key = match f.upstream.key_env.filter(|n| !n.is_empty()) {
            None => None,
            Some(name) => {
                let value = env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
                if value.is_empty() {
                    bail!("upstream.key_env names {name}, which is not set (or empty)");
                }
                Some(Hidden(value))
            }
        };
        let client_keys = f
            .auth
            .client_key_hashes
            .iter()
            .map(|h| crate::proxy::auth::parse_hash(h))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if upstream_key.is_some() && client_keys.is_empty() {
            bail!("gateway mode (upstream.key_env set) needs at least one auth.client_key_hashes entry");
        }
        let style = match f.redaction.style.unwrap_or(StyleName::Label) {
            StyleName::Label => Style::Label,
            StyleName::Mask => Style::Mask,
            StyleName::Hash => Style::Hash,
        };
        let max_holdback = f.limits.max_holdback_bytes.unwrap_or(16 * 1024);
        if max_holdback == 0 {
            bail!("limits.max_holdback_bytes must be positive");
        }
        let on_overflow = match f.limits.on_overflow.unwrap_or(OverflowName::Block) {
            OverflowName::Block => Overflow::Block,
            OverflowName::Redact => Overflow::Redact,
        };
        let policy = |mode: Mode| -> Option<Policy> {
            let action = match mode {
                Mode::Redact => Action::Redact(style),
                Mode::Block => Action::Block,
                Mode::Report => Action::Report,
                Mode::Off => return None,
            };
            Some(Policy { action, max_holdback, on_overflow })
        };
        let positive = |v: Option<usize>, default: usize, what: &str| -> anyhow::Result<usize> {
            match v.unwrap_or(default) {
                0 => bail!("{what} must be positive"),
                n => Ok(n),
            }
        };
        let leak_action = |mode: LeakMode| match mode {
            LeakMode::Flag => Some(Action::Report),
            LeakMode::Redact => Some(Action::Redact(style)),
            LeakMode::Block => Some(Action::Block),
            LeakMode::Off => None,
        };
        let canary_min_run = f.canaries.min_run.unwrap_or(crate::detect::canary::DEFAULT_MIN_RUN);
        let canaries = load_canaries(&f.canary, env, canary_min_run)?;
        Ok(Settings {
            listen,
            tls: crate::proxy::tls::TlsSettings::from_file(&f.tls, o.tls_cert.clone(), o.tls_key.clone())?,
            transport: crate::proxy::transport::TransportSettings::from_file(
                f.require_tls,
                &f.trusted_proxies,
                f.tls.hsts_max_age_secs,
            )?,
            log_format: f.log_format.unwrap_or_default(),
            scan: o.scan.or(f.scan).unwrap_or(true),
            upstream: upstream.trim_end_matches('/').to_owned(),
            connect_timeout: secs(f.upstream.connect_timeout_secs, 10.0, "upstream.connect_timeout_secs")?,
            read_timeout: secs(f.upstream.read_timeout_secs, 300.0, "upstream.read_timeout_secs")?,
            upstream_key,
            upstream_ca_file: f.upstream.ca_file.filter(|p| !p.as_os_str().is_empty()),
            client_keys,
            request: policy(f.request.action.unwrap_or(Mode::Redact)),
            response: policy(f.response.action.unwrap_or(Mode::Redact)),
            block_mode: f.response.block_mode.unwrap_or_default(),
            disclosure_request: f.disclosure.request.unwrap_or_default(),
            canaries,
            automatic_canaries: f.canaries.automatic.unwrap_or(true),
            canary_min_run,
            system_prompt: leak_action(f.system_prompt.action.unwrap_or_default()),
            disclosure_response: leak_action(f.disclosure.response.unwrap_or(LeakMode::Redact)),
            system_prompt_min_words: positive(
                f.system_prompt.min_words,
                crate::detect::prompt_leak::DEFAULT_MIN_WORDS,
                "system_prompt.min_words",
            )?,
            max_body_bytes: positive(f.limits.max_body_bytes, 8 << 20, "limits.max_body_bytes")?,
            max_concurrent: positive(f.limits.max_concurrent, 4096, "limits.max_concurrent")?,
            max_event_bytes: positive(f.limits.max_event_bytes, 1 << 20, "limits.max_event_bytes")?,
            shutdown_grace: secs(f.limits.shutdown_grace_secs, 30.0, "limits.shutdown_grace_secs")?,
            builtin_rules: f.rules.builtin.unwrap_or(true),
            rule_paths: f.rules.paths,
            canary_files: f.canary.iter().filter_map(|c| c.file.clone()).collect(),
            reload_watch: f.reload.watch.unwrap_or(true),
        })
    }
}

/// Reads every `[[canary]]` entry and compiles them. Errors name the entry, never a value.
fn load_canaries(
    entries: &[CanaryEntry],
    env: &[(String, String)],
    min_run: usize,
) -> anyhow::Result<Option<std::sync::Arc<CanarySet>>> {
    let mut secrets: Vec<String> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        match (&e.literal, &e.env, &e.file) {
            (Some(literal), None, None) => secrets.push(literal.clone()),
            (None, Some(name), None) => match env.iter().find(|(k, _)| k == name) {
                Some((_, v)) if !v.is_empty() => secrets.push(v.clone()),
                _ => bail!("canary {n}: environment variable {name} is not set (or empty)"),
            },
            (None, None, Some(path)) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("canary {n}: reading {}", path.display()))?;
                secrets.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
            }
            _ => bail!("canary {n}: give exactly one of literal, env or file"),
        }
    }
    if secrets.is_empty() && entries.is_empty() {
        // Still checks min_run.
        CanarySet::new::<&str>(&[], min_run).context("canaries")?;
        return Ok(None);
    }
    let set = CanarySet::new(&secrets, min_run).context("canaries")?;
    Ok(Some(std::sync::Arc::new(set)))
}

/// The environment variable for a key: `upstream.url` → `SECRETGATE_UPSTREAM_URL`.
pub fn env_name(key: &str) -> String {
    format!("SECRETGATE_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Sets every key that has a `SECRETGATE_…` variable. A value that parses as a TOML value
/// (`8`, `true`, `["a"]`) is taken as that, anything else as a string.
fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> anyhow::Result<()> {
    for key in KEYS {
        let name = env_name(key);
        let Some((_, raw)) = env.iter().find(|(k, _)| *k == name) else { continue };
        let value = match format!("v = {raw}").parse::<toml::Table>() {
            Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.clone())),
            Err(_) => toml::Value::String(raw.clone()),
        };
        let (section, leaf) = match key.split_once('.') {
            Some((s, l)) => (Some(s), l),
            None => (None, *key),
        };
        let target = match section {
            None => &mut *table,
            Some(s) => {
                let entry = table.entry(s).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => t,
                    _ => bail!("config key {s} must be a table"),
                }
            }
        };
        target.insert(leaf.to_owned(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests;

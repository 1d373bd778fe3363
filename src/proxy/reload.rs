//! Hot reload: the configuration and rules in force are one immutable [`Snapshot`], swapped
//! whole (`arc-swap`). A request takes the snapshot once when it starts and keeps it to its
//! end, so a stream opened before a reload finishes on the rules it started with, and a rule
//! index never meets another rule set.
//!
//! Triggers: SIGHUP, and — with `[reload] watch` (default on) — any change in the directories
//! of the config file, each rules path and each canary file. Directories, not files: editors
//! and Kubernetes config maps write a new file and rename it over the old one, and a watch on
//! the old file's inode would see nothing after the first save. Events are debounced (quiet
//! for [`DEBOUNCE`], at most [`DEBOUNCE_CAP`]), then the files are fingerprinted (SHA-256 of
//! every file the load reads, see [`fingerprint`]) and loaded only if that differs from what
//! was last acted on — unrelated files in a watched directory cost a hash of the config files.
//!
//! A load that fails (unreadable or missing file, bad TOML, invalid setting or regex, a rule
//! whose examples its own rules do not find) keeps the snapshot in force and logs why, in
//! words that never quote a value from the files ([`loggable`]): rule files hold example keys
//! and configs hold canaries. Settings that only take effect at start ([`RESTART_ONLY`]) keep
//! their running value; a reload that changes one says so in a warning.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::bail;
use notify::{RecursiveMode, Watcher};
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;

use super::{
    config::{Overrides, Settings},
    metrics::ReloadLabels,
    Proxy,
};
use crate::{detect::RuleSet, rules};

/// How long the watched directories must be quiet before a reload (editors write a temporary
/// file, rename it, touch the directory: one save is a burst of events).
pub const DEBOUNCE: Duration = Duration::from_millis(200);
/// Longest wait for quiet, so a directory that never stays quiet still reloads.
pub const DEBOUNCE_CAP: Duration = Duration::from_secs(2);

/// Settings that take effect only at start: the listener, the logger, the upstream client
/// (its timeouts and connection pool), the concurrency semaphore and the drain deadline that
/// `run` reads once. A reload keeps their running values and names them in a warning.
pub const RESTART_ONLY: &[&str] = &[
    "listen",
    "log_format",
    "upstream.connect_timeout_secs",
    "upstream.read_timeout_secs",
    "limits.max_concurrent",
    "limits.shutdown_grace_secs",
];

/// The configuration in force: what one request runs on from start to end.
#[derive(Debug)]
pub struct Snapshot {
    pub settings: Settings,
    pub rules: Arc<RuleSet>,
    /// 1 for the configuration the server started with, one more per reload applied.
    pub generation: u64,
}

/// SHA-256 over every file a load reads (see [`fingerprint`]).
pub type Fingerprint = [u8; 32];

/// Where the configuration comes from, kept to read it again: the config file, the
/// environment as it was at start (a process's environment does not change from outside),
/// and the command-line flags, which win on every reload as they did at start.
#[derive(Clone)]
pub struct Source {
    pub config: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub overrides: Overrides,
}

impl std::fmt::Debug for Source {
    // The environment holds keys: only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("config", &self.config)
            .field("env", &format_args!("{} variables", self.env.len()))
            .field("overrides", &self.overrides)
            .finish()
    }
}

/// A configuration read, validated and compiled.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub rules: RuleSet,
    /// What a gitleaks import could not carry over (logged by the caller).
    pub notices: Vec<String>,
    /// The files as they were read (taken before reading them for the load, so a change made
    /// while loading is seen by the next check, at worst loaded twice, never lost).
    pub fingerprint: Fingerprint,
}

impl Source {
    /// Reads the settings and compiles the rules, the same way at start and on every reload.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let mut tries = 0;
        loop {
            // The settings name the files to fingerprint; reading them again after the
            // fingerprint tells whether that list changed meanwhile.
            let first = self.settings()?;
            let fingerprint = fingerprint(self.config.as_deref(), &first);
            let settings = self.settings()?;
            tries += 1;
            if tries < 3 && inputs(&settings) != inputs(&first) {
                continue;
            }
            let (rules, notices) = compile_rules(&settings)?;
            return Ok(Loaded { settings, rules, notices, fingerprint });
        }
    }

    fn settings(&self) -> anyhow::Result<Settings> {
        Settings::load(self.config.as_deref(), &self.env, &self.overrides)
    }
}

/// The files a configuration reads besides the config file itself.
fn inputs(s: &Settings) -> (&[PathBuf], &[PathBuf]) {
    (&s.rule_paths, &s.canary_files)
}

/// The built-in rules (unless turned off) and those of every rules path; the rules from files
/// must find their own examples and none of their negative examples (`rules check`'s errors,
/// over these rules alone: the built-in ones are checked when they are built).
fn compile_rules(settings: &Settings) -> anyhow::Result<(RuleSet, Vec<String>)> {
    let mut all = if settings.builtin_rules { rules::builtin()? } else { Vec::new() };
    let mut own = Vec::new();
    let mut notices = Vec::new();
    for path in &settings.rule_paths {
        // A gitleaks config may lose rules or filters in the import: the caller says which.
        let loaded = rules::load(path)?;
        notices.extend(loaded.report.notices.iter().map(ToString::to_string));
        own.extend(loaded.rules);
    }
    if !own.is_empty() {
        let set = RuleSet::new(own.clone())?;
        let (_, problems) = crate::detect::check::check(&set);
        let mut errors = problems.iter().filter(|p| p.severity == crate::detect::check::Severity::Error);
        if let Some(first) = errors.next() {
            let more = errors.count();
            // `Problem` messages never quote example text.
            bail!(
                "{first}{}",
                if more > 0 {
                    format!(" (and {more} more; `secretgate rules check` lists them)")
                } else {
                    String::new()
                }
            );
        }
    }
    all.extend(own);
    if all.is_empty() {
        bail!("no rules loaded (rules.builtin = false and no rules.paths)");
    }
    let set = RuleSet::new(all)?;
    set.prepare_streaming();
    Ok((set, notices))
}

/// SHA-256 over the config file and every file the settings make a load read (rule files,
/// directories walked as [`rules::load`] walks them, canary files), each with its path; a
/// missing or unreadable file counts as such, so its return is a change too.
pub fn fingerprint(config: Option<&Path>, s: &Settings) -> Fingerprint {
    let mut h = Sha256::new();
    let file = |h: &mut Sha256, path: &Path| {
        h.update(path.as_os_str().as_encoded_bytes());
        match std::fs::read(path) {
            Ok(bytes) => {
                h.update(b"\0file\0");
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(e) => h.update(format!("\0unreadable\0{:?}", e.kind())),
        }
    };
    if let Some(path) = config {
        file(&mut h, path);
    }
    for path in &s.rule_paths {
        h.update(b"\0rules\0");
        match rules::files(path) {
            Ok(files) => files.iter().for_each(|f| file(&mut h, f)),
            Err(_) => h.update(path.as_os_str().as_encoded_bytes()),
        }
    }
    for path in &s.canary_files {
        h.update(b"\0canaries\0");
        file(&mut h, path);
    }
    h.finalize().into()
}

/// The first 16 hex digits, for logs.
fn short(f: &Fingerprint) -> String {
    f[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps, in `new`, the running value of every setting that changes only on a restart;
/// returns the names of those that differed.
fn keep_restart_only(old: &Settings, new: &mut Settings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! keep {
        ($field:ident, $name:literal) => {
            if new.$field != old.$field {
                changed.push($name);
                new.$field = old.$field.clone();
            }
        };
    }
    keep!(listen, "listen");
    keep!(log_format, "log_format");
    keep!(connect_timeout, "upstream.connect_timeout_secs");
    keep!(read_timeout, "upstream.read_timeout_secs");
    keep!(max_concurrent, "limits.max_concurrent");
    keep!(shutdown_grace, "limits.shutdown_grace_secs");
    // The listener and the upstream client are built once: their settings too. (The
    // certificate and key *files* are read again on their own; see `tls`.)
    keep!(tls, "tls.cert / tls.key / tls.reload_secs");
    keep!(transport, "require_tls / trusted_proxies / tls.hsts_max_age_secs");
    keep!(upstream_ca_file, "upstream.ca_file");
    changed
}

/// An error's chain in words that quote no value from the files: each message's first line
/// only (TOML and regex errors go on with a snippet of the source), and every `"…"` in it
/// (serde and our own messages quote values that way) emptied.
pub fn loggable(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = if let Some(r) = cause.downcast_ref::<rules::RuleError>() {
            match r {
                rules::RuleError::Io { file, error } => format!("{file}: cannot read: {}", io_words(error)),
                rules::RuleError::Parse { file, message } => format!("{file}: invalid rule file: {}", quiet(message)),
                rules::RuleError::Rule { file, rule, message } => format!("{file}: rule `{rule}`: {}", quiet(message)),
            }
        } else if let Some(t) = cause.downcast_ref::<toml::de::Error>() {
            // A syntax error's first line says where: "TOML parse error at line 3, column 10".
            let shown = t.to_string();
            match shown.lines().next().filter(|l| l.starts_with("TOML parse error at")) {
                Some(at) => format!("{}: {}", at.trim_end_matches(':'), quiet(t.message())),
                None => quiet(t.message()),
            }
        } else if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_words(io)
        } else {
            quiet(&cause.to_string())
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::InvalidData => "not UTF-8".into(),
        k => format!("{k:?}"),
    }
}

/// The first line of `message`, each double-quoted run in it replaced by `"…"`.
fn quiet(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim_end_matches(':').trim();
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            out.push('…');
            // To the closing quote, skipping escaped ones; an unclosed quote runs to the end.
            let mut escaped = false;
            for c in chars.by_ref() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        out.push('"');
                        break;
                    }
                    _ => escaped = false,
                }
            }
        }
    }
    out
}

/// What started a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    Signal,
    Files,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Signal => "sighup",
            Trigger::Files => "file change",
        }
    }
}

/// Starts reloading `proxy`'s configuration from `source` on SIGHUP and on file changes;
/// `loaded` is the fingerprint of the configuration it runs. Returns once the directories are
/// watched, so a change made after it returns is seen. Call it inside a Tokio runtime.
pub fn spawn(proxy: Arc<Proxy>, source: Source, loaded: Fingerprint) {
    let wake = Arc::new(Notify::new());
    let mut reloader = Reloader {
        proxy,
        source,
        applied: loaded,
        seen: loaded,
        watcher: None,
        watched: BTreeMap::new(),
        relevant: Arc::default(),
        wake,
    };
    let hangup = Hangup::new();
    reloader.sync_watches();
    tokio::spawn(reloader.run(hangup));
}

/// The one task that swaps snapshots (so a swap never races another).
struct Reloader {
    proxy: Arc<Proxy>,
    source: Source,
    /// The fingerprint of the snapshot in force.
    applied: Fingerprint,
    /// The fingerprint last acted on: applied, or failed to load (not tried again until the
    /// files change, or SIGHUP).
    seen: Fingerprint,
    watcher: Option<notify::RecommendedWatcher>,
    watched: BTreeMap<PathBuf, RecursiveMode>,
    /// Notified by the watcher's thread on every event in a watched directory.
    wake: Arc<Notify>,
    /// What in the watched directories a load reads (the watcher's thread reads it).
    relevant: Arc<arc_swap::ArcSwap<Relevant>>,
}

/// What a check found, from the blocking pool.
enum Outcome {
    Unchanged,
    Loaded(Fingerprint, anyhow::Result<Box<Loaded>>),
}

impl Reloader {
    async fn run(mut self, mut hangup: Hangup) {
        loop {
            let trigger = tokio::select! {
                () = hangup.recv() => Trigger::Signal,
                () = self.wake.notified() => {
                    self.debounce().await;
                    Trigger::Files
                }
            };
            self.check(trigger).await;
        }
    }

    /// Waits until no event came for [`DEBOUNCE`], or [`DEBOUNCE_CAP`] passed.
    async fn debounce(&self) {
        let cap = tokio::time::Instant::now() + DEBOUNCE_CAP;
        loop {
            let quiet = (tokio::time::Instant::now() + DEBOUNCE).min(cap);
            if tokio::time::timeout_at(quiet, self.wake.notified()).await.is_err() {
                return;
            }
            if tokio::time::Instant::now() >= cap {
                return;
            }
        }
    }

    async fn check(&mut self, trigger: Trigger) {
        let current = self.proxy.snapshot();
        let settings = current.settings.clone();
        let source = self.source.clone();
        // A file change acts on content not yet acted on; SIGHUP on content not in force (so
        // it retries a load that failed).
        let skip_if = if trigger == Trigger::Files { self.seen } else { self.applied };
        let outcome = tokio::task::spawn_blocking(move || {
            let now = fingerprint(source.config.as_deref(), &settings);
            if now == skip_if {
                Outcome::Unchanged
            } else {
                Outcome::Loaded(now, source.load().map(Box::new))
            }
        })
        .await;
        let metrics = &self.proxy.metrics;
        match outcome {
            Ok(Outcome::Unchanged) if trigger == Trigger::Signal => {
                tracing::info!(trigger = trigger.as_str(), "configuration files unchanged; nothing to reload");
            }
            Ok(Outcome::Unchanged) => {
                tracing::debug!(trigger = trigger.as_str(), "configuration files unchanged");
            }
            Ok(Outcome::Loaded(now, Err(e))) => {
                self.seen = now;
                metrics.reloads.get_or_create(&ReloadLabels { result: "failed" }).inc();
                tracing::warn!(
                    trigger = trigger.as_str(),
                    generation = current.generation,
                    error = %loggable(&e),
                    "reload failed; the running configuration stays in force"
                );
            }
            Ok(Outcome::Loaded(_, Ok(loaded))) if loaded.fingerprint == self.applied => {
                // Back to the files in force (a broken save undone).
                self.seen = loaded.fingerprint;
                tracing::info!(trigger = trigger.as_str(), "configuration files are those in force; nothing to reload");
            }
            Ok(Outcome::Loaded(_, Ok(loaded))) => self.apply(&current, loaded, trigger),
            Err(_) => {
                // A panic while loading: the snapshot in force stays (nothing of it was touched).
                metrics.reloads.get_or_create(&ReloadLabels { result: "failed" }).inc();
                tracing::error!(
                    trigger = trigger.as_str(),
                    "reload failed unexpectedly; the running configuration stays in force"
                );
            }
        }
    }

    fn apply(&mut self, current: &Snapshot, loaded: Box<Loaded>, trigger: Trigger) {
        let Loaded { mut settings, rules, notices, fingerprint } = *loaded;
        for setting in keep_restart_only(&current.settings, &mut settings) {
            tracing::warn!(setting, "this setting changes only on a restart; the running value is kept");
        }
        for notice in &notices {
            tracing::warn!(notice = %notice, "rule import");
        }
        let generation = current.generation + 1;
        let count = rules.len();
        self.proxy.install(Snapshot { settings, rules: Arc::new(rules), generation });
        self.applied = fingerprint;
        self.seen = fingerprint;
        let metrics = &self.proxy.metrics;
        metrics.reloads.get_or_create(&ReloadLabels { result: "ok" }).inc();
        metrics.config_generation.set(i64::try_from(generation).unwrap_or(i64::MAX));
        tracing::info!(
            trigger = trigger.as_str(),
            generation,
            rules = count,
            fingerprint = %short(&fingerprint),
            "configuration reloaded"
        );
        self.sync_watches();
    }

    /// Watches the directories the snapshot in force reads from (none without `watch`).
    fn sync_watches(&mut self) {
        let snapshot = self.proxy.snapshot();
        let (want, relevant) = if snapshot.settings.reload_watch {
            watch_plan(self.source.config.as_deref(), &snapshot.settings)
        } else {
            (BTreeMap::new(), Relevant::default())
        };
        self.relevant.store(Arc::new(relevant));
        if want == self.watched {
            return;
        }
        if want.is_empty() {
            self.watcher = None;
            self.watched.clear();
            return;
        }
        let watcher = match &mut self.watcher {
            Some(w) => w,
            None => {
                let (wake, relevant) = (self.wake.clone(), self.relevant.clone());
                let made = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                    // Reads (ours among them) change nothing; nor do other files in the
                    // directories (a log file beside the config would wake us per line).
                    Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => {}
                    Ok(e) if !e.paths.is_empty() && !e.paths.iter().any(|p| relevant.load().matches(p)) => {}
                    // Anything else, errors too (a lost event queue): look at the files.
                    _ => wake.notify_one(),
                });
                match made {
                    Ok(w) => self.watcher.insert(w),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot watch the configuration files; reload with SIGHUP");
                        return;
                    }
                }
            }
        };
        for (dir, mode) in &self.watched {
            if want.get(dir) != Some(mode) {
                let _ = watcher.unwatch(dir);
            }
        }
        let mut watched = BTreeMap::new();
        for (dir, mode) in want {
            if self.watched.get(&dir) == Some(&mode) {
                watched.insert(dir, mode);
                continue;
            }
            match watcher.watch(&dir, mode) {
                Ok(()) => {
                    watched.insert(dir, mode);
                }
                Err(e) => tracing::warn!(
                    dir = %dir.display(),
                    error = %e,
                    "cannot watch this directory; changes in it need SIGHUP"
                ),
            }
        }
        tracing::debug!(dirs = watched.len(), "watching the configuration files' directories");
        self.watched = watched;
    }
}

/// What in the watched directories a load reads: the config, rule and canary files, and
/// everything below a rules directory.
#[derive(Debug, Default, PartialEq, Eq)]
struct Relevant {
    files: Vec<PathBuf>,
    trees: Vec<PathBuf>,
}

impl Relevant {
    /// Whether an event about `path` (as the watcher reports it: below a watched directory)
    /// may be a change to what a load reads.
    fn matches(&self, path: &Path) -> bool {
        self.files.iter().any(|f| f == path)
            || self.trees.iter().any(|t| path.starts_with(t))
            // Kubernetes updates a mounted config map by pointing its `..data` symlink at a
            // new `..<timestamp>` directory: the files' own names see no event.
            || path.file_name().is_some_and(|n| n.as_encoded_bytes().starts_with(b".."))
    }
}

/// The directories to watch — the config file's, each rule file's, each rules directory (all
/// of it, as it is loaded) and its parent (the directory itself may be replaced), each canary
/// file's — and what in them is [`Relevant`]. Paths are canonical, as the watcher reports them.
fn watch_plan(config: Option<&Path>, s: &Settings) -> (BTreeMap<PathBuf, RecursiveMode>, Relevant) {
    let mut dirs = BTreeMap::new();
    let mut relevant = Relevant::default();
    let dir = |p: &Path| -> PathBuf {
        let d = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::canonicalize(&d).unwrap_or(d)
    };
    let files = config.into_iter().chain(s.rule_paths.iter().chain(&s.canary_files).map(PathBuf::as_path));
    for file in files {
        let parent = dir(file);
        if let Some(name) = file.file_name() {
            relevant.files.push(parent.join(name));
        }
        dirs.entry(parent).or_insert(RecursiveMode::NonRecursive);
    }
    for path in s.rule_paths.iter().filter(|p| p.is_dir()) {
        let whole = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        relevant.trees.push(whole.clone());
        dirs.insert(whole, RecursiveMode::Recursive);
    }
    (dirs, relevant)
}

/// SIGHUP, where there are signals.
struct Hangup {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Hangup {
    fn new() -> Hangup {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signal = signal(SignalKind::hangup())
                .map_err(|e| tracing::warn!(error = %e, "cannot catch SIGHUP; reloads follow file changes only"))
                .ok();
            Hangup { signal }
        }
        #[cfg(not(unix))]
        Hangup {}
    }

    /// The next SIGHUP (never, without one).
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = &mut self.signal {
            if s.recv().await.is_some() {
                return;
            }
            self.signal = None;
        }
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests;

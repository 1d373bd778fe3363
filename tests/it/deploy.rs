//! The deployment files in `docs/deploy/`, which cannot be built or applied here: the
//! Kubernetes manifests parsed and held to each other, to the Dockerfile, and to the real
//! config and rule loaders (a key the proxy does not know, a rule without its examples, a
//! probe on the wrong port or path, a grace period shorter than the drain fail here).

use std::collections::BTreeMap;

use secretgate::{
    detect::{check, RuleSet},
    proxy::config::{Overrides, Settings},
    rules,
};
use serde::Deserialize;
use serde_json::Value;

use crate::e2e::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every document of the multi-document YAML file, as JSON values.
fn documents(path: &str) -> Vec<Value> {
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

fn u64_at(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or_else(|| panic!("no number at {pointer} in {v}"))
}

/// The manifests, one of each kind.
struct Manifests {
    config_map: Value,
    deployment: Value,
    service: Value,
}

impl Manifests {
    fn load() -> Manifests {
        let docs = documents("docs/deploy/kubernetes.yaml");
        for d in &docs {
            for field in ["/apiVersion", "/kind", "/metadata/name"] {
                assert!(!str_at(d, field).is_empty(), "{field} is empty in {d}");
            }
        }
        let one = |kind: &str, api: &str| {
            let mut of_kind = docs.iter().filter(|d| d["kind"] == kind);
            let d = of_kind.next().unwrap_or_else(|| panic!("no {kind}")).clone();
            assert!(of_kind.next().is_none(), "more than one {kind}");
            assert_eq!(d["apiVersion"], api, "{kind}'s apiVersion");
            d
        };
        let m = Manifests {
            config_map: one("ConfigMap", "v1"),
            deployment: one("Deployment", "apps/v1"),
            service: one("Service", "v1"),
        };
        assert_eq!(docs.len(), 3, "only a ConfigMap, a Deployment and a Service");
        m
    }

    fn pod(&self) -> &Value {
        &self.deployment["spec"]["template"]
    }

    /// The one container.
    fn container(&self) -> &Value {
        let containers = self.pod()["spec"]["containers"].as_array().expect("containers");
        assert_eq!(containers.len(), 1, "one container");
        &containers[0]
    }

    /// The container port named `https`.
    fn port(&self) -> u64 {
        let ports = self.container()["ports"].as_array().expect("ports");
        let http = ports.iter().find(|p| p["name"] == "https").expect("a port named https");
        u64_at(http, "/containerPort")
    }

    /// The ConfigMap's file for `path` in the container, through the volume mounted above it.
    fn config_file(&self, path: &str) -> &str {
        let mounts = self.container()["volumeMounts"].as_array().expect("volumeMounts");
        let volumes = self.pod()["spec"]["volumes"].as_array().expect("volumes");
        for m in mounts {
            let Some(rel) = path.strip_prefix(&format!("{}/", str_at(m, "/mountPath"))) else { continue };
            assert_eq!(m["readOnly"], true, "the config is mounted read-only");
            let volume = volumes.iter().find(|v| v["name"] == m["name"]).expect("the mount's volume");
            assert_eq!(volume["configMap"]["name"], self.config_map["metadata"]["name"], "the volume is the ConfigMap");
            return self.config_map["data"][rel].as_str().unwrap_or_else(|| panic!("the ConfigMap has no {rel}"));
        }
        panic!("{path} is under no volume mount");
    }

    /// The container's environment as the proxy sees it: the image's ENV, then the
    /// container's `env` (a Secret's value stands in as `<from secret NAME>`).
    fn environment(&self, image: &Dockerfile) -> Vec<(String, String)> {
        let mut env: BTreeMap<String, String> = image.env.clone();
        for e in self.container()["env"].as_array().into_iter().flatten() {
            let value = match (&e["value"], &e["valueFrom"]["secretKeyRef"]["name"]) {
                (Value::String(v), _) => v.clone(),
                (_, Value::String(secret)) => format!("<from secret {secret}>"),
                _ => panic!("env {e}: a value or a secretKeyRef"),
            };
            env.insert(str_at(e, "/name").to_owned(), value);
        }
        env.into_iter().collect()
    }
}

/// The final stage of the Dockerfile: what the image runs with.
struct Dockerfile {
    user: String,
    expose: Vec<u64>,
    env: BTreeMap<String, String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    stages: usize,
    build: String,
}

impl Dockerfile {
    fn load() -> Dockerfile {
        let text = read("docs/deploy/Dockerfile");
        // Instructions, continuation lines joined, comments dropped.
        let joined = text.replace("\\\n", " ");
        let instructions: Vec<(String, String)> = joined
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (op, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                (op.to_ascii_uppercase(), rest.trim().to_owned())
            })
            .collect();
        let stages = instructions.iter().filter(|(op, _)| op == "FROM").count();
        let last = instructions.iter().rposition(|(op, _)| op == "FROM").expect("a FROM");
        let json = |s: &str| -> Vec<String> { serde_json::from_str(s).unwrap_or_else(|_| panic!("exec form: {s}")) };
        let mut d = Dockerfile {
            user: String::new(),
            expose: Vec::new(),
            env: BTreeMap::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
            stages,
            build: instructions[..last].iter().map(|(op, rest)| format!("{op} {rest}\n")).collect(),
        };
        for (op, rest) in &instructions[last..] {
            match op.as_str() {
                "USER" => d.user = rest.clone(),
                "EXPOSE" => d.expose.extend(
                    rest.split_whitespace()
                        .map(|p| p.trim_end_matches("/tcp").parse::<u64>().unwrap_or_else(|_| panic!("EXPOSE {p}"))),
                ),
                "ENV" => {
                    for pair in rest.split_whitespace() {
                        let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("ENV KEY=VALUE: {pair}"));
                        d.env.insert(k.to_owned(), v.trim_matches('"').to_owned());
                    }
                }
                "ENTRYPOINT" => d.entrypoint = json(rest),
                "CMD" => d.cmd = json(rest),
                _ => {}
            }
        }
        d
    }

    /// The numeric user id the image runs as, if it names one.
    fn uid(&self) -> Option<u64> {
        self.user.split(':').next().and_then(|u| u.parse().ok())
    }
}

#[test]
fn dockerfile_builds_in_one_stage_and_runs_unprivileged_in_another() {
    let d = Dockerfile::load();
    assert!(d.stages >= 2, "multi-stage");
    assert!(d.build.contains("cargo build --release --locked"), "the builder builds the locked release");
    // The builder copies only what the build reads: the manifest, the lock, build.rs, the
    // sources, the rules it embeds, and every target the manifest names (cargo refuses a
    // manifest whose bench or test file is missing, even when it builds neither).
    let copied: Vec<&str> = d
        .build
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1].to_vec()
        })
        .collect();
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml");
    let mut needed = vec![
        "Cargo.toml".to_owned(),
        "Cargo.lock".to_owned(),
        "build.rs".to_owned(),
        "src".to_owned(),
        "patterns".to_owned(),
    ];
    for (kind, dir) in [("bench", "benches"), ("test", "tests"), ("example", "examples")] {
        for target in manifest.get(kind).and_then(|t| t.as_array()).into_iter().flatten() {
            let path = target.get("path").and_then(|p| p.as_str()).unwrap_or(dir);
            needed.push(path.split('/').next().unwrap_or(dir).to_owned());
        }
    }
    for n in &needed {
        assert!(copied.contains(&n.as_str()), "the build stage copies {n} (it copies {copied:?})");
    }
    let user = d.user.split(':').next().unwrap_or_default();
    assert!(!user.is_empty() && user != "root" && user != "0", "the final stage runs as a non-root USER: {:?}", d.user);
    assert!(d.uid().is_some(), "a numeric USER, so Kubernetes' runAsNonRoot can check it: {:?}", d.user);
    assert_eq!(d.entrypoint, ["secretgate"]);
    assert_eq!(d.cmd.first().map(String::as_str), Some("serve"));
    // What `docker run IMAGE` alone starts: the image's own environment, no file.
    let env: Vec<(String, String)> = d.env.clone().into_iter().collect();
    let settings = Settings::load(None, &env, &Overrides::default())
        .unwrap_or_else(|e| panic!("the image's default settings: {e:#}"));
    assert!(settings.listen.ip().is_unspecified(), "listens on every interface in the container");
    assert_eq!(d.expose, [u64::from(settings.listen.port())], "EXPOSE is the port it listens on");
}

#[test]
fn manifests_agree_with_each_other_the_image_and_the_loaders() {
    let m = Manifests::load();
    let image = Dockerfile::load();
    let port = m.port();
    let c = m.container();

    // Replicas, and the Service and the Deployment find the pods.
    assert!(u64_at(&m.deployment, "/spec/replicas") >= 2, "at least two replicas");
    let pod_labels = m.pod()["metadata"]["labels"].as_object().expect("pod labels");
    for selector in [&m.deployment["spec"]["selector"]["matchLabels"], &m.service["spec"]["selector"]] {
        let selector = selector.as_object().expect("a selector");
        assert!(!selector.is_empty());
        for (k, v) in selector {
            assert_eq!(pod_labels.get(k), Some(v), "selector {k}={v} matches the pod's labels");
        }
    }
    let service_ports = m.service["spec"]["ports"].as_array().expect("service ports");
    for p in service_ports {
        assert!(
            p["targetPort"] == "https" || p["targetPort"] == port,
            "targetPort {} is the container's",
            p["targetPort"]
        );
    }

    // Probes: readiness on /readyz, liveness on /healthz, on the container's port.
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        let get = &c[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}'s path");
        assert!(get["port"] == "https" || get["port"] == port, "{probe} on the container's port");
        assert_eq!(get["scheme"], "HTTPS", "{probe} over HTTPS, as the listener serves");
    }

    // The image: the port it exposes, the user it runs as, the command.
    assert_eq!(image.expose, [port], "the Dockerfile's EXPOSE is the containerPort");
    let args: Vec<&str> = c["args"].as_array().expect("args").iter().map(|a| a.as_str().expect("arg")).collect();
    assert_eq!(args[..2], ["serve", "--config"], "args run `serve --config FILE` (ENTRYPOINT is secretgate)");
    assert!(c["command"].is_null(), "the image's ENTRYPOINT is kept");
    let pod_security = &m.pod()["spec"]["securityContext"];
    assert_eq!(pod_security["runAsNonRoot"], true);
    if let Some(uid) = pod_security["runAsUser"].as_u64() {
        assert_eq!(Some(uid), image.uid(), "runAsUser is the image's USER");
    }
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    for kind in ["requests", "limits"] {
        assert!(c["resources"][kind]["memory"].is_string(), "resources.{kind}.memory");
    }

    // The config from the ConfigMap, through the real loader, with the container's
    // environment (a key the proxy does not know, or a missing variable, fails here).
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("secretgate.toml");
    std::fs::write(&config, m.config_file(args[2])).expect("write config");
    let env = m.environment(&image);
    let settings = Settings::load(Some(&config), &env, &Overrides::default())
        .unwrap_or_else(|e| panic!("the ConfigMap's config: {e:#}"));
    assert!(settings.listen.ip().is_unspecified(), "listens on every interface in the pod");
    assert_eq!(u64::from(settings.listen.port()), port, "listens on the containerPort");
    // Other pods reach it: plain HTTP from them is refused under require_tls, so the pod
    // serves HTTPS, with the pair from a mounted Secret.
    let tls = settings.tls.as_ref().expect("the pod serves HTTPS ([tls] cert and key)");
    assert!(settings.transport.require_tls);
    let mounts = c["volumeMounts"].as_array().expect("volumeMounts");
    let volumes = m.pod()["spec"]["volumes"].as_array().expect("volumes");
    for file in [&tls.cert, &tls.key] {
        let mount = mounts
            .iter()
            .filter(|v| file.starts_with(v["mountPath"].as_str().unwrap_or("-")))
            .max_by_key(|v| v["mountPath"].as_str().map_or(0, str::len))
            .unwrap_or_else(|| panic!("{} is on no mounted volume", file.display()));
        let volume = volumes.iter().find(|v| v["name"] == mount["name"]).expect("the mount's volume");
        assert!(volume["secret"]["secretName"].is_string(), "{} comes from a Secret", file.display());
    }
    let table: toml::Table = m.config_file(args[2]).parse().expect("toml");
    if let Some(var) = table.get("upstream").and_then(|u| u.get("key_env")).and_then(|v| v.as_str()) {
        let from_secret = c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["name"] == var && e["valueFrom"]["secretKeyRef"].is_object());
        assert!(from_secret, "the upstream key ({var}) comes from a Secret");
        assert!(settings.upstream_key.is_some(), "gateway mode");
    }

    // Termination: the pod may take the preStop delay and then the whole drain deadline.
    let pre_stop: Vec<&str> = c["lifecycle"]["preStop"]["exec"]["command"]
        .as_array()
        .expect("a preStop exec command")
        .iter()
        .map(|a| a.as_str().expect("arg"))
        .collect();
    assert_eq!(pre_stop[0], "sleep", "preStop sleeps (the image has /bin/sleep)");
    let delay: f64 = pre_stop[1].parse().expect("sleep seconds");
    let grace = u64_at(m.pod(), "/spec/terminationGracePeriodSeconds") as f64;
    let drain = settings.shutdown_grace.as_secs_f64();
    assert!(
        grace > delay + drain,
        "terminationGracePeriodSeconds {grace} must exceed the preStop delay {delay} + shutdown_grace_secs {drain}"
    );

    // The ConfigMap's rules, through the real rule loader, beside the built-in rules:
    // they compile, and `rules check` finds every example and no negative.
    assert!(!settings.rule_paths.is_empty(), "the ConfigMap carries rules");
    let mut all = rules::builtin().expect("built-in rules");
    let builtin = all.len();
    for path in &settings.rule_paths {
        let path = path.to_str().expect("utf-8 path");
        let loaded = rules::parse_any(path, m.config_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(loaded.report.notices.is_empty(), "{path}: {:?}", loaded.report.notices);
        all.extend(loaded.rules);
    }
    assert!(all.len() > builtin, "the rule files hold rules");
    let set = RuleSet::new(all).expect("the rules compile together");
    let (_, problems) = check::check(&set);
    assert!(problems.is_empty(), "rules check: {problems:#?}");
}

//! SARIF 2.1.0 output: one run, one result per finding, rules listed in `tool.driver.rules`.
//! Columns count Unicode code points (declared with `columnKind`).

use serde_json::{json, Value};

use crate::detect::{Finding, RuleSet};

pub(crate) struct Report<'a> {
    set: &'a RuleSet,
    results: Vec<Value>,
}

impl<'a> Report<'a> {
    pub fn new(set: &'a RuleSet) -> Self {
        Report { set, results: Vec::new() }
    }

    /// A finding of a detector other than the secret rules (a disclosure request, a canary
    /// leak): its rule is not in `tool.driver.rules`, so no `ruleIndex`.
    pub fn add_request(&mut self, path: &str, rule_id: &str, title: &str, start: (usize, usize), end: (usize, usize)) {
        self.add_other(path, rule_id, &format!("{title} (disclosure request)"), start, end);
    }

    pub fn add_other(&mut self, path: &str, rule_id: &str, message: &str, start: (usize, usize), end: (usize, usize)) {
        let uri = if path == "<stdin>" { "stdin".to_string() } else { path.replace('\\', "/") };
        self.results.push(json!({
            "ruleId": rule_id,
            "kind": "fail",
            "level": "warning",
            "message": { "text": message },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": start.0, "startColumn": start.1, "endLine": end.0, "endColumn": end.1 }
                }
            }],
        }));
    }

    pub fn add(&mut self, path: &str, f: &Finding, start: (usize, usize), end: (usize, usize)) {
        let rule = self.set.rule(f.rule);
        let level = match f.confidence {
            crate::rules::Confidence::High => "error",
            crate::rules::Confidence::Medium => "warning",
            crate::rules::Confidence::Low => "note",
        };
        let uri = if path == "<stdin>" { "stdin".to_string() } else { path.replace('\\', "/") };
        self.results.push(json!({
            "ruleId": rule.id,
            "ruleIndex": f.rule,
            "kind": "fail",
            "level": level,
            "message": { "text": format!("{} ({} confidence); fingerprint {}", rule.title, f.confidence.as_str(), f.fingerprint) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": {
                        "startLine": start.0,
                        "startColumn": start.1,
                        "endLine": end.0,
                        "endColumn": end.1,
                        "byteOffset": f.secret.start,
                        "byteLength": f.secret.len(),
                    }
                }
            }],
            "partialFingerprints": { "secretgate/fingerprint/v1": f.fingerprint.to_string() },
        }));
    }

    pub fn finish(self) -> Value {
        let rules: Vec<Value> = self
            .set
            .rules()
            .iter()
            .map(|r| {
                let mut v = json!({
                    "id": r.id,
                    "name": r.id,
                    "shortDescription": { "text": r.title },
                    "properties": { "confidence": r.confidence.as_str(), "tags": r.tags },
                });
                if let Some(uri) = r.references.first() {
                    v["helpUri"] = json!(uri);
                }
                v
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "secretgate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/secretgate/secretgate",
                    "rules": rules,
                }},
                "columnKind": "unicodeCodePoints",
                "results": self.results,
            }]
        })
    }
}

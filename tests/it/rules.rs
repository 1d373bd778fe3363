//! The built-in rule set as shipped: size, coverage of the providers users expect, and the
//! keyword contract on realistic documents.

use secretgate::{corpus, RuleSet};

fn builtin() -> RuleSet {
    RuleSet::builtin().expect("built-in rules compile")
}

#[test]
fn at_least_150_rules_each_with_examples() {
    let set = builtin();
    assert!(set.len() >= 150, "only {} built-in rules", set.len());
    for r in set.rules() {
        assert!(!r.examples.is_empty() && !r.negative_examples.is_empty(), "{}", r.id);
        assert!(r.max_len.is_some(), "{} is unbounded", r.id);
    }
}

/// Every provider named in the coverage list has at least one rule, found by id or tag.
#[test]
fn covers_the_expected_providers() {
    let set = builtin();
    let names: Vec<String> = set
        .rules()
        .iter()
        .flat_map(|r| std::iter::once(r.id.clone()).chain(r.tags.iter().cloned()))
        .map(|s| s.replace(['-', '_', '.'], ""))
        .collect();
    let providers = [
        "openai",
        "anthropic",
        "gemini|google",
        "groq",
        "huggingface",
        "replicate",
        "perplexity",
        "xai",
        "openrouter",
        "cohere",
        "mistral",
        "deepseek",
        "together",
        "fireworks",
        "elevenlabs",
        "langsmith|langchain",
        "aws",
        "gcp",
        "azure",
        "digitalocean",
        "alibaba",
        "ibm",
        "github",
        "gitlab",
        "bitbucket",
        "circleci",
        "stripe",
        "square",
        "paypal|braintree",
        "shopify",
        "slack",
        "twilio",
        "sendgrid",
        "mailgun",
        "mailchimp",
        "discord",
        "telegram",
        "teams",
        "npm",
        "pypi",
        "rubygems",
        "crates",
        "nuget",
        "docker",
        "artifactory",
        "vault",
        "terraform",
        "doppler",
        "pulumi",
        "heroku",
        "netlify",
        "vercel",
        "fly",
        "cloudflare",
        "datadog",
        "newrelic",
        "sentry",
        "grafana",
        "pagerduty",
        "atlassian",
        "linear",
        "notion",
        "postman",
        "figma",
        "okta",
        "databricks",
        "snowflake",
        "supabase",
        "planetscale",
        "mongodb",
        "firebase",
        "algolia",
        "mapbox",
        "airtable",
        "dropbox",
        "hubspot",
        "privatekey|pem",
        "age",
        "jwt",
        "url|connectionstring",
        "bearer|authorization",
        "password",
    ];
    let missing: Vec<&str> =
        providers.iter().copied().filter(|p| !p.split('|').any(|alt| names.iter().any(|n| n.contains(alt)))).collect();
    assert!(missing.is_empty(), "no rule for: {missing:?}");
}

/// Keyword windows give exactly what running every regex over the whole text gives.
#[test]
fn keyword_search_equals_exhaustive_search_on_corpus() {
    let set = builtin();
    let c = corpus::generate(11, 150, 75);
    for doc in c.positives.iter().chain(&c.negatives) {
        let hay = doc.text.as_bytes();
        assert_eq!(set.scan(hay), set.scan_exhaustive(hay), "document:\n{}", doc.text);
    }
}

//! Single values written inline: assigned in code, or standalone in prose, tables, logs,
//! curl commands and API responses.

use super::rng::{case, Case, Rng};
use super::styles::{close, fence, put, put_q, Item};
use super::{negatives, text, Builder};

/// A single value assigned in code.
pub(crate) fn code_style(r: &mut Rng, b: &mut Builder, it: &Item) {
    let env = case(&it.name, Case::Env);
    let snake = case(&it.name, Case::Snake);
    let camel = case(&it.name, Case::Camel);
    let pascal = case(&it.name, Case::Pascal);
    let (lang, before, after) = match r.below(16) {
        0 => ("python", format!("{snake} = \""), "\"".to_string()),
        1 => ("python", format!("os.environ[\"{env}\"] = \""), "\"".to_string()),
        2 => ("python", format!("settings = {{\n    \"{snake}\": \""), "\",\n    \"timeout\": 30,\n}".to_string()),
        3 => ("javascript", format!("const {camel} = \""), "\";".to_string()),
        4 => ("typescript", format!("process.env.{env} = '"), "';".to_string()),
        5 => ("go", format!("{camel} := \""), "\"".to_string()),
        6 => ("go", format!("os.Setenv(\"{env}\", \""), "\")".to_string()),
        7 => ("rust", format!("let {snake} = \""), "\";".to_string()),
        8 => ("rust", format!("std::env::set_var(\"{env}\", \""), "\");".to_string()),
        9 => ("java", format!("private static final String {env} = \""), "\";".to_string()),
        10 => ("csharp", format!("private const string {pascal} = \""), "\";".to_string()),
        11 => ("ruby", format!("ENV[\"{env}\"] = \""), "\"".to_string()),
        12 => ("php", format!("'{snake}' => '"), "',".to_string()),
        13 => ("kotlin", format!("val {camel} = \""), "\"".to_string()),
        14 => ("bash", format!("{env}=\""), "\" ./run.sh".to_string()),
        _ => {
            let lead = r.pick(&["Set", "Then set", "Add", "Make sure you have"]);
            b.push(&format!("{lead} `{env}="));
            put(b, it);
            b.line(&format!(
                "` {}",
                r.pick(&["in your environment.", "before starting the app.", "and restart the server.", "in `.env`."])
            ));
            return;
        }
    };
    if r.chance(70) {
        b.line(r.pick(&["Here's the snippet:", "Like this:", "For example:", "Updated code:"]));
    }
    fence(b, lang);
    if r.chance(40) {
        b.line(negatives::code_preamble(r, lang));
    }
    b.push(&before);
    put(b, it);
    b.line(&after);
    close(b);
}

/// A standalone value with no name around it, or a usage that needs none.
pub(crate) fn standalone_style(r: &mut Rng, b: &mut Builder, kind: &str, it: &Item) {
    let v = it.text();
    let is_url = v.contains("://");
    let has_space = v.contains(' ');
    let label = r.pick(&["API key", "token", "access token", "key", "secret key", "credential"]);
    let pick = if has_space { r.below(2) } else { r.below(10) };
    match pick {
        0 => {
            b.push(&format!(
                "{} `",
                r.pick(&["Your new {} is", "I generated a fresh {}:", "Use this {}:", "The {} you need is"])
                    .replace("{}", label)
            ));
            put(b, it);
            b.line(&format!("`{}", r.pick(&[".", " — store it somewhere safe.", " ✅", "", " (expires in 90 days)."])));
        }
        1 => {
            b.push(&format!("- **{}:** `", r.pick(&["Key", "Token", "Secret", "Credential"])));
            put(b, it);
            b.line("`");
        }
        2 => {
            b.push(r.pick(text::INTL_LEADS));
            put(b, it);
            b.line(r.pick(&["", "。", " 👍", " !", "。请妥善保管。"]));
        }
        3 => {
            b.line("| Environment | Value |\n|---|---|");
            b.push(&format!("| {} | ", r.pick(&["production", "staging", "dev"])));
            put_q(b, it, if r.chance(60) { "`" } else { "" });
            b.line(" |");
        }
        4 => {
            b.line("From the logs:\n```text");
            b.push(&format!(
                "2024-0{}-1{}T0{}:12:55.{}Z INFO {} ",
                r.range(1, 9),
                r.range(0, 9),
                r.range(0, 9),
                r.digits(3),
                r.pick(&["auth: loaded credential", "client: using key", "config: token ="])
            ));
            put(b, it);
            b.line(&format!("\n2024-05-01T09:12:56.002Z WARN http: retrying request_id={}", r.uuid()));
            close(b);
        }
        5 | 6 if is_url => {
            fence(b, "bash");
            let lead = if v.starts_with("http") {
                "curl -X POST -H 'Content-Type: application/json' -d '{\"text\":\"deploy finished\"}' \""
            } else {
                r.pick(&["psql \"", "mongosh \"", "redis-cli -u \"", "dbmate --url \""])
            };
            b.push(lead);
            put(b, it);
            b.line("\"");
            close(b);
        }
        5 => {
            fence(b, "bash");
            b.line(&format!(
                "curl https://api.example.com/v1/{} \\",
                r.pick(&["models", "chat/completions", "user", "projects"])
            ));
            if kind.starts_with("gitlab") {
                b.push("  --header \"PRIVATE-TOKEN: ");
                put(b, it);
                b.line("\"");
            } else if kind.starts_with("stripe") {
                b.push("  -u ");
                put(b, it);
                b.line(":");
            } else if kind.starts_with("anthropic") {
                b.push("  -H \"x-api-key: ");
                put(b, it);
                b.line("\" \\\n  -H \"anthropic-version: 2023-06-01\"");
            } else {
                b.push(&format!(
                    "  -H \"{}",
                    r.pick(&[
                        "Authorization: Bearer ",
                        "Authorization: Bearer ",
                        "X-API-Key: ",
                        "Authorization: token "
                    ])
                ));
                put(b, it);
                b.line("\" \\\n  -H \"Content-Type: application/json\"");
            }
            close(b);
        }
        6 => {
            fence(b, "python");
            b.push(&format!(
                "{} = {}(",
                r.pick(&["client", "api", "sdk"]),
                r.pick(&["Client", "ApiClient", "Session", "connect"])
            ));
            b.push(r.pick(&["api_key=\"", "token=\"", "\""]));
            put(b, it);
            b.line("\")");
            close(b);
        }
        7 if kind.starts_with("git") => {
            fence(b, "bash");
            b.push(&format!("git clone https://{}", r.pick(&["", "oauth2:", "x-access-token:"])));
            put(b, it);
            b.line("@github.com/acme/backend.git");
            close(b);
        }
        7 | 8 => {
            b.line("The API returned:");
            fence(b, "json");
            b.push(&format!("{{\n  \"{}\": \"", r.pick(&["token", "key", "secret", "value"])));
            put(b, it);
            b.line(&format!(
                "\",\n  \"created_at\": \"2025-0{}-0{}T10:00:00Z\",\n  \"scopes\": [\"read\", \"write\"]\n}}",
                r.range(1, 9),
                r.range(1, 9)
            ));
            close(b);
        }
        _ => {
            b.push(&format!("{} ", r.pick(&["Paste", "Copy", "Use"])));
            put(b, it);
            b.line(&format!(
                " {}",
                r.pick(&["into the settings page.", "as the password when prompted.", "in the Authorization field."])
            ));
        }
    }
}

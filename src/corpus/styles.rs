//! The ways a value gets written into an LLM answer: config files (.env, YAML, JSON, TOML,
//! compose, Kubernetes, CI), code in a dozen languages, shell commands, curl, prose.
//!
//! Values that are only recognisable by context (`standalone == false`) are always written as
//! an assignment to a name that identifies them; standalone values may also appear bare.

use super::inline::{code_style, standalone_style};
use super::kinds::{Shape, Spec};
use super::rng::{case, Case, Rng};
use super::{negatives, text, Builder, Document, Val};

pub(crate) enum ItemVal {
    Secret(Val, &'static str),
    Plain(String),
}

/// One `name = value` entry of a config block. `name` is in ENV form; styles re-case it.
pub(crate) struct Item {
    pub name: String,
    pub val: ItemVal,
}

impl Item {
    pub fn plain(name: &str, value: String) -> Item {
        Item { name: name.to_string(), val: ItemVal::Plain(value) }
    }

    pub(crate) fn text(&self) -> &str {
        match &self.val {
            ItemVal::Secret(v, _) => &v.text,
            ItemVal::Plain(s) => s,
        }
    }
}

pub(crate) fn put(b: &mut Builder, it: &Item) {
    match &it.val {
        ItemVal::Secret(v, k) => b.val(v, k),
        ItemVal::Plain(s) => b.push(s),
    }
}

pub(crate) fn put_q(b: &mut Builder, it: &Item, q: &str) {
    b.push(q);
    put(b, it);
    b.push(q);
}

fn env_bare_ok(s: &str) -> bool {
    !s.is_empty() && !s.contains([' ', '#', '"', '\'', '$', '`'])
}

fn shell_bare_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&c))
}

fn yaml_bare_ok(s: &str) -> bool {
    s.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.contains(['"', '\'', '{', '}', '[', ']', ','])
}

/// A double or single quote, or nothing when `bare` allows and the dice say so.
fn quote(r: &mut Rng, bare: bool) -> &'static str {
    match r.below(if bare { 4 } else { 3 }) {
        0 | 1 => "\"",
        2 => "'",
        _ => "",
    }
}

pub(crate) fn fence(b: &mut Builder, lang: &str) {
    if !b.ends_with_newline() {
        b.push("\n");
    }
    b.line(&format!("```{lang}"));
}

pub(crate) fn close(b: &mut Builder) {
    b.line("```");
}

/// One secret (any spec), with whatever text its style puts around it.
pub(crate) fn secret_section(r: &mut Rng, b: &mut Builder, spec: &'static Spec) {
    match &spec.shape {
        Shape::Block(f) => f(r, b),
        Shape::Value { names, standalone, make } => {
            let v = make(r);
            let name = pick_name(r, names, *standalone);
            let it = Item { name, val: ItemVal::Secret(v, spec.name) };
            if *standalone && r.chance(40) {
                standalone_style(r, b, spec.name, &it);
            } else if r.chance(50) {
                let mut items = vec![it];
                add_fillers(r, &mut items);
                config_block(r, b, &mut items, false);
            } else {
                code_style(r, b, &it);
            }
        }
    }
}

fn pick_name(r: &mut Rng, names: &[&str], standalone: bool) -> String {
    if standalone && r.chance(15) {
        return r.pick(&["TOKEN", "API_KEY", "SECRET", "AUTH_TOKEN", "KEY"]).to_string();
    }
    r.pick(names).to_string()
}

fn add_fillers(r: &mut Rng, items: &mut Vec<Item>) {
    for _ in 0..r.below(4) {
        items.push(negatives::plain_item(r));
    }
    if r.chance(20) {
        items.push(negatives::hard_item(r));
    }
    r.shuffle(items);
}

/// A document with the given secrets planted among prose and filler.
pub(crate) fn positive_document(r: &mut Rng, specs: &[&'static Spec]) -> Document {
    let mut b = Builder::default();
    if r.chance(85) {
        b.line(&text::intro(r));
        b.push("\n");
    }
    let values: Vec<&'static Spec> = specs.iter().copied().filter(|s| matches!(s.shape, Shape::Value { .. })).collect();
    let group = values.len() >= 2 && r.chance(50);
    let target = match r.below(10) {
        0..=2 => 0,
        3..=7 => r.range(400, 1800),
        _ => r.range(2000, 7000),
    };
    let mut order: Vec<&'static Spec> = if group {
        specs.iter().copied().filter(|s| matches!(s.shape, Shape::Block(_))).collect()
    } else {
        specs.to_vec()
    };
    r.shuffle(&mut order);
    let group_at = if group { r.below(order.len() + 1) } else { usize::MAX };
    for i in 0..=order.len() {
        if i == group_at {
            filler_maybe(r, &mut b, target, specs.len());
            grouped(r, &mut b, &values);
        }
        if let Some(spec) = order.get(i) {
            filler_maybe(r, &mut b, target, specs.len());
            secret_section(r, &mut b, spec);
            b.push("\n");
        }
    }
    let mut extra = 0;
    while b.text.len() < target && extra < 10 {
        negatives::filler(r, &mut b);
        extra += 1;
    }
    if r.chance(50) {
        b.line(&text::outro(r));
    }
    b.finish()
}

fn filler_maybe(r: &mut Rng, b: &mut Builder, target: usize, sections: usize) {
    if target > 0 && b.text.len() < target * 2 / (sections + 1) + 100 || r.chance(25) {
        negatives::filler(r, b);
    }
}

/// Several value secrets in one config block (with benign entries between them).
fn grouped(r: &mut Rng, b: &mut Builder, specs: &[&'static Spec]) {
    let mut items = Vec::new();
    let mut all_standalone = true;
    for spec in specs {
        if let Shape::Value { names, standalone, make } = &spec.shape {
            all_standalone &= *standalone;
            let v = make(r);
            let mut name = pick_name(r, names, *standalone);
            while items.iter().any(|it: &Item| it.name == name) {
                name = format!("{}_{name}", r.pick(&["STAGING", "BACKUP", "PROD", "LEGACY"]));
            }
            items.push(Item { name, val: ItemVal::Secret(v, spec.name) });
        }
    }
    add_fillers(r, &mut items);
    config_block(r, b, &mut items, all_standalone);
    b.push("\n");
}

pub(crate) fn config_block(r: &mut Rng, b: &mut Builder, items: &mut [Item], allow_table: bool) {
    let n_styles = if allow_table { 17 } else { 16 };
    match r.below(n_styles) {
        0 | 1 => dotenv(r, b, items),
        2 => exports(r, b, items),
        3 => yaml(r, b, items),
        4 => compose(r, b, items),
        5 => k8s_secret(r, b, items),
        6 => actions(r, b, items),
        7 | 8 => json(r, b, items),
        9 => toml(r, b, items),
        10 => ini(r, b, items),
        11 => py_settings(r, b, items),
        12 => js_config(r, b, items),
        13 => dockerfile(r, b, items),
        14 => cli_set(r, b, items),
        15 => powershell_or_tfvars(r, b, items),
        _ => table(r, b, items),
    }
}

fn dotenv(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    let fenced = r.chance(85);
    b.line(r.pick(&[
        "Create a `.env` file:",
        "`.env`:",
        "Your `.env` should contain:",
        "Environment variables:",
        ".env.local 👇",
    ]));
    if fenced {
        fence(b, r.pick(&["bash", "dotenv", "env", "sh", "ini", ""]));
    }
    for it in items {
        if r.chance(10) {
            b.line(&format!("# {}", r.pick(&["required", "from the dashboard", "do not commit", "prod"])));
        }
        let q = quote(r, env_bare_ok(it.text()));
        b.push(&case(&it.name, Case::Env));
        b.push("=");
        put_q(b, it, q);
        b.push("\n");
    }
    if fenced {
        close(b);
    }
}

fn exports(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, r.pick(&["bash", "sh", "zsh", "shell", "console"]));
    let prompt = if r.chance(20) { "$ " } else { "" };
    for it in items {
        let q = if shell_bare_ok(it.text()) { quote(r, true) } else { r.pick(&["\"", "'"]) };
        b.push(&format!("{prompt}export {}=", case(&it.name, Case::Env)));
        put_q(b, it, q);
        b.push("\n");
    }
    if r.chance(50) {
        b.line(r.pick(&["npm run dev", "python app.py", "go run ./cmd/server", "cargo run --release", "./deploy.sh"]));
    }
    close(b);
}

fn yaml_items(r: &mut Rng, b: &mut Builder, items: &[Item], indent: &str, c: Case) {
    for it in items {
        let q = quote(r, yaml_bare_ok(it.text()));
        b.push(&format!("{indent}{}: ", case(&it.name, c)));
        put_q(b, it, q);
        b.push("\n");
    }
}

fn yaml(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    b.line(r.pick(&["`config.yaml`:", "In `values.yaml`:", "Here's the YAML:", "settings.yml"]));
    fence(b, r.pick(&["yaml", "yml"]));
    let c = r.pick_owned(&[Case::Snake, Case::Env, Case::Camel]);
    if r.chance(50) {
        b.line(&format!("{}:", r.pick(&["app", "secrets", "credentials", "env", "config"])));
        yaml_items(r, b, items, "  ", c);
    } else {
        yaml_items(r, b, items, "", c);
    }
    close(b);
}

fn compose(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, "yaml");
    b.line("services:\n  api:");
    b.line(&format!("    image: {}", r.pick(&["node:20-alpine", "python:3.12-slim", "ghcr.io/acme/api:1.4.2"])));
    b.line("    ports:\n      - \"8080:8080\"\n    environment:");
    if r.chance(50) {
        for it in items {
            b.push(&format!("      - {}=", case(&it.name, Case::Env)));
            put(b, it);
            b.push("\n");
        }
    } else {
        yaml_items(r, b, items, "      ", Case::Env);
    }
    close(b);
}

fn k8s_secret(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, "yaml");
    b.line(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\n  namespace: {}\ntype: Opaque\nstringData:",
        r.pick(&["app-secrets", "api-env", "backend-credentials"]),
        r.pick(&["default", "prod", "payments"])
    ));
    yaml_items(r, b, items, "  ", Case::Env);
    close(b);
}

fn actions(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, "yaml");
    b.line("name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:");
    yaml_items(r, b, items, "      ", Case::Env);
    b.line("    steps:\n      - uses: actions/checkout@v4\n      - run: ./scripts/deploy.sh");
    close(b);
}

fn json(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    let mcp = r.chance(30);
    b.line(if mcp {
        "Add this to your MCP client config (`claude_desktop_config.json`):"
    } else {
        r.pick(&["`config.json`:", "The JSON config:", "appsettings.json", "Request body:"])
    });
    fence(b, "json");
    let c = if mcp { Case::Env } else { r.pick_owned(&[Case::Camel, Case::Snake, Case::Env, Case::Pascal]) };
    let indent = if mcp {
        b.line(&format!("{{\n  \"mcpServers\": {{\n    \"{}\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@acme/mcp-server\"],\n      \"env\": {{", r.pick(&["github", "stripe", "tools", "search"])));
        "        "
    } else {
        b.line("{");
        "  "
    };
    for (i, it) in items.iter().enumerate() {
        b.push(&format!("{indent}\"{}\": ", case(&it.name, c)));
        put_q(b, it, "\"");
        b.line(if i + 1 < items.len() { "," } else { "" });
    }
    b.line(if mcp { "      }\n    }\n  }\n}" } else { "}" });
    close(b);
}

fn toml(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, "toml");
    b.line(&format!("[{}]", r.pick(&["credentials", "api", "default", "tool.app", "secrets"])));
    for it in items {
        b.push(&format!("{} = ", case(&it.name, Case::Snake)));
        put_q(b, it, r.pick(&["\"", "\"", "'"]));
        b.push("\n");
    }
    close(b);
}

fn ini(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, r.pick(&["ini", "properties", "cfg", ""]));
    if r.chance(50) {
        b.line(&format!("[{}]", r.pick(&["default", "production", "service"])));
        for it in items {
            b.push(&format!("{} = ", case(&it.name, Case::Snake)));
            put(b, it);
            b.push("\n");
        }
    } else {
        for it in items {
            b.push(&format!("app.{}=", case(&it.name, Case::Kebab).replace('-', ".")));
            put(b, it);
            b.push("\n");
        }
    }
    close(b);
}

fn py_settings(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    b.line(r.pick(&["In `settings.py`:", "`config.py`:", "Python:"]));
    fence(b, "python");
    if r.chance(50) {
        b.line("import os\n");
        for it in items {
            b.push(&format!("os.environ[\"{}\"] = ", case(&it.name, Case::Env)));
            put_q(b, it, "\"");
            b.push("\n");
        }
    } else {
        for it in items {
            b.push(&format!("{} = ", case(&it.name, Case::Env)));
            put_q(b, it, r.pick(&["\"", "'"]));
            b.push("\n");
        }
    }
    close(b);
}

fn js_config(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, r.pick(&["js", "javascript", "ts", "typescript"]));
    b.line(r.pick(&["module.exports = {", "export default {", "const config = {"]));
    for it in items {
        b.push(&format!("  {}: ", case(&it.name, Case::Camel)));
        put_q(b, it, r.pick(&["\"", "'"]));
        b.push(",\n");
    }
    b.line("};");
    close(b);
}

fn dockerfile(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, r.pick(&["dockerfile", "Dockerfile", "docker"]));
    b.line(&format!("FROM {}\nWORKDIR /app", r.pick(&["python:3.12-slim", "node:20-alpine", "golang:1.22 AS build"])));
    for it in items {
        let kw = if r.chance(20) { "ARG" } else { "ENV" };
        let name = case(&it.name, Case::Env);
        if kw == "ENV" && r.chance(30) && !it.text().contains(' ') {
            b.push(&format!("ENV {name} "));
            put(b, it);
        } else {
            b.push(&format!("{kw} {name}="));
            put_q(b, it, if env_bare_ok(it.text()) { quote(r, true) } else { "\"" });
        }
        b.push("\n");
    }
    b.line("COPY . .\nCMD [\"./start.sh\"]");
    close(b);
}

fn cli_set(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    fence(b, "bash");
    let tool = r.below(5);
    for it in items {
        let name = case(&it.name, Case::Env);
        let q = if shell_bare_ok(it.text()) { quote(r, true) } else { "\"" };
        match tool {
            0 => b.push(&format!("fly secrets set {name}=")),
            1 => b.push(&format!("heroku config:set {name}=")),
            2 => b.push(&format!("docker run --rm -e {name}=")),
            3 => b.push(&format!("kubectl create secret generic app-env --from-literal={name}=")),
            _ => b.push(&format!("gh secret set {name} --body ")),
        }
        put_q(b, it, q);
        if tool == 2 {
            b.push(" acme/worker:latest");
        }
        b.push("\n");
    }
    close(b);
}

fn powershell_or_tfvars(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    if r.chance(50) {
        fence(b, r.pick(&["powershell", "ps1"]));
        for it in items {
            b.push(&format!("$env:{} = ", case(&it.name, Case::Env)));
            put_q(b, it, "\"");
            b.push("\n");
        }
    } else {
        b.line("`terraform.tfvars`:");
        fence(b, r.pick(&["hcl", "terraform"]));
        for it in items {
            b.push(&format!("{} = ", case(&it.name, Case::Snake)));
            put_q(b, it, "\"");
            b.push("\n");
        }
    }
    close(b);
}

fn table(r: &mut Rng, b: &mut Builder, items: &[Item]) {
    b.line(r.pick(&["| Variable | Value |", "| Name | Value |", "| 变量 | 值 |"]));
    b.line("|---|---|");
    for it in items {
        b.push(&format!("| `{}` | ", case(&it.name, Case::Env)));
        put_q(b, it, if r.chance(60) { "`" } else { "" });
        b.line(" |");
    }
}

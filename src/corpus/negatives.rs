//! Hard negatives: text that looks like secrets to a naive detector but is not one — digests,
//! integrity hashes, IDs, documentation example keys, placeholders, env-var references,
//! public keys and certificates — and the filler sections documents are padded with.

use super::blocks;
use super::rng::{case, Case, Rng, ALNUM, ALNUM_LOWER, BASE32, HEX_UPPER};
use super::styles::{config_block, Item};
use super::{text, Builder, Document};

/// Benign configuration entries.
pub(crate) fn plain_item(r: &mut Rng) -> Item {
    let (name, value): (&str, String) = match r.below(24) {
        0 => ("NODE_ENV", r.pick(&["production", "development"]).to_string()),
        1 => ("PORT", r.pick(&["3000", "8080", "8000", "5000"]).to_string()),
        2 => ("LOG_LEVEL", r.pick(&["info", "debug", "warn"]).to_string()),
        3 => ("DATABASE_HOST", r.pick(&["db.internal", "localhost", "postgres"]).to_string()),
        4 => ("AWS_REGION", r.pick(&["us-east-1", "eu-central-1", "ap-northeast-1"]).to_string()),
        5 => ("S3_BUCKET", format!("acme-{}-{}", r.pick(&["uploads", "exports", "logs"]), r.pick(&["prod", "dev"]))),
        6 => ("OPENAI_MODEL", r.pick(&["gpt-4o-mini", "gpt-4.1", "o3-mini"]).to_string()),
        7 => ("MAX_TOKENS", r.pick(&["1024", "4096", "256"]).to_string()),
        8 => ("TEMPERATURE", r.pick(&["0.2", "0.7", "0"]).to_string()),
        9 => ("TIMEOUT_SECONDS", r.range(5, 120).to_string()),
        10 => ("WORKERS", r.range(1, 16).to_string()),
        11 => ("FEATURE_NEW_CHECKOUT", r.pick(&["true", "false"]).to_string()),
        12 => (
            "API_BASE_URL",
            r.pick(&["https://api.example.com/v1", "http://localhost:8000", "https://api.openai.com/v1"]).to_string(),
        ),
        13 => ("EMBEDDING_MODEL", r.pick(&["text-embedding-3-small", "nomic-embed-text", "voyage-3"]).to_string()),
        14 => ("CACHE_TTL", r.range(60, 3600).to_string()),
        15 => ("DEBUG", r.pick(&["false", "0"]).to_string()),
        16 => ("ALLOWED_HOSTS", "api.example.com,localhost".to_string()),
        17 => (
            "SMTP_HOST",
            r.pick(&["smtp.sendgrid.net", "smtp.mailgun.org", "email-smtp.us-east-1.amazonaws.com"]).to_string(),
        ),
        18 => ("TZ", r.pick(&["UTC", "Europe/Paris", "Asia/Tokyo"]).to_string()),
        19 => ("ANTHROPIC_MODEL", r.pick(&["claude-sonnet-4-5", "claude-3-5-haiku-latest"]).to_string()),
        20 => ("DB_USER", r.pick(&["app", "postgres", "readonly"]).to_string()),
        21 => ("REDIS_URL", "redis://localhost:6379/0".to_string()),
        22 => ("SENTRY_ENVIRONMENT", r.pick(&["production", "staging"]).to_string()),
        _ => ("APP_NAME", r.pick(&["acme-api", "billing-worker", "chat-backend"]).to_string()),
    };
    Item::plain(name, value)
}

/// Entries that a careless detector flags: placeholders, references, example keys, IDs.
pub(crate) fn hard_item(r: &mut Rng) -> Item {
    let (name, value): (&str, String) = match r.below(40) {
        0 => ("OPENAI_API_KEY", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into()),
        1 => ("OPENAI_API_KEY", r.pick(&["sk-...", "sk-proj-...", "your-api-key-here", "<your-openai-key>"]).into()),
        2 => ("ANTHROPIC_API_KEY", r.pick(&["sk-ant-...", "sk-ant-api03-...", "YOUR_ANTHROPIC_API_KEY"]).into()),
        3 => ("API_KEY", r.pick(&["<YOUR_API_KEY>", "your_api_key", "REPLACE_ME", "xxxxxxxxxxxxxxxx", "TODO"]).into()),
        4 => (
            "GITHUB_TOKEN",
            r.pick(&["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "<YOUR_TOKEN>", "${{ secrets.GITHUB_TOKEN }}"]).into(),
        ),
        5 => ("NPM_TOKEN", r.pick(&["${NPM_TOKEN}", "$NPM_TOKEN", "npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]).into()),
        6 => (
            "STRIPE_SECRET_KEY",
            r.pick(&["sk_live_...", "<stripe-secret-key>", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"]).into(),
        ),
        7 => ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
        8 => ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
        9 => (
            "DB_PASSWORD",
            r.pick(&["********", "${DB_PASSWORD}", "<password>", "{{ .Values.db.password }}", ""]).into(),
        ),
        10 => ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:?required}".into()),
        11 => {
            ("SECRET_KEY", r.pick(&["{{ secrets.SECRET_KEY }}", "%SECRET_KEY%", "<generate-a-random-string>"]).into())
        }
        12 => (
            "SLACK_BOT_TOKEN",
            r.pick(&["xoxb-your-token", "xoxb-not-a-real-token-this-will-not-work", "xoxb-..."]).into(),
        ),
        13 => ("HF_TOKEN", r.pick(&["hf_...", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "<hf_token>"]).into()),
        14 => ("MAX_TOKENS", r.pick(&["1024", "8192", "128000"]).into()),
        15 => ("TOKEN_TYPE", r.pick(&["bearer", "Bearer", "access_token"]).into()),
        16 => ("TOKEN_EXPIRY_SECONDS", r.pick(&["3600", "86400", "900"]).into()),
        17 => ("PASSWORD_MIN_LENGTH", r.pick(&["12", "16"]).into()),
        18 => (
            "SECRET_NAME",
            r.pick(&["prod/db/credentials", "app-secrets", "projects/acme/secrets/api-key/versions/latest"]).into(),
        ),
        19 => ("API_KEY_HEADER", r.pick(&["X-API-Key", "Authorization"]).into()),
        20 => (
            "DATABASE_URL",
            r.pick(&[
                "postgres://app@db.internal:5432/app",
                "postgresql://app:${DB_PASSWORD}@db:5432/app",
                "postgresql://USER:PASSWORD@HOST:5432/DATABASE",
                "mongodb+srv://<username>:<password>@cluster0.example.mongodb.net/",
            ])
            .into(),
        ),
        21 => ("GIT_SHA", r.hex(40)),
        22 => ("IMAGE_DIGEST", format!("sha256:{}", r.hex(64))),
        23 => ("REQUEST_ID", r.uuid()),
        24 => ("TRACE_ID", r.hex(32)),
        25 => ("CHECKSUM_SHA256", r.hex(64)),
        26 => ("THEME_COLOR", format!("#{}", r.hex(6))),
        27 => ("APP_VERSION", version(r)),
        28 => ("AWS_ACCOUNT_ID", r.digits(12)),
        29 => (
            "ROLE_ARN",
            format!("arn:aws:iam::{}:role/{}", r.digits(12), r.pick(&["deploy", "github-actions-oidc", "lambda-exec"])),
        ),
        30 => ("AZURE_TENANT_ID", r.uuid()),
        31 => ("AZURE_CLIENT_ID", r.uuid()),
        32 => {
            ("GOOGLE_CLIENT_ID", format!("{}-{}.apps.googleusercontent.com", r.digits(12), r.string(ALNUM_LOWER, 32)))
        }
        33 => ("SENTRY_DSN", "https://examplePublicKey@o0.ingest.sentry.io/0".into()),
        34 => (
            "SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX".into(),
        ),
        35 => ("INSTANCE_ID", format!("i-0{}", r.hex(16))),
        36 => ("OPENAI_API_KEY", "${OPENAI_API_KEY}".into()),
        37 => ("BUILD_TIMESTAMP", timestamp(r)),
        38 => ("ENCRYPTION_KEY_ID", format!("arn:aws:kms:us-east-1:{}:key/{}", r.digits(12), r.uuid())),
        _ => ("PUBLIC_KEY", blocks::ssh_public_key(r)),
    };
    Item::plain(name, value)
}

pub(crate) fn version(r: &mut Rng) -> String {
    let v = format!("{}.{}.{}", r.below(5), r.below(30), r.below(20));
    match r.below(4) {
        0 => format!("v{v}"),
        1 => format!("{v}-beta.{}", r.below(9)),
        _ => v,
    }
}

pub(crate) fn timestamp(r: &mut Rng) -> String {
    format!(
        "202{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        r.range(3, 5),
        r.range(1, 12),
        r.range(1, 28),
        r.below(24),
        r.below(60),
        r.below(60)
    )
}

pub(crate) fn maybe_sentence(r: &mut Rng, b: &mut Builder) {
    if r.chance(50) {
        b.line(&text::sentence(r));
    }
}

pub(crate) fn code_preamble(r: &mut Rng, lang: &str) -> &'static str {
    match lang {
        "python" => r.pick(&["import os", "import os\nfrom openai import OpenAI\n", "from pathlib import Path\n"]),
        "javascript" | "typescript" => r.pick(&["import express from \"express\";", "require(\"dotenv\").config();"]),
        "go" => "package main\n\nimport \"os\"\n",
        "rust" => "use std::env;\n",
        "java" => "package com.acme.config;\n",
        "csharp" => "namespace Acme.Config;\n",
        "ruby" => "require \"net/http\"\n",
        "php" => "<?php\n\nreturn [",
        "kotlin" => "package com.acme\n",
        _ => "set -euo pipefail",
    }
}

/// A document with no secrets, built from the same styles as the positives.
pub(crate) fn negative_document(r: &mut Rng) -> Document {
    let mut b = Builder::default();
    if r.chance(85) {
        b.line(&text::intro(r));
        b.push("\n");
    }
    let target = match r.below(10) {
        0..=2 => 200,
        3..=7 => r.range(600, 2000),
        _ => r.range(2500, 7000),
    };
    let mut n = 0;
    while (b.text.len() < target || n == 0) && n < 12 {
        if r.chance(60) {
            hard_block(r, &mut b);
        } else {
            filler(r, &mut b);
        }
        b.push("\n");
        n += 1;
    }
    if r.chance(50) {
        b.line(&text::outro(r));
    }
    b.finish()
}

/// A non-secret section for padding positive documents.
pub(crate) fn filler(r: &mut Rng, b: &mut Builder) {
    match r.below(10) {
        0..=3 => {
            b.line(&text::paragraph(r));
            b.push("\n");
        }
        4 => {
            b.line(text::heading(r));
            b.push("\n");
            b.line(&text::paragraph(r));
            b.push("\n");
        }
        5 => {
            b.push(&text::bullets(r));
            b.push("\n");
        }
        _ => {
            hard_block(r, b);
            b.push("\n");
        }
    }
}

pub(crate) fn prose_chunk(r: &mut Rng, b: &mut Builder) {
    match r.below(12) {
        0..=5 => {
            b.line(&text::paragraph(r));
            b.push("\n");
        }
        6 => {
            b.line(text::heading(r));
            b.push("\n");
        }
        7 => {
            b.push(&text::bullets(r));
            b.push("\n");
        }
        8 => {
            b.line("| Model | Context | Input $/1M | Output $/1M |\n|---|---|---|---|");
            for m in ["gpt-4o", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.1-70b"] {
                b.line(&format!(
                    "| {m} | {}k | {}.{} | {}.{} |",
                    r.pick(&["128", "200", "1000"]),
                    r.below(15),
                    r.below(100),
                    r.below(60),
                    r.below(100)
                ));
            }
            b.push("\n");
        }
        9 => {
            b.line(&format!("> **Note:** {}\n", text::sentence(r)));
        }
        10 => {
            b.line(&format!(
                "The fix landed in commit `{}` (release {}, {}); the image is pinned as `@sha256:{}`.\n",
                &r.hex(40)[..r.pick_owned(&[7, 12, 40])],
                version(r),
                timestamp(r),
                r.hex(64)
            ));
        }
        _ => {
            b.line(&text::outro(r));
            b.push("\n");
        }
    }
}

pub(crate) fn code_chunk(r: &mut Rng, b: &mut Builder) {
    if r.chance(20) {
        b.line(&text::sentence(r));
    }
    if r.chance(55) {
        hard_block(r, b);
    } else {
        code_snippet(r, b);
    }
    b.push("\n");
}

pub(crate) fn small_chunk(r: &mut Rng, b: &mut Builder) {
    if r.chance(50) {
        b.push(&text::bullets(r));
    } else {
        code_snippet(r, b);
    }
    b.push("\n");
}

fn ident(r: &mut Rng) -> String {
    let a = r.pick(&[
        "user",
        "order",
        "invoice",
        "session",
        "token",
        "cache",
        "request",
        "payment",
        "message",
        "embedding",
    ]);
    let v = r.pick(&["load", "parse", "validate", "refresh", "build", "fetch", "count", "encode"]);
    format!("{v}_{a}")
}

fn code_snippet(r: &mut Rng, b: &mut Builder) {
    let f = ident(r);
    match r.below(6) {
        0 => b.line(&format!("```python\ndef {f}(items: list[dict], max_tokens: int = 1024) -> list[str]:\n    \"\"\"Return the ids of the items that fit in the budget.\"\"\"\n    out, used = [], 0\n    for item in items:\n        n = len(tokenizer.encode(item[\"text\"]))\n        if used + n > max_tokens:\n            break\n        out.append(item[\"id\"])\n        used += n\n    return out\n```")),
        1 => b.line(&format!("```rust\npub fn {f}(input: &str) -> Result<Vec<u32>, ParseError> {{\n    input\n        .split(',')\n        .map(|s| s.trim().parse::<u32>().map_err(ParseError::from))\n        .collect()\n}}\n```")),
        2 => b.line(&format!("```javascript\nexport async function {}(id) {{\n  const res = await fetch(`/api/orders/${{id}}`, {{\n    headers: {{ Authorization: `Bearer ${{process.env.API_TOKEN}}` }},\n  }});\n  if (!res.ok) throw new Error(`HTTP ${{res.status}}`);\n  return res.json();\n}}\n```", case(&f, Case::Camel))),
        3 => b.line(&format!("```sql\nSELECT u.id, u.email, count(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at > '{}'\nGROUP BY u.id, u.email\nORDER BY orders DESC\nLIMIT 50;\n```", &timestamp(r)[..10])),
        4 => b.line(&format!("```go\nfunc {}(ctx context.Context, key string) (string, error) {{\n\tval, err := rdb.Get(ctx, \"cache:\"+key).Result()\n\tif err == redis.Nil {{\n\t\treturn \"\", ErrNotFound\n\t}}\n\treturn val, err\n}}\n```", case(&f, Case::Pascal))),
        _ => b.line(&format!("```bash\n$ {}\n```", r.pick(&["npm install --save-dev typescript@5.6.3", "pip install -U \"openai>=1.40\" tiktoken", "cargo add serde --features derive", "docker compose logs -f api", "kubectl rollout status deploy/api -n prod"]))),
    }
}

/// One section made of hard negatives.
pub(crate) fn hard_block(r: &mut Rng, b: &mut Builder) {
    match r.below(26) {
        0 | 1 => {
            let mut items: Vec<Item> = (0..r.range(2, 6)).map(|_| hard_item(r)).collect();
            items.push(plain_item(r));
            r.shuffle(&mut items);
            config_block(r, b, &mut items, true);
        }
        2 => {
            b.line("```json\n\"node_modules/lodash\": {");
            b.line(&format!("  \"version\": \"4.17.21\",\n  \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\",\n  \"integrity\": \"sha512-{}\",", r.b64_bytes(64)));
            b.line(&format!("  \"dev\": true\n}},\n\"node_modules/zod\": {{\n  \"version\": \"3.23.8\",\n  \"integrity\": \"sha512-{}\"\n}}\n```", r.b64_bytes(64)));
        }
        3 => {
            b.line("```toml\n[[package]]\nname = \"serde\"\nversion = \"1.0.210\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"");
            b.line(&format!("checksum = \"{}\"\n\n[[package]]\nname = \"tokio\"\nversion = \"1.40.0\"\nchecksum = \"{}\"\n```", r.hex(64), r.hex(64)));
        }
        4 => {
            b.line("```text");
            for m in ["github.com/google/uuid v1.6.0", "golang.org/x/sync v0.8.0", "github.com/redis/go-redis/v9 v9.6.1"] {
                b.line(&format!("{m} h1:{}", r.b64_bytes(32)));
                b.line(&format!("{m}/go.mod h1:{}", r.b64_bytes(32)));
            }
            b.line("```");
        }
        5 => {
            b.line("```text");
            b.line(&format!("requests==2.32.3 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}", r.hex(64), r.hex(64)));
            b.line(&format!("urllib3==2.2.3 \\\n    --hash=sha256:{}\n```", r.hex(64)));
        }
        6 => {
            b.line(&format!("```yaml\nspec:\n  containers:\n    - name: api\n      image: ghcr.io/acme/api@sha256:{}\n      env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db-credentials\n              key: password\n        - name: OPENAI_API_KEY\n          valueFrom:\n            secretKeyRef: {{ name: openai, key: api-key }}\n      resources:\n        limits: {{ cpu: 500m, memory: 512Mi }}\n```", r.hex(64)));
        }
        7 => {
            b.line("```console\n$ sha256sum dist/*");
            for f in ["app-linux-amd64.tar.gz", "app-darwin-arm64.tar.gz", "app-windows-amd64.zip"] {
                b.line(&format!("{}  dist/{f}", r.hex(64)));
            }
            b.line("```");
        }
        8 => {
            b.line("```text");
            for _ in 0..r.range(2, 4) {
                b.line(&format!("commit {}\nAuthor: Dev <dev@example.com>\nDate:   {}\n\n    {}\n", r.hex(40), timestamp(r), r.pick(&["fix: handle empty token list", "feat: rotate API keys monthly", "chore: bump deps", "refactor: password reset flow"])));
            }
            b.line("```");
        }
        9 => {
            b.line(&format!("```html\n<link rel=\"stylesheet\" href=\"https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css\" integrity=\"sha384-{}\" crossorigin=\"anonymous\">", r.b64_bytes(48)));
            b.line(&format!("<img alt=\"logo\" src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAA{}\">", { let n_ = r.range(60, 180); r.b64_bytes(n_) }));
            b.line("<input type=\"password\" name=\"password\" autocomplete=\"current-password\" minlength=\"12\" required>");
            b.line(&format!("<style>.btn {{ background: #{}; color: #{}; }}</style>\n```", r.hex(6), r.hex(6)));
        }
        10 => blocks::cert_block(r, b),
        11 => blocks::public_key_block(r, b),
        12 => {
            b.line("Add the public key to `~/.ssh/authorized_keys` on the server:\n```text");
            b.line(&blocks::ssh_public_key(r));
            b.line("```");
        }
        13 => {
            b.line(&format!("```json\n{{\n  \"Reservations\": [{{\n    \"OwnerId\": \"{}\",\n    \"Instances\": [{{\n      \"InstanceId\": \"i-0{}\",\n      \"ImageId\": \"ami-0{}\",\n      \"VpcId\": \"vpc-0{}\",\n      \"IamInstanceProfile\": {{ \"Arn\": \"arn:aws:iam::{}:instance-profile/web\" }},\n      \"LaunchTime\": \"{}\"\n    }}]\n  }}]\n}}\n```", r.digits(12), r.hex(16), r.hex(16), r.hex(16), r.digits(12), timestamp(r)));
        }
        14 => {
            b.line(&format!("```json\n{{\n  \"id\": \"chatcmpl-{}\",\n  \"object\": \"chat.completion\",\n  \"created\": {},\n  \"model\": \"gpt-4o-2024-08-06\",\n  \"system_fingerprint\": \"fp_{}\",\n  \"usage\": {{ \"prompt_tokens\": {}, \"completion_tokens\": {}, \"total_tokens\": {} }}\n}}\n```", r.alnum(29), 1_715_000_000 + r.below(40_000_000), r.hex(10), r.below(2000), r.below(900), r.below(3000)));
        }
        15 => {
            b.line(&format!("```json\n{{\n  \"id\": \"msg_01{}\",\n  \"type\": \"message\",\n  \"role\": \"assistant\",\n  \"model\": \"claude-sonnet-4-5\",\n  \"content\": [{{ \"type\": \"tool_use\", \"id\": \"toolu_01{}\", \"name\": \"get_weather\", \"input\": {{ \"city\": \"Zürich\" }} }}],\n  \"stop_reason\": \"tool_use\",\n  \"usage\": {{ \"input_tokens\": {}, \"output_tokens\": {} }}\n}}\n```", r.alnum(22), r.alnum(22), r.below(5000), r.below(800)));
        }
        16 => {
            b.line(&format!("```json\n{{\n  \"id\": \"pi_3{}\",\n  \"object\": \"payment_intent\",\n  \"amount\": {},\n  \"currency\": \"eur\",\n  \"customer\": \"cus_{}\",\n  \"latest_charge\": \"ch_3{}\",\n  \"status\": \"succeeded\"\n}}\n```", r.alnum(23), r.range(100, 99999), r.alnum(14), r.alnum(23)));
        }
        17 => {
            b.line("A successful token response looks like this (values elided):\n```json\n{\n  \"access_token\": \"<ACCESS_TOKEN>\",\n  \"token_type\": \"Bearer\",\n  \"expires_in\": 3600,\n  \"refresh_token\": \"<REFRESH_TOKEN>\",\n  \"scope\": \"read write\"\n}\n```");
        }
        18 => {
            b.line(&format!("```python\nimport os\n\nclient = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])\nstripe.api_key = os.getenv(\"STRIPE_SECRET_KEY\")\ndb_password = os.environ.get(\"DB_PASSWORD\", \"\")\nresp = client.chat.completions.create(model=\"gpt-4o-mini\", max_tokens={}, messages=msgs)\nprint(resp.usage.total_tokens)\n```", r.pick(&["256", "1024", "4096"])));
        }
        19 => {
            b.line("```javascript\nconst openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });\nconst token = process.env.GITHUB_TOKEN ?? \"\";\nconst headers = { Authorization: `Bearer ${token}` };\n```");
            b.line("```python\nimport getpass, secrets\n\npassword = getpass.getpass(\"Password: \")\nsession_secret = secrets.token_urlsafe(32)  # generated at startup, never logged\nclient = Anthropic(api_key=\"YOUR_API_KEY\")\n```");
            b.line("```go\napiKey := os.Getenv(\"ANTHROPIC_API_KEY\")\nif apiKey == \"\" {\n\tlog.Fatal(\"ANTHROPIC_API_KEY is not set\")\n}\n```");
        }
        20 => {
            b.line(&format!("```bash\ncurl https://api.openai.com/v1/chat/completions \\\n  -H \"Authorization: Bearer $OPENAI_API_KEY\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{{\"model\": \"gpt-4o-mini\", \"max_tokens\": {}, \"messages\": [{{\"role\": \"user\", \"content\": \"Hi\"}}]}}'\n```", r.pick(&["64", "1024"])));
            b.line("Replace `$OPENAI_API_KEY` with your key, or use `Authorization: Bearer <token>` in Postman.");
        }
        21 => {
            b.line(&format!("Your keys (masked): `sk-proj-****************{}`, `ghp_••••••••{}`. The key ending in `…{}` was revoked on {}.", r.alnum(4), r.alnum(4), r.alnum(4), &timestamp(r)[..10]));
        }
        22 => {
            b.line(&format!("```json\n{{\n  \"items\": [{{ \"id\": \"{}\", \"etag\": \"W/\\\"{}\\\"\" }}],\n  \"nextPageToken\": \"{}\",\n  \"cursor\": \"{}\"\n}}\n```", r.uuid(), r.hex(16), { let n_ = r.range(24, 48); r.b64_bytes(n_) }, super::rng::b64(format!("{{\"id\":{},\"ts\":{}}}", r.below(99999), 1_700_000_000 + r.below(9_999_999)).as_bytes())));
        }
        23 => {
            b.line("```hcl\n# .terraform.lock.hcl\nprovider \"registry.terraform.io/hashicorp/aws\" {\n  version     = \"5.67.0\"\n  constraints = \"~> 5.0\"\n  hashes = [");
            b.line(&format!("    \"h1:{}\",\n    \"zh:{}\",\n    \"zh:{}\",\n  ]\n}}\n\nvariable \"db_password\" {{\n  type      = string\n  sensitive = true\n}}\n\nresource \"aws_db_instance\" \"main\" {{\n  password = var.db_password\n}}\n```", r.b64_bytes(32), r.hex(64), r.hex(64)));
        }
        24 => {
            b.line("```text");
            for _ in 0..r.range(3, 6) {
                b.line(&format!("{} INFO request_id={} trace_id={} span_id={} user={} status=200 latency_ms={}", timestamp(r), r.uuid(), r.hex(32), r.hex(16), r.string(ALNUM, 21), r.below(900)));
            }
            b.line("```");
        }
        _ => {
            match r.below(3) {
                0 => blocks::kubeconfig_public(r, b),
                1 => b.line(&format!("Identifiers in the test suite: `test_user_can_reset_password_with_valid_token`, `AbstractSingletonProxyFactoryBean`, `X-Amz-Security-Token`, `TOKEN_REFRESH_INTERVAL_MS`, build `{}` and job `{}`.", r.string(HEX_UPPER, 12), r.string(BASE32, 10))),
                _ => b.line(&format!("Decode it with `echo '{}' | base64 -d` — it's just a JSON config, not a secret. Colours: #{}, #{}; version {}.", super::rng::b64(format!("{{\"theme\":\"dark\",\"lang\":\"{}\"}}", r.pick(&["en", "fr", "ja"])).as_bytes()), r.hex(6), r.hex(3), version(r))),
            }
        }
    }
}

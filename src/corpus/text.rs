//! Prose pools: the sentences, headings and lists an LLM answer is made of. `{}` in a
//! sentence is replaced by a topic.

use super::rng::Rng;

pub const TOPICS: &[&str] = &[
    "the deployment pipeline",
    "your Next.js app",
    "the FastAPI service",
    "the staging cluster",
    "the worker queue",
    "the payment integration",
    "the CI workflow",
    "the Terraform module",
    "the Helm chart",
    "the Django project",
    "the Rust CLI",
    "the Go microservice",
    "the data pipeline",
    "the Slack bot",
    "the mobile backend",
    "the analytics job",
    "the chatbot",
    "the RAG pipeline",
    "the embeddings service",
    "the webhook handler",
];

pub const INTROS: &[&str] = &[
    "Sure! Here's how to set up {}.",
    "Here is your config:",
    "Below is a minimal example for {}.",
    "I've updated the configuration for {} with the values you provided:",
    "You can authenticate like this:",
    "Great question. Let's walk through {} step by step.",
    "The error usually means the credentials are missing. Here's a working setup for {}:",
    "Here's the corrected version of {}:",
    "To connect {} you need to set a few environment variables.",
    "Absolutely — here is a complete example.",
    "This is what your file should look like after the change:",
    "Based on the logs you shared, {} is failing at startup. Try this:",
    "Here's a quick summary of the setup for {}.",
    "Let me put everything together for {}.",
    "Okay, I've reproduced the issue. The fix for {} is below.",
    "Here's the script I used to test {}:",
    "Good news: {} only needs a small change.",
    "Of course! Below is the full file.",
];

pub const SENTENCES: &[&str] = &[
    "Make sure the service account has read access before you run the migration.",
    "The retry logic uses exponential backoff with a maximum of five attempts.",
    "If you run this locally, start the database first with `docker compose up -d db`.",
    "The response is streamed, so you will see tokens arrive as they are generated.",
    "You can check the current version with `--version`; anything above 1.4 works.",
    "This keeps the configuration in one place and makes {} easier to test.",
    "Note that the timeout is in milliseconds, not seconds.",
    "The health check endpoint returns 200 once all dependencies are reachable.",
    "I moved the parsing into a helper function so it can be unit tested.",
    "After the change, {} should start without the warning.",
    "Rate limits are applied per key, so batching the requests helps.",
    "The cache is keyed by user ID and expires after ten minutes.",
    "In production you would normally load these values from a secrets manager.",
    "Pagination uses a cursor, which you pass back unchanged on the next call.",
    "The logs are written as JSON lines, one object per request.",
    "For larger files, switch to the multipart upload API.",
    "We pin the image by digest so rebuilds are reproducible.",
    "The function is idempotent, so it is safe to call it again after a failure.",
    "Set the log level to `debug` while you troubleshoot, then put it back to `info`.",
    "Both the client and the server must agree on the API version.",
    "The scheduler runs every five minutes and skips a run if the previous one is still going.",
    "You might also want to add an index on `created_at` for {}.",
    "That warning is harmless; it only shows up on the first run.",
    "With these settings the model returns at most 1024 tokens per request.",
    "The webhook payload is signed, and the handler verifies the signature before doing anything else.",
    "I'd recommend keeping the test and production configurations in separate files.",
    "The build takes about two minutes on a cold cache and under thirty seconds afterwards.",
    "If the connection drops, the client reconnects automatically.",
    "Under the hood, {} uses a connection pool with ten connections.",
    "You can ignore the deprecation notice for now; it will be fixed upstream.",
    "The migration is reversible, so you can roll back with a single command.",
    "Keep in mind that environment variables override values in the config file.",
    "The output below is trimmed for readability.",
    "Every request carries a request ID, which makes tracing much easier.",
    "If you forgot your password, click **Reset password** and follow the link; it is valid for 15 minutes.",
    "The access token expires after 3600 seconds, so use the refresh token to get a new one.",
    "Never paste an API key into a chat; reference an environment variable such as `OPENAI_API_KEY` instead.",
    "This prompt is 1,284 tokens long, well under the 128k-token context window.",
    "Secrets are injected at runtime by the secret store, so the image itself contains no credentials.",
    "This approach scales fine up to a few thousand requests per second.",
];

pub const OUTROS: &[&str] = &[
    "Let me know if you need anything else!",
    "Hope this helps — ping me if {} still fails.",
    "⚠️ Don't commit this file to version control; add it to `.gitignore`.",
    "Remember to rotate these credentials if this file was ever shared.",
    "Once that's in place, restart the service and you should be good to go.",
    "Happy to help with the next step whenever you're ready.",
    "If you hit a 401, double-check that the key has the right scopes.",
    "That's it! 🎉",
    "Let me know how it goes.",
    "You can now run the tests again; they should pass.",
];

/// Non-English prose and emoji, so byte offsets cross multi-byte characters.
pub const INTERNATIONAL: &[&str] = &[
    "Voici la configuration complète pour le déploiement — vérifiez les paramètres avant de redémarrer.",
    "Après la mise à jour, le service démarre sans erreur. Très bien ! 👍",
    "Hier ist die überarbeitete Konfiguration für die Produktionsumgebung.",
    "Bitte prüfen Sie die Größe des Puffers, bevor Sie fortfahren.",
    "Aquí tienes el archivo de configuración actualizado; revisa también la sección de caché.",
    "¿Necesitas ayuda con la integración? Avísame. 😊",
    "Segue o exemplo completo, com as variáveis de ambiente já configuradas.",
    "以下是完整的配置示例，请根据你的环境进行修改。",
    "部署完成后，请检查日志中是否有错误信息。✅",
    "設定ファイルを更新しました。サービスを再起動してください。",
    "ログを確認すると、接続がタイムアウトしているようです。",
    "설정 파일을 아래와 같이 수정하면 됩니다.",
    "Вот исправленная конфигурация для вашего сервиса.",
    "Обратите внимание на параметр таймаута — он указан в миллисекундах.",
    "Ecco la configurazione aggiornata per l'ambiente di test. 🚀",
    "Yapılandırma dosyasını güncelledim; servisi yeniden başlatın.",
    "Đây là cấu hình mẫu cho dịch vụ của bạn.",
    "Oto poprawiona konfiguracja — sprawdź jeszcze ustawienia pamięci podręcznej.",
    "✨ Done! The café-themed demo now handles naïve timestamps correctly.",
    "Résumé: the naïve approach works, but the coöperative scheduler is faster. 🙂",
];

/// Short lead-ins in other languages that directly precede a value.
pub const INTL_LEADS: &[&str] = &[
    "Voici votre clé d'API : ",
    "Votre jeton : ",
    "Ihr API-Schlüssel lautet: ",
    "Tu clave de API es: ",
    "Sua chave de API: ",
    "你的 API 密钥：",
    "访问令牌：",
    "APIキー：",
    "トークン: ",
    "API 키: ",
    "Ваш токен: ",
    "🔑 Key: ",
    "🔐 ",
    "Clé secrète → ",
];

pub const HEADINGS: &[&str] = &[
    "## Setup",
    "## Configuration",
    "### Step 1: Install the dependencies",
    "### Step 2: Configure the environment",
    "### Step 3: Run it",
    "## Example",
    "## Testing",
    "### Troubleshooting",
    "## Deployment",
    "### Notes",
    "## 配置",
    "## Résumé",
];

pub const BULLETS: &[&str] = &[
    "Use a separate key for each environment.",
    "Restart the worker after changing the config.",
    "The default region is `us-east-1`.",
    "Logs are kept for 14 days.",
    "Requests time out after 30 seconds.",
    "The free tier allows 60 requests per minute.",
    "Set `NODE_ENV=production` for builds.",
    "Run `npm ci` instead of `npm install` in CI.",
    "Use `--dry-run` first to preview the changes.",
    "Enable TLS for every external connection.",
    "Keep the container image under 200 MB.",
    "Prefer `uv pip install` for faster installs.",
];

pub fn sentence(r: &mut Rng) -> String {
    let s = r_pick(r, SENTENCES);
    fill(r, s)
}

pub fn intro(r: &mut Rng) -> String {
    if r.chance(12) {
        return r_pick(r, INTERNATIONAL).to_string();
    }
    let s = r_pick(r, INTROS);
    fill(r, s)
}

pub fn outro(r: &mut Rng) -> String {
    let s = r_pick(r, OUTROS);
    fill(r, s)
}

fn r_pick<'a>(r: &mut Rng, items: &'a [&'a str]) -> &'a str {
    items[r.below(items.len())]
}

fn fill(r: &mut Rng, s: &str) -> String {
    if s.contains("{}") {
        s.replacen("{}", r_pick(r, TOPICS), 1)
    } else {
        s.to_string()
    }
}

/// A paragraph of 1–4 sentences, sometimes non-English.
pub fn paragraph(r: &mut Rng) -> String {
    let n = r.range(1, 4);
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        if r.chance(10) {
            out.push_str(r_pick(r, INTERNATIONAL));
        } else {
            out.push_str(&sentence(r));
        }
    }
    out
}

/// A markdown bullet list.
pub fn bullets(r: &mut Rng) -> String {
    let n = r.range(2, 5);
    let numbered = r.chance(40);
    let mut items: Vec<&str> = BULLETS.to_vec();
    r.shuffle(&mut items);
    items
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, item)| if numbered { format!("{}. {item}\n", i + 1) } else { format!("- {item}\n") })
        .collect()
}

pub fn heading(r: &mut Rng) -> &'static str {
    r_pick(r, HEADINGS)
}

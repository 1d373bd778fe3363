//! Secret kinds whose value is one line: a generator in the provider's published format, the
//! variable names it is usually assigned to, and whether the value is recognisable on its own
//! (a distinctive prefix) or only by the name it is assigned to.

use super::formats::*;
use super::rng::{self, Rng, ALNUM, ALNUM_LOWER, ALNUM_UPPER, B64, B64URL, BASE32, HEX_UPPER, LETTERS};
use super::{blocks, Builder, Val};

pub(crate) enum Shape {
    /// `standalone`: recognisable without context, may appear bare in prose.
    /// Otherwise it is only ever written as an assignment to one of `names`.
    Value { names: &'static [&'static str], standalone: bool, make: fn(&mut Rng) -> Val },
    /// Writes a whole section (text around the secret included) and plants its own spans.
    Block(fn(&mut Rng, &mut Builder)),
}

pub(crate) struct Spec {
    pub name: &'static str,
    pub shape: Shape,
}

const fn tok(name: &'static str, names: &'static [&'static str], make: fn(&mut Rng) -> Val) -> Spec {
    Spec { name, shape: Shape::Value { names, standalone: true, make } }
}

const fn ctx(name: &'static str, names: &'static [&'static str], make: fn(&mut Rng) -> Val) -> Spec {
    Spec { name, shape: Shape::Value { names, standalone: false, make } }
}

const fn block(name: &'static str, f: fn(&mut Rng, &mut Builder)) -> Spec {
    Spec { name, shape: Shape::Block(f) }
}

pub(crate) static SPECS: &[Spec] = &[
    // --- GitHub, npm, GitLab and other source hosts -------------------------------------
    tok("github-pat", &["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT"], |r| github("ghp_", r)),
    tok("github-oauth-token", &["GITHUB_OAUTH_TOKEN", "GH_TOKEN"], |r| github("gho_", r)),
    tok("github-user-token", &["GITHUB_USER_TOKEN", "GITHUB_TOKEN"], |r| github("ghu_", r)),
    tok("github-app-token", &["GITHUB_APP_TOKEN", "GITHUB_TOKEN", "INSTALLATION_TOKEN"], |r| github("ghs_", r)),
    tok("github-refresh-token", &["GITHUB_REFRESH_TOKEN", "REFRESH_TOKEN"], |r| github("ghr_", r)),
    tok("github-fine-grained-pat", &["GITHUB_TOKEN", "GH_PAT", "GITHUB_PAT"], |r| {
        w(format!("github_pat_{}_{}", r.string(ALNUM, 22), r.string(ALNUM, 59)))
    }),
    tok("npm-token", &["NPM_TOKEN", "NODE_AUTH_TOKEN", "NPM_AUTH_TOKEN"], |r| github("npm_", r)),
    block("npm-legacy-token", blocks::npmrc_legacy),
    tok("gitlab-pat", &["GITLAB_TOKEN", "GITLAB_PAT", "CI_JOB_TOKEN_OVERRIDE"], |r| {
        w(format!("glpat-{}", r.mixed(B64URL, 20)))
    }),
    tok("gitlab-pat-routable", &["GITLAB_TOKEN", "GITLAB_PRIVATE_TOKEN"], |r| {
        w(format!(
            "glpat-{}.01.{}",
            {
                let n_ = r.range(27, 40);
                r.mixed(B64URL, n_)
            },
            r.string(ALNUM_LOWER, 9)
        ))
    }),
    tok("gitlab-deploy-token", &["GITLAB_DEPLOY_TOKEN", "DEPLOY_TOKEN"], |r| {
        w(format!("gldt-{}", r.mixed(B64URL, 20)))
    }),
    tok("gitlab-runner-token", &["RUNNER_TOKEN", "GITLAB_RUNNER_TOKEN"], |r| {
        w(format!("glrt-{}", r.mixed(B64URL, 20)))
    }),
    tok("gitlab-pipeline-trigger-token", &["TRIGGER_TOKEN", "GITLAB_TRIGGER_TOKEN"], |r| {
        w(format!("glptt-{}", r.hex(40)))
    }),
    tok("gitlab-runner-registration-token", &["REGISTRATION_TOKEN", "RUNNER_REGISTRATION_TOKEN"], |r| {
        w(format!("GR1348941{}", r.mixed(B64URL, 20)))
    }),
    tok("gitlab-oauth-app-secret", &["GITLAB_OAUTH_SECRET", "GITLAB_APP_SECRET"], |r| {
        w(format!("gloas-{}", r.hex(64)))
    }),
    tok("bitbucket-app-password", &["BITBUCKET_APP_PASSWORD", "BB_APP_PASSWORD"], |r| {
        w(format!("ATBB{}{}", r.alnum(24), r.string(HEX_UPPER, 8)))
    }),
    tok("atlassian-api-token", &["JIRA_API_TOKEN", "ATLASSIAN_API_TOKEN", "CONFLUENCE_API_TOKEN"], |r| {
        w(format!("ATATT3xFfGF0{}={}", r.mixed(B64URL, 171), r.string(HEX_UPPER, 8)))
    }),
    tok("circleci-token", &["CIRCLECI_TOKEN", "CIRCLE_TOKEN"], |r| w(format!("CCIPAT_{}_{}", r.alnum(22), r.hex(40)))),
    ctx("circleci-token-legacy", &["CIRCLECI_TOKEN", "CIRCLE_TOKEN", "CIRCLECI_API_TOKEN"], |r| hex(r, 40)),
    ctx("azure-devops-pat", &["AZURE_DEVOPS_PAT", "AZURE_DEVOPS_EXT_PAT", "ADO_PAT"], |r| {
        w(r.mixed(&BASE32.to_ascii_lowercase(), 52))
    }),
    tok("sourcegraph-token", &["SRC_ACCESS_TOKEN", "SOURCEGRAPH_TOKEN"], |r| w(format!("sgp_{}", r.hex(40)))),
    tok("buildkite-token", &["BUILDKITE_API_TOKEN", "BUILDKITE_TOKEN"], |r| w(format!("bkua_{}", r.hex(40)))),
    tok("sonarqube-token", &["SONAR_TOKEN", "SONARQUBE_TOKEN"], |r| {
        w(format!("{}{}", r.pick(&["squ_", "sqp_", "sqa_"]), r.hex(40)))
    }),
    ctx("snyk-token", &["SNYK_TOKEN", "SNYK_API_TOKEN"], |r| w(r.uuid())),
    ctx("codecov-token", &["CODECOV_TOKEN"], |r| w(r.uuid())),
    // --- package registries --------------------------------------------------------------
    tok("pypi-token", &["PYPI_TOKEN", "TWINE_PASSWORD", "PYPI_API_TOKEN"], |r| {
        w(format!("pypi-AgEIcHlwaS5vcmcCJ{}", {
            let n_ = r.range(130, 190);
            r.mixed(B64URL, n_)
        }))
    }),
    tok("rubygems-api-key", &["GEM_HOST_API_KEY", "RUBYGEMS_API_KEY"], |r| w(format!("rubygems_{}", r.hex(48)))),
    tok("cratesio-token", &["CARGO_REGISTRY_TOKEN", "CRATES_IO_TOKEN"], |r| w(format!("cio{}", r.alnum(32)))),
    tok("nuget-api-key", &["NUGET_API_KEY", "NUGET_KEY"], |r| w(format!("oy2{}", r.mixed(ALNUM_LOWER, 43)))),
    tok("dockerhub-token", &["DOCKERHUB_TOKEN", "DOCKER_PASSWORD", "DOCKER_HUB_TOKEN"], |r| {
        w(format!("{}{}", r.pick(&["dckr_pat_", "dckr_oat_"]), r.mixed(B64URL, 27)))
    }),
    tok("artifactory-api-key", &["ARTIFACTORY_API_KEY", "JFROG_API_KEY"], |r| w(format!("AKCp{}", r.alnum(69)))),
    tok("artifactory-reference-token", &["ARTIFACTORY_ACCESS_TOKEN", "JFROG_ACCESS_TOKEN"], |r| {
        w(format!("cmVmdGtuOjAxOjE{}", r.alnum(49)))
    }),
    tok("clojars-token", &["CLOJARS_TOKEN", "CLOJARS_PASSWORD"], |r| {
        w(format!("CLOJARS_{}", r.mixed(ALNUM_LOWER, 60)))
    }),
    // --- AI providers --------------------------------------------------------------------
    tok("openai-project-key", &["OPENAI_API_KEY", "OPENAI_KEY"], |r| openai_project("sk-proj-", r)),
    tok("openai-service-account-key", &["OPENAI_API_KEY"], |r| openai_project("sk-svcacct-", r)),
    tok("openai-admin-key", &["OPENAI_ADMIN_KEY"], |r| {
        w(format!("sk-admin-{}T3BlbkFJ{}", r.mixed(B64URL, 58), r.mixed(B64URL, 58)))
    }),
    tok("openai-legacy-key", &["OPENAI_API_KEY"], |r| w(format!("sk-{}T3BlbkFJ{}", r.alnum(20), r.alnum(20)))),
    tok("anthropic-api-key", &["ANTHROPIC_API_KEY", "CLAUDE_API_KEY"], |r| {
        w(format!("sk-ant-api03-{}AA", r.mixed(B64URL, 93)))
    }),
    tok("anthropic-admin-key", &["ANTHROPIC_ADMIN_KEY"], |r| w(format!("sk-ant-admin01-{}AA", r.mixed(B64URL, 93)))),
    tok("google-api-key", &["GOOGLE_API_KEY", "GEMINI_API_KEY", "FIREBASE_API_KEY", "MAPS_API_KEY"], |r| {
        w(format!("AIzaSy{}", r.mixed(B64URL, 33)))
    }),
    tok("groq-api-key", &["GROQ_API_KEY"], |r| w(format!("gsk_{}", r.alnum(52)))),
    tok("huggingface-token", &["HF_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HUGGING_FACE_HUB_TOKEN"], |r| {
        w(format!("hf_{}", r.mixed(LETTERS, 34)))
    }),
    tok("huggingface-org-token", &["HF_ORG_TOKEN"], |r| w(format!("api_org_{}", r.mixed(LETTERS, 34)))),
    tok("replicate-api-token", &["REPLICATE_API_TOKEN"], |r| w(format!("r8_{}", r.alnum(37)))),
    tok("perplexity-api-key", &["PERPLEXITY_API_KEY", "PPLX_API_KEY"], |r| w(format!("pplx-{}", r.alnum(48)))),
    tok("xai-api-key", &["XAI_API_KEY", "GROK_API_KEY"], |r| w(format!("xai-{}", r.alnum(80)))),
    tok("openrouter-api-key", &["OPENROUTER_API_KEY"], |r| w(format!("sk-or-v1-{}", r.hex(64)))),
    ctx("cohere-api-key", &["COHERE_API_KEY", "CO_API_KEY"], |r| w(r.alnum(40))),
    ctx("mistral-api-key", &["MISTRAL_API_KEY"], |r| w(r.alnum(32))),
    ctx("deepseek-api-key", &["DEEPSEEK_API_KEY"], |r| w(format!("sk-{}", r.hex(32)))),
    ctx("together-api-key", &["TOGETHER_API_KEY", "TOGETHERAI_API_KEY"], |r| hex(r, 64)),
    tok("together-api-key-v1", &["TOGETHER_API_KEY"], |r| w(format!("tgp_v1_{}", r.mixed(B64URL, 43)))),
    ctx("fireworks-api-key", &["FIREWORKS_API_KEY"], |r| w(format!("fw_{}", r.alnum(24)))),
    ctx("elevenlabs-api-key", &["ELEVENLABS_API_KEY", "ELEVEN_API_KEY", "XI_API_KEY"], |r| {
        w(format!("sk_{}", r.hex(48)))
    }),
    tok("langsmith-api-key", &["LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"], |r| {
        w(format!("lsv2_{}_{}_{}", r.pick(&["pt", "sk"]), r.hex(32), r.hex(10)))
    }),
    tok("langfuse-secret-key", &["LANGFUSE_SECRET_KEY"], |r| w(format!("sk-lf-{}", r.uuid()))),
    ctx("azure-openai-key", &["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY"], |r| hex(r, 32)),
    // --- cloud ---------------------------------------------------------------------------
    tok("aws-access-key-id", &["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"], |r| {
        w(format!("{}{}", r.pick(&["AKIA", "AKIA", "ASIA"]), r.mixed(BASE32, 16)))
    }),
    ctx("aws-secret-access-key", &["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"], |r| w(aws_secret(r))),
    block("aws-credentials", blocks::aws_credentials),
    tok("gcp-oauth-client-secret", &["GOOGLE_CLIENT_SECRET", "OAUTH_CLIENT_SECRET"], |r| {
        w(format!("GOCSPX-{}", r.mixed(B64URL, 28)))
    }),
    tok("google-oauth-access-token", &["GOOGLE_ACCESS_TOKEN", "ACCESS_TOKEN"], |r| {
        w(format!("ya29.a0{}", {
            let n_ = r.range(140, 200);
            r.mixed(B64URL, n_)
        }))
    }),
    ctx("google-oauth-refresh-token", &["GOOGLE_REFRESH_TOKEN", "GMAIL_REFRESH_TOKEN"], |r| {
        w(format!("1//0{}", r.mixed(B64URL, 99)))
    }),
    block("gcp-service-account", blocks::gcp_service_account),
    tok("azure-storage-connection-string", &["AZURE_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage"], |r| {
        let before = format!("DefaultEndpointsProtocol=https;AccountName={};AccountKey=", azure_account(r));
        Val::parts(&before, &r.b64_bytes(64), ";EndpointSuffix=core.windows.net")
    }),
    ctx("azure-storage-account-key", &["AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT_KEY", "STORAGE_ACCOUNT_KEY"], |r| {
        w(r.b64_bytes(64))
    }),
    tok("azure-sas-token", &["AZURE_BLOB_SAS_URL", "SAS_URL"], |r| {
        let before = format!(
            "https://{}.blob.core.windows.net/{}?sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2026-0{}-1{}T0{}:00:00Z&st=2025-01-01T00:00:00Z&spr=https&sig=",
            azure_account(r),
            r.pick(&["uploads", "exports", "backups"]),
            r.range(1, 9),
            r.range(0, 9),
            r.range(0, 9)
        );
        let sig = r.b64_bytes(32).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
        Val::parts(&before, &sig, "")
    }),
    tok("azure-service-bus-connection-string", &["SERVICEBUS_CONNECTION_STRING", "EVENTHUB_CONNECTION_STRING"], |r| {
        let before = format!(
            "Endpoint=sb://{}-{}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=",
            r.pick(&["orders", "events", "telemetry"]),
            r.string(ALNUM_LOWER, 5)
        );
        Val::parts(&before, &r.b64_bytes(32), "")
    }),
    ctx("azure-client-secret", &["AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", "AAD_CLIENT_SECRET"], |r| {
        w(format!(
            "{}{}Q~{}",
            r.alnum(3),
            r.range(7, 8),
            r.mixed(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-", 34)
        ))
    }),
    tok("digitalocean-token", &["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DO_TOKEN"], |r| {
        w(format!("{}{}", r.pick(&["dop_v1_", "dop_v1_", "doo_v1_", "dor_v1_"]), r.hex(64)))
    }),
    tok("alibaba-access-key-id", &["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"], |r| {
        let n = if r.chance(80) { 20 } else { 12 };
        w(format!("LTAI{}", r.alnum(n)))
    }),
    block("alibaba-credentials", blocks::alibaba_credentials),
    tok("tencent-secret-id", &["TENCENTCLOUD_SECRET_ID"], |r| w(format!("AKID{}", r.alnum(32)))),
    ctx("tencent-secret-key", &["TENCENTCLOUD_SECRET_KEY"], |r| w(r.alnum(32))),
    ctx("ibm-cloud-api-key", &["IBMCLOUD_API_KEY", "IBM_CLOUD_API_KEY", "IC_API_KEY"], |r| w(r.mixed(B64URL, 44))),
    tok("yandex-api-key", &["YC_API_KEY", "YANDEX_API_KEY"], |r| w(format!("AQVN{}", r.mixed(B64URL, 36)))),
    tok("heroku-api-key", &["HEROKU_API_KEY"], |r| w(format!("HRKU-AA{}", r.mixed(B64URL, 58)))),
    ctx("heroku-api-key-legacy", &["HEROKU_API_KEY", "HEROKU_AUTH_TOKEN"], |r| w(r.uuid())),
    tok("netlify-token", &["NETLIFY_AUTH_TOKEN"], |r| w(format!("nfp_{}", r.alnum(36)))),
    ctx("netlify-token-legacy", &["NETLIFY_AUTH_TOKEN", "NETLIFY_TOKEN"], |r| w(r.mixed(B64URL, 43))),
    ctx("vercel-token", &["VERCEL_TOKEN", "VERCEL_ACCESS_TOKEN"], |r| w(r.alnum(24))),
    tok("flyio-token", &["FLY_API_TOKEN", "FLY_ACCESS_TOKEN"], |r| w(format!("fo1_{}", r.mixed(B64URL, 43)))),
    tok("flyio-macaroon", &["FLY_API_TOKEN"], flyio_macaroon),
    ctx("cloudflare-api-token", &["CLOUDFLARE_API_TOKEN", "CF_API_TOKEN"], |r| w(r.mixed(B64URL, 40))),
    ctx("cloudflare-global-api-key", &["CLOUDFLARE_API_KEY", "CF_API_KEY"], |r| hex(r, 37)),
    tok("cloudflare-origin-ca-key", &["CF_ORIGIN_CA_KEY"], |r| w(format!("v1.0-{}-{}", r.hex(24), r.hex(146)))),
    tok("vault-token", &["VAULT_TOKEN"], |r| {
        if r.chance(70) {
            w(format!("hvs.CAESI{}", r.mixed(B64URL, 90)))
        } else {
            w(format!("hvb.AAAAAQ{}", r.mixed(B64URL, 130)))
        }
    }),
    tok("terraform-cloud-token", &["TFE_TOKEN", "TF_TOKEN_app_terraform_io", "TF_API_TOKEN"], |r| {
        w(format!("{}.atlasv1.{}", r.alnum(14), r.mixed(B64URL, 67)))
    }),
    tok("doppler-token", &["DOPPLER_TOKEN"], |r| {
        w(format!("dp.{}.{}", r.pick(&["pt", "st", "sa", "ct", "scim", "audit"]), r.alnum(43)))
    }),
    tok("pulumi-access-token", &["PULUMI_ACCESS_TOKEN"], |r| w(format!("pul-{}", r.hex(40)))),
    tok("databricks-token", &["DATABRICKS_TOKEN"], |r| {
        let suffix = if r.chance(30) { "-2" } else { "" };
        w(format!("dapi{}{suffix}", r.hex(32)))
    }),
    tok("snowflake-uri", &["SNOWFLAKE_URL", "SNOWFLAKE_DSN"], |r| {
        let before = format!("snowflake://{}:", r.pick(&["ETL_USER", "analyst", "dbt_runner"]));
        let after = format!(
            "@{}-{}/ANALYTICS/PUBLIC?warehouse=COMPUTE_WH&role=TRANSFORMER",
            r.string(rng::UPPER, 7),
            r.string(rng::UPPER, 7)
        );
        Val::parts(&before, &url_password(r), &after)
    }),
    tok("supabase-access-token", &["SUPABASE_ACCESS_TOKEN"], |r| w(format!("sbp_{}", r.hex(40)))),
    tok("planetscale-token", &["PLANETSCALE_SERVICE_TOKEN", "PLANETSCALE_TOKEN", "DATABASE_PASSWORD"], |r| {
        w(format!("{}{}", r.pick(&["pscale_tkn_", "pscale_pw_", "pscale_oauth_"]), r.mixed(B64URL, 43)))
    }),
    ctx("mongodb-atlas-private-key", &["MONGODB_ATLAS_PRIVATE_KEY", "ATLAS_PRIVATE_KEY"], |r| w(r.uuid())),
    tok("firebase-fcm-server-key", &["FCM_SERVER_KEY", "FIREBASE_SERVER_KEY"], |r| {
        w(format!("AAAA{}:APA91b{}", r.mixed(B64URL, 7), r.mixed(B64URL, 134)))
    }),
    ctx("algolia-admin-key", &["ALGOLIA_ADMIN_API_KEY", "ALGOLIA_ADMIN_KEY", "ALGOLIA_WRITE_API_KEY"], |r| hex(r, 32)),
    ctx("okta-api-token", &["OKTA_API_TOKEN", "OKTA_TOKEN"], |r| w(format!("00{}", r.mixed(B64URL, 40)))),
    ctx("confluent-api-secret", &["CONFLUENT_CLOUD_API_SECRET", "CONFLUENT_API_SECRET"], |r| w(r.mixed(B64, 64))),
    // --- observability ---------------------------------------------------------------------
    ctx("datadog-api-key", &["DD_API_KEY", "DATADOG_API_KEY"], |r| hex(r, 32)),
    ctx("datadog-app-key", &["DD_APP_KEY", "DATADOG_APP_KEY", "DD_APPLICATION_KEY"], |r| hex(r, 40)),
    tok("newrelic-user-key", &["NEW_RELIC_API_KEY", "NEWRELIC_API_KEY"], |r| {
        w(format!("NRAK-{}", r.mixed(ALNUM_UPPER, 27)))
    }),
    tok("newrelic-insert-key", &["NEW_RELIC_INSERT_KEY"], |r| w(format!("NRII-{}", r.mixed(B64URL, 32)))),
    tok("sentry-auth-token", &["SENTRY_AUTH_TOKEN"], sentry_org_token),
    tok("sentry-user-token", &["SENTRY_AUTH_TOKEN", "SENTRY_TOKEN"], |r| w(format!("sntryu_{}", r.hex(64)))),
    tok("sentry-dsn", &["SENTRY_DSN", "NEXT_PUBLIC_SENTRY_DSN"], |r| {
        let after = format!("@o{}.ingest.{}sentry.io/{}", r.digits(7), r.pick(&["", "us.", "de."]), r.digits(7));
        Val::parts("https://", &r.hex(32), &after)
    }),
    tok("grafana-cloud-token", &["GRAFANA_CLOUD_API_KEY", "GRAFANA_TOKEN"], grafana_cloud),
    tok("grafana-service-account-token", &["GRAFANA_SERVICE_ACCOUNT_TOKEN", "GRAFANA_API_KEY"], |r| {
        w(format!("glsa_{}_{}", r.alnum(32), r.hex(8)))
    }),
    ctx("pagerduty-api-key", &["PAGERDUTY_API_KEY", "PAGERDUTY_TOKEN", "PD_API_KEY"], |r| {
        let body = r.mixed(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 18);
        w(format!("{}{body}", if r.chance(60) { "u+".to_string() } else { r.alnum(2) }))
    }),
    tok("dynatrace-token", &["DT_API_TOKEN", "DYNATRACE_API_TOKEN"], |r| {
        w(format!("dt0c01.{}.{}", r.mixed(ALNUM_UPPER, 24), r.mixed(ALNUM_UPPER, 64)))
    }),
    ctx("launchdarkly-sdk-key", &["LAUNCHDARKLY_SDK_KEY", "LD_SDK_KEY"], |r| w(format!("sdk-{}", r.uuid()))),
    ctx("launchdarkly-access-token", &["LAUNCHDARKLY_ACCESS_TOKEN", "LD_API_KEY"], |r| w(format!("api-{}", r.uuid()))),
    // --- productivity and SaaS --------------------------------------------------------------
    tok("linear-api-key", &["LINEAR_API_KEY"], |r| w(format!("lin_api_{}", r.alnum(40)))),
    tok("notion-token", &["NOTION_TOKEN", "NOTION_API_KEY"], |r| w(format!("ntn_{}{}", r.digits(11), r.alnum(35)))),
    ctx("notion-token-legacy", &["NOTION_TOKEN", "NOTION_API_KEY", "NOTION_SECRET"], |r| {
        w(format!("secret_{}", r.alnum(43)))
    }),
    tok("postman-api-key", &["POSTMAN_API_KEY"], |r| w(format!("PMAK-{}-{}", r.hex(24), r.hex(34)))),
    tok("figma-token", &["FIGMA_TOKEN", "FIGMA_ACCESS_TOKEN"], |r| w(format!("figd_{}", r.mixed(B64URL, 40)))),
    tok("airtable-pat", &["AIRTABLE_API_KEY", "AIRTABLE_TOKEN"], |r| w(format!("pat{}.{}", r.alnum(14), r.hex(64)))),
    tok("dropbox-token", &["DROPBOX_ACCESS_TOKEN", "DROPBOX_TOKEN"], |r| {
        w(format!("sl.{}{}", r.pick(&["", "u."]), {
            let n_ = r.range(130, 140);
            r.mixed(B64URL, n_)
        }))
    }),
    tok("hubspot-pat", &["HUBSPOT_ACCESS_TOKEN", "HUBSPOT_PRIVATE_APP_TOKEN"], |r| {
        w(format!("pat-{}-{}", r.pick(&["na1", "eu1", "na2"]), r.uuid()))
    }),
    tok("mapbox-secret-token", &["MAPBOX_SECRET_TOKEN", "MAPBOX_DOWNLOADS_TOKEN"], mapbox),
    ctx("asana-pat", &["ASANA_ACCESS_TOKEN", "ASANA_PAT"], |r| {
        w(format!("2/{}/{}:{}", r.digits(16), r.digits(16), r.hex(32)))
    }),
    ctx("clickup-token", &["CLICKUP_API_TOKEN", "CLICKUP_TOKEN"], |r| {
        w(format!("pk_{}_{}", r.digits(8), r.mixed(ALNUM_UPPER, 32)))
    }),
    tok("trello-token", &["TRELLO_TOKEN"], |r| w(format!("ATTA{}{}", r.hex(64), r.string(HEX_UPPER, 8)))),
    ctx("zendesk-api-token", &["ZENDESK_API_TOKEN", "ZENDESK_TOKEN"], |r| w(r.alnum(40))),
    ctx("intercom-access-token", &["INTERCOM_ACCESS_TOKEN", "INTERCOM_TOKEN"], |r| {
        w(format!("dG9rOj{}", r.mixed(B64, 54)))
    }),
    tok("contentful-pat", &["CONTENTFUL_MANAGEMENT_TOKEN"], |r| w(format!("CFPAT-{}", r.mixed(B64URL, 43)))),
    tok("tailscale-key", &["TS_AUTHKEY", "TAILSCALE_API_KEY"], |r| {
        w(format!("tskey-{}-{}CNTRL-{}", r.pick(&["auth", "api", "client"]), r.alnum(12), r.alnum(33)))
    }),
    ctx("ngrok-authtoken", &["NGROK_AUTHTOKEN", "NGROK_AUTH_TOKEN"], |r| w(format!("{}_{}", r.alnum(27), r.alnum(21)))),
    tok("prefect-api-key", &["PREFECT_API_KEY"], |r| w(format!("pnu_{}", r.alnum(36)))),
    tok("infracost-api-key", &["INFRACOST_API_KEY"], |r| w(format!("ico-{}", r.alnum(32)))),
    tok("readme-api-key", &["README_API_KEY"], |r| w(format!("rdme_{}", r.mixed(ALNUM_LOWER, 70)))),
    tok("frameio-token", &["FRAMEIO_TOKEN"], |r| w(format!("fio-u-{}", r.mixed(B64URL, 64)))),
    tok("adafruit-io-key", &["ADAFRUIT_IO_KEY", "AIO_KEY"], |r| w(format!("aio_{}", r.alnum(28)))),
    tok("scalingo-token", &["SCALINGO_API_TOKEN"], |r| w(format!("tk-us-{}", r.mixed(B64URL, 48)))),
    tok("onepassword-service-account-token", &["OP_SERVICE_ACCOUNT_TOKEN"], onepassword),
    // --- payments -----------------------------------------------------------------------------
    tok("stripe-secret-key", &["STRIPE_SECRET_KEY", "STRIPE_API_KEY"], |r| {
        w(format!("sk_live_{}", {
            let n_ = r.pick_owned(&[24, 99]);
            r.alnum(n_)
        }))
    }),
    tok("stripe-restricted-key", &["STRIPE_RESTRICTED_KEY", "STRIPE_SECRET_KEY"], |r| {
        w(format!("rk_live_{}", {
            let n_ = r.pick_owned(&[24, 99]);
            r.alnum(n_)
        }))
    }),
    tok("stripe-webhook-secret", &["STRIPE_WEBHOOK_SECRET"], |r| w(format!("whsec_{}", r.alnum(32)))),
    ctx("square-access-token", &["SQUARE_ACCESS_TOKEN"], |r| w(format!("EAAA{}", r.mixed(B64URL, 60)))),
    tok("square-oauth-secret", &["SQUARE_APPLICATION_SECRET", "SQUARE_OAUTH_SECRET"], |r| {
        w(format!("sq0csp-{}", r.mixed(B64URL, 43)))
    }),
    tok("square-legacy-token", &["SQUARE_ACCESS_TOKEN"], |r| w(format!("sq0atp-{}", r.mixed(B64URL, 22)))),
    tok("braintree-access-token", &["BRAINTREE_ACCESS_TOKEN", "PAYPAL_ACCESS_TOKEN"], |r| {
        w(format!("access_token$production${}${}", r.mixed(ALNUM_LOWER, 16), r.hex(32)))
    }),
    ctx("paypal-client-secret", &["PAYPAL_CLIENT_SECRET", "PAYPAL_SECRET"], |r| w(r.mixed(B64URL, 80))),
    tok("shopify-token", &["SHOPIFY_ACCESS_TOKEN", "SHOPIFY_ADMIN_API_TOKEN", "SHOPIFY_API_SECRET"], |r| {
        w(format!("{}{}", r.pick(&["shpat_", "shpca_", "shppa_", "shpss_"]), r.hex(32)))
    }),
    tok("shippo-token", &["SHIPPO_API_TOKEN"], |r| w(format!("shippo_live_{}", r.hex(40)))),
    tok("flutterwave-secret-key", &["FLW_SECRET_KEY"], |r| w(format!("FLWSECK-{}-X", r.hex(32)))),
    ctx("razorpay-key-secret", &["RAZORPAY_KEY_SECRET", "RAZORPAY_SECRET"], |r| w(r.alnum(24))),
    ctx("plaid-secret", &["PLAID_SECRET"], |r| hex(r, 30)),
    // --- messaging ------------------------------------------------------------------------------
    tok("slack-bot-token", &["SLACK_BOT_TOKEN", "SLACK_TOKEN"], |r| {
        w(format!(
            "xoxb-{}-{}-{}",
            {
                let n_ = r.range(10, 13);
                r.digits(n_)
            },
            {
                let n_ = r.range(10, 13);
                r.digits(n_)
            },
            r.alnum(24)
        ))
    }),
    tok("slack-user-token", &["SLACK_USER_TOKEN", "SLACK_TOKEN"], |r| {
        w(format!(
            "xoxp-{}-{}-{}-{}",
            {
                let n_ = r.range(10, 13);
                r.digits(n_)
            },
            {
                let n_ = r.range(10, 13);
                r.digits(n_)
            },
            r.digits(13),
            r.hex(32)
        ))
    }),
    tok("slack-app-token", &["SLACK_APP_TOKEN"], |r| {
        w(format!("xapp-1-A{}-{}-{}", r.mixed(ALNUM_UPPER, 10), r.digits(13), r.hex(64)))
    }),
    tok("slack-webhook", &["SLACK_WEBHOOK_URL", "SLACK_WEBHOOK"], |r| {
        let before =
            format!("https://hooks.slack.com/services/T{}/B{}/", r.mixed(ALNUM_UPPER, 10), r.mixed(ALNUM_UPPER, 10));
        Val::parts(&before, &r.alnum(24), "")
    }),
    tok("discord-webhook", &["DISCORD_WEBHOOK_URL", "DISCORD_WEBHOOK"], |r| {
        let before = format!("https://{}/api/webhooks/{}/", r.pick(&["discord.com", "discordapp.com"]), r.digits(19));
        Val::parts(&before, &r.mixed(B64URL, 68), "")
    }),
    ctx("discord-bot-token", &["DISCORD_TOKEN", "DISCORD_BOT_TOKEN"], |r| {
        let id = {
            let n_ = r.range(18, 19);
            r.digits(n_)
        };
        let id64 = rng::b64(id.as_bytes());
        w(format!("{}.{}.{}", id64.trim_end_matches('='), r.mixed(B64URL, 6), r.mixed(B64URL, 38)))
    }),
    ctx("telegram-bot-token", &["TELEGRAM_BOT_TOKEN", "TELEGRAM_TOKEN", "TG_BOT_TOKEN"], |r| {
        w(format!(
            "{}:AA{}",
            {
                let n_ = r.range(9, 10);
                r.digits(n_)
            },
            r.mixed(B64URL, 33)
        ))
    }),
    tok("teams-webhook", &["TEAMS_WEBHOOK_URL", "MS_TEAMS_WEBHOOK"], |r| {
        let before = format!(
            "https://{}.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/",
            r.pick(&["contoso", "acmecorp", "fabrikam"]),
            r.uuid(),
            r.uuid()
        );
        Val::parts(&before, &format!("{}/{}", r.hex(32), r.uuid()), "")
    }),
    ctx("twilio-api-key", &["TWILIO_API_KEY", "TWILIO_API_KEY_SID"], |r| w(format!("SK{}", r.hex(32)))),
    ctx("twilio-auth-token", &["TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET"], |r| hex(r, 32)),
    tok("sendgrid-api-key", &["SENDGRID_API_KEY"], |r| {
        w(format!("SG.{}.{}", r.mixed(B64URL, 22), r.mixed(B64URL, 43)))
    }),
    ctx("mailgun-api-key", &["MAILGUN_API_KEY", "MAILGUN_KEY"], |r| {
        if r.chance(50) {
            w(format!("key-{}", r.hex(32)))
        } else {
            w(format!("{}-{}-{}", r.hex(32), r.hex(8), r.hex(8)))
        }
    }),
    ctx("mailchimp-api-key", &["MAILCHIMP_API_KEY", "MAILCHIMP_KEY"], |r| {
        w(format!("{}-us{}", r.hex(32), r.range(1, 21)))
    }),
    tok("brevo-api-key", &["BREVO_API_KEY", "SENDINBLUE_API_KEY"], |r| {
        w(format!("xkeysib-{}-{}", r.hex(64), r.alnum(16)))
    }),
    tok("mailersend-api-key", &["MAILERSEND_API_KEY"], |r| w(format!("mlsn.{}", r.hex(64)))),
    ctx("postmark-server-token", &["POSTMARK_SERVER_TOKEN", "POSTMARK_API_TOKEN"], |r| w(r.uuid())),
    ctx("resend-api-key", &["RESEND_API_KEY"], |r| w(format!("re_{}_{}", r.alnum(8), r.alnum(24)))),
    ctx("twitter-bearer-token", &["TWITTER_BEARER_TOKEN", "X_BEARER_TOKEN"], twitter_bearer),
    ctx("facebook-access-token", &["FACEBOOK_ACCESS_TOKEN", "FB_ACCESS_TOKEN", "META_ACCESS_TOKEN"], |r| {
        w(format!("EAA{}{}", r.pick(&["B", "G", "J", "C"]), {
            let n_ = r.range(150, 200);
            r.alnum(n_)
        }))
    }),
    // --- keys, tokens and structured secrets ------------------------------------------------
    tok("jwt", &["JWT", "ACCESS_TOKEN", "ID_TOKEN", "SUPABASE_SERVICE_ROLE_KEY", "AUTH_TOKEN"], jwt),
    tok("age-secret-key", &["SOPS_AGE_KEY", "AGE_SECRET_KEY"], age_key),
    block("private-key-rsa", blocks::pem_rsa),
    block("private-key-ec", blocks::pem_ec),
    block("private-key-openssh", blocks::pem_openssh),
    block("private-key-pkcs8", blocks::pem_pkcs8),
    block("private-key-encrypted", blocks::pem_encrypted),
    block("private-key-dsa", blocks::pem_dsa),
    block("pgp-private-key", blocks::pem_pgp),
    block("kubeconfig-client-key", blocks::kubeconfig),
    block("wireguard-private-key", blocks::wireguard),
    block("http-bearer-token", blocks::bearer),
    block("http-basic-auth", blocks::basic),
    block("docker-config-auth", blocks::docker_config),
    ctx(
        "generic-password",
        &[
            "PASSWORD",
            "DB_PASSWORD",
            "POSTGRES_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "ADMIN_PASSWORD",
            "SMTP_PASSWORD",
            "REDIS_PASSWORD",
            "db_pass",
            "passwd",
        ],
        |r| w(password(r)),
    ),
    ctx(
        "generic-secret",
        &[
            "SECRET_KEY",
            "JWT_SECRET",
            "SESSION_SECRET",
            "APP_SECRET",
            "CLIENT_SECRET",
            "WEBHOOK_SECRET",
            "ENCRYPTION_KEY",
            "SIGNING_SECRET",
            "NEXTAUTH_SECRET",
            "COOKIE_SECRET",
        ],
        |r| w(random_secret(r)),
    ),
    ctx(
        "generic-api-key",
        &[
            "API_KEY",
            "X_API_KEY",
            "SERVICE_API_KEY",
            "INTERNAL_API_KEY",
            "API_TOKEN",
            "AUTH_TOKEN",
            "ACCESS_TOKEN",
            "PRIVATE_TOKEN",
        ],
        |r| w(random_secret(r)),
    ),
    ctx("django-secret-key", &["SECRET_KEY", "DJANGO_SECRET_KEY"], |r| {
        let first = r.string(rng::LOWER, 1);
        w(format!("{first}{}", r.mixed(b"abcdefghijklmnopqrstuvwxyz0123456789!@%^&*(-_=+)", 49)))
    }),
    ctx("laravel-app-key", &["APP_KEY"], |r| Val::parts("base64:", &r.b64_bytes(32), "")),
    ctx(
        "ethereum-private-key",
        &["PRIVATE_KEY", "WALLET_PRIVATE_KEY", "DEPLOYER_PRIVATE_KEY", "ETH_PRIVATE_KEY"],
        |r| w(format!("0x{}", r.hex(64))),
    ),
    tok("postgres-uri", &["DATABASE_URL", "POSTGRES_URL", "PG_DSN", "SQLALCHEMY_DATABASE_URI"], |r| {
        let scheme = r.pick(&["postgres", "postgresql", "postgresql+psycopg2", "postgresql+asyncpg"]);
        db_uri(r, scheme, 5432, "/app")
    }),
    tok("mysql-uri", &["DATABASE_URL", "MYSQL_URL"], |r| {
        let scheme = r.pick(&["mysql", "mysql+pymysql", "mariadb"]);
        db_uri(r, scheme, 3306, "/shop?charset=utf8mb4")
    }),
    tok("mongodb-uri", &["MONGODB_URI", "MONGO_URL", "DATABASE_URL"], |r| {
        let before = format!("mongodb+srv://{}:", user(r));
        let after = format!("@cluster0.{}.mongodb.net/?retryWrites=true&w=majority", r.string(ALNUM_LOWER, 5));
        if r.chance(70) {
            Val::parts(&before, &url_password(r), &after)
        } else {
            db_uri(r, "mongodb", 27017, "/admin?authSource=admin")
        }
    }),
    tok("redis-uri", &["REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"], |r| {
        let scheme = r.pick(&["redis", "rediss"]);
        if r.chance(50) {
            let after = format!("@{}:6379/0", host(r));
            Val::parts(&format!("{scheme}://:"), &url_password(r), &after)
        } else {
            db_uri(r, scheme, 6379, "/0")
        }
    }),
    tok("amqp-uri", &["AMQP_URL", "RABBITMQ_URL", "BROKER_URL"], |r| {
        let scheme = r.pick(&["amqp", "amqps"]);
        db_uri(r, scheme, 5672, "/vhost")
    }),
    tok("url-credentials", &["REPO_URL", "REGISTRY_URL", "PROXY_URL", "WEBDAV_URL"], |r| {
        let before = format!("https://{}:", r.pick(&["ci-bot", "deploy", "jenkins", "alice"]));
        let after = format!(
            "@{}/{}",
            r.pick(&["git.example.com", "registry.acme.io", "proxy.corp.local:3128", "files.example.org"]),
            r.pick(&["acme/api.git", "v2/", "", "dav/"])
        );
        Val::parts(&before, &url_password(r), &after)
    }),
    tok("jdbc-url", &["JDBC_URL", "SPRING_DATASOURCE_URL"], |r| {
        let before = format!(
            "jdbc:{}://{}:{}/orders?user={}&password=",
            r.pick(&["mysql", "postgresql", "mariadb"]),
            host(r),
            r.pick(&["3306", "5432"]),
            user(r)
        );
        Val::parts(&before, &url_password(r), "&ssl=true")
    }),
    tok("mssql-connection-string", &["ConnectionStrings__Default", "SQL_CONNECTION_STRING", "DB_CONNECTION"], |r| {
        let before = format!(
            "Server=tcp:{}.database.windows.net,1433;Initial Catalog=appdb;User ID={};Password=",
            r.pick(&["sql-prod", "acme-sql", "orders-db"]),
            user(r)
        );
        Val::parts(&before, &url_password(r), ";Encrypt=True;TrustServerCertificate=False;")
    }),
];

/// Names of every spec, for reports.
pub fn kind_names() -> Vec<&'static str> {
    SPECS.iter().map(|s| s.name).collect()
}

/// Picks specs in shuffled rounds, so every kind appears about equally often.
pub(crate) struct Picker {
    seed: u64,
}

impl Picker {
    pub fn new(seed: u64) -> Picker {
        Picker { seed }
    }

    pub fn spec(&self, k: usize) -> &'static Spec {
        let n = SPECS.len();
        let round = k / n;
        let mut order: Vec<usize> = (0..n).collect();
        Rng::derive(self.seed, 6, round as u64).shuffle(&mut order);
        &SPECS[order[k % n]]
    }
}

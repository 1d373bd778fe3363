//! Secrets that come with their own surrounding text: PEM blocks in their usual homes,
//! service-account JSON, credential files, kubeconfigs, HTTP headers.

use super::formats::{aws_secret, url_password};
use super::rng::{self, Rng, ALNUM, B64URL, BASE32, HEX_UPPER};
use super::{negatives, text, Builder};

fn wrap(s: &str, width: usize) -> String {
    s.as_bytes().chunks(width).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\n")
}

fn pem(label: &str, headers: &str, der: &[u8], width: usize) -> String {
    format!("-----BEGIN {label}-----\n{headers}{}\n-----END {label}-----", wrap(&rng::b64(der), width))
}

fn der(r: &mut Rng, prefix: &[u8], total: usize) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend(r.bytes(total.saturating_sub(prefix.len())));
    v
}

pub(crate) fn rsa_pem(r: &mut Rng) -> String {
    let d = if r.chance(60) {
        der(r, &[0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00], 1192)
    } else {
        der(r, &[0x30, 0x82, 0x02, 0x5C, 0x02, 0x01, 0x00, 0x02, 0x81, 0x81, 0x00], 608)
    };
    pem("RSA PRIVATE KEY", "", &d, 64)
}

pub(crate) fn ec_pem(r: &mut Rng) -> String {
    let mut d = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    d.extend(r.bytes(32));
    d.extend([
        0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0xA1, 0x44, 0x03, 0x42, 0x00, 0x04,
    ]);
    d.extend(r.bytes(64));
    pem("EC PRIVATE KEY", "", &d, 64)
}

pub(crate) fn pkcs8_pem(r: &mut Rng) -> String {
    let rsa = r.chance(70);
    pkcs8(r, rsa)
}

fn pkcs8(r: &mut Rng, rsa: bool) -> String {
    let d = if rsa {
        der(
            r,
            &[
                0x30, 0x82, 0x04, 0xBE, 0x02, 0x01, 0x00, 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x82, 0x04, 0xA8, 0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00,
            ],
            1218,
        )
    } else {
        // Ed25519: a single line of base64.
        der(r, &[0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20], 48)
    };
    pem("PRIVATE KEY", "", &d, 64)
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend((s.len() as u32).to_be_bytes());
    out.extend(s);
}

pub(crate) fn openssh_pem(r: &mut Rng) -> String {
    let mut d = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut d, b"none");
    ssh_string(&mut d, b"none");
    ssh_string(&mut d, b"");
    d.extend(1u32.to_be_bytes());
    if r.chance(75) {
        let mut public = Vec::new();
        ssh_string(&mut public, b"ssh-ed25519");
        ssh_string(&mut public, &r.bytes(32));
        ssh_string(&mut d, &public);
        d.extend(r.bytes(144));
    } else {
        let mut public = Vec::new();
        ssh_string(&mut public, b"ssh-rsa");
        ssh_string(&mut public, &[1, 0, 1]);
        ssh_string(&mut public, &r.bytes(385));
        ssh_string(&mut d, &public);
        d.extend(r.bytes(1400));
    }
    pem("OPENSSH PRIVATE KEY", "", &d, 70)
}

fn encrypted_pem(r: &mut Rng) -> String {
    if r.chance(60) {
        let d = der(
            r,
            &[
                0x30, 0x82, 0x05, 0x1E, 0x30, 0x40, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D,
                0x30,
            ],
            1314,
        );
        pem("ENCRYPTED PRIVATE KEY", "", &d, 64)
    } else {
        let headers = format!("Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,{}\n\n", r.string(HEX_UPPER, 32));
        let d = r.bytes(1200);
        pem("RSA PRIVATE KEY", &headers, &d, 64)
    }
}

fn dsa_pem(r: &mut Rng) -> String {
    let d = der(r, &[0x30, 0x82, 0x01, 0xBB, 0x02, 0x01, 0x00, 0x02, 0x81, 0x81, 0x00], 447);
    pem("DSA PRIVATE KEY", "", &d, 64)
}

fn pgp_pem(r: &mut Rng) -> String {
    let comment = if r.chance(50) { "Comment: https://gnupg.org\n" } else { "" };
    let n = r.range(700, 1000);
    let d = der(r, &[0x95, 0x03, 0xC6, 0x04], n);
    let crc = rng::b64(&r.bytes(3));
    format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n{comment}\n{}\n={crc}\n-----END PGP PRIVATE KEY BLOCK-----",
        wrap(&rng::b64(&d), 64)
    )
}

/// Writes a PEM block in one of the places people keep them.
fn place_pem(r: &mut Rng, b: &mut Builder, pem: &str, kind: &'static str) {
    let name = r.pick(&["private_key", "ssh_key", "tls_key", "signing_key", "deploy_key"]);
    match r.below(9) {
        0 | 1 => {
            b.line(r.pick(&["Here is the key:", "Save this as `id_key`:", "Private key:", "The generated key:"]));
            let lang = r.pick(&["", "text", "pem", ""]);
            b.line(&format!("```{lang}"));
            b.secret(pem, kind);
            b.line("\n```");
        }
        2 => {
            b.line(&text::sentence(r));
            b.secret(pem, kind);
            b.push("\n");
        }
        3 => {
            b.line("```bash");
            b.line("cat > ~/.ssh/deploy_key <<'EOF'");
            b.secret(pem, kind);
            b.line("\nEOF");
            b.line("chmod 600 ~/.ssh/deploy_key");
            b.line("```");
        }
        4 => {
            b.line("```yaml");
            b.line("apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls-secret\ntype: Opaque\nstringData:");
            b.line(&format!("  {name}: |"));
            b.push("    ");
            b.secret(&pem.replace('\n', "\n    "), kind);
            b.line("\n```");
        }
        5 => {
            b.line("```json");
            b.push(&format!("{{\n  \"name\": \"deploy\",\n  \"{}\": \"", rng::case(name, rng::Case::Camel)));
            b.secret(&pem.replace('\n', "\\n"), kind);
            b.line("\\n\"\n}\n```");
        }
        6 => {
            let env = rng::case(name, rng::Case::Env);
            b.line("Add it to `.env` as a single line:");
            b.line("```dotenv");
            b.push(&format!("{env}=\""));
            b.secret(&pem.replace('\n', "\\n"), kind);
            b.line("\"\n```");
        }
        7 => {
            b.line("```python");
            b.push(&format!("{} = \"\"\"", rng::case(name, rng::Case::Env)));
            b.secret(pem, kind);
            b.line("\"\"\"\n```");
        }
        _ => {
            b.line("```hcl");
            b.line("resource \"tls_cert_request\" \"example\" {");
            b.push(&format!("  {name}_pem = <<EOT\n"));
            b.secret(pem, kind);
            b.line("\nEOT\n}\n```");
        }
    }
}

pub(crate) fn pem_rsa(r: &mut Rng, b: &mut Builder) {
    let p = rsa_pem(r);
    place_pem(r, b, &p, "private-key-rsa");
}
pub(crate) fn pem_ec(r: &mut Rng, b: &mut Builder) {
    let p = ec_pem(r);
    place_pem(r, b, &p, "private-key-ec");
}
pub(crate) fn pem_openssh(r: &mut Rng, b: &mut Builder) {
    let p = openssh_pem(r);
    place_pem(r, b, &p, "private-key-openssh");
}
pub(crate) fn pem_pkcs8(r: &mut Rng, b: &mut Builder) {
    let p = pkcs8_pem(r);
    place_pem(r, b, &p, "private-key-pkcs8");
}
pub(crate) fn pem_encrypted(r: &mut Rng, b: &mut Builder) {
    let p = encrypted_pem(r);
    place_pem(r, b, &p, "private-key-encrypted");
}
pub(crate) fn pem_dsa(r: &mut Rng, b: &mut Builder) {
    let p = dsa_pem(r);
    place_pem(r, b, &p, "private-key-dsa");
}
pub(crate) fn pem_pgp(r: &mut Rng, b: &mut Builder) {
    let p = pgp_pem(r);
    place_pem(r, b, &p, "pgp-private-key");
}

pub(crate) fn gcp_service_account(r: &mut Rng, b: &mut Builder) {
    let project = format!("{}-{}", r.pick(&["acme-prod", "data-platform", "ml-serving", "my-project"]), r.digits(6));
    let email = format!("{}@{project}.iam.gserviceaccount.com", r.pick(&["deployer", "ci-runner", "bigquery-reader"]));
    let key = pkcs8(r, true).replace('\n', "\\n");
    let fields_before =
        [("type", "service_account".to_string()), ("project_id", project.clone()), ("private_key_id", r.hex(40))];
    let fields_after = [
        ("client_email", email.clone()),
        ("client_id", r.digits(21)),
        ("auth_uri", "https://accounts.google.com/o/oauth2/auth".to_string()),
        ("token_uri", "https://oauth2.googleapis.com/token".to_string()),
        ("auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs".to_string()),
        (
            "client_x509_cert_url",
            format!("https://www.googleapis.com/robot/v1/metadata/x509/{}", email.replace('@', "%40")),
        ),
        ("universe_domain", "googleapis.com".to_string()),
    ];
    let compact = r.chance(30);
    let (open, sep, indent, close) = if compact { ("{", ",", "", "}") } else { ("{\n", ",\n", "  ", "\n}") };
    if compact {
        b.line("Set the whole key file as one environment variable:");
        b.line("```bash");
        b.push("export GOOGLE_CREDENTIALS_JSON='");
    } else {
        b.line(r.pick(&[
            "Your `service-account.json` should look like this:",
            "Here's the key file you downloaded:",
            "credentials.json:",
        ]));
        b.line("```json");
    }
    b.push(open);
    let sp = if compact { "" } else { " " };
    for (k, v) in &fields_before {
        b.push(&format!("{indent}\"{k}\":{sp}\"{v}\"{sep}"));
    }
    b.push(&format!("{indent}\"private_key\":{sp}\""));
    b.secret(&key, "gcp-service-account");
    b.push(&format!("\\n\"{sep}"));
    for (i, (k, v)) in fields_after.iter().enumerate() {
        let s = if i + 1 == fields_after.len() { "" } else { sep };
        b.push(&format!("{indent}\"{k}\":{sp}\"{v}\"{s}"));
    }
    b.push(close);
    if compact {
        b.push("'");
    }
    b.line("\n```");
}

fn cert_b64(r: &mut Rng) -> String {
    let d = der(r, &[0x30, 0x82, 0x03, 0x0D, 0x30, 0x82, 0x01, 0xF5, 0xA0, 0x03, 0x02, 0x01, 0x02], 785);
    rng::b64(format!("{}\n", pem("CERTIFICATE", "", &d, 64)).as_bytes())
}

pub(crate) fn kubeconfig(r: &mut Rng, b: &mut Builder) {
    let key = if r.chance(60) { ec_pem(r) } else { rsa_pem(r) };
    let key64 = rng::b64(format!("{key}\n").as_bytes());
    let cluster = r.pick(&["prod", "staging", "kind-dev", "gke-main"]);
    b.line("```yaml");
    b.line("apiVersion: v1\nclusters:\n- cluster:");
    b.line(&format!("    certificate-authority-data: {}", cert_b64(r)));
    b.line(&format!("    server: https://10.{}.0.1:6443\n  name: {cluster}", r.below(255)));
    b.line(&format!(
        "contexts:\n- context:\n    cluster: {cluster}\n    user: admin\n  name: {cluster}\ncurrent-context: {cluster}"
    ));
    b.line("kind: Config\nusers:\n- name: admin\n  user:");
    b.line(&format!("    client-certificate-data: {}", cert_b64(r)));
    b.push("    client-key-data: ");
    b.secret(&key64, "kubeconfig-client-key");
    b.line("\n```");
}

pub(crate) fn wireguard(r: &mut Rng, b: &mut Builder) {
    b.line(r.pick(&["Client config (`wg0.conf`):", "Here's the WireGuard config for the new peer:"]));
    b.line("```ini\n[Interface]");
    b.push("PrivateKey = ");
    b.secret(&r.b64_bytes(32), "wireguard-private-key");
    b.line(&format!("\nAddress = 10.8.0.{}/32\nDNS = 1.1.1.1\n\n[Peer]", r.range(2, 250)));
    b.line(&format!("PublicKey = {}", r.b64_bytes(32)));
    if r.chance(40) {
        b.push("PresharedKey = ");
        b.secret(&r.b64_bytes(32), "wireguard-private-key");
        b.push("\n");
    }
    b.line("AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = vpn.example.com:51820\nPersistentKeepalive = 25\n```");
}

fn opaque_token(r: &mut Rng) -> String {
    match r.below(4) {
        0 => r.alnum(40),
        1 => r.b64url_bytes(32),
        2 => format!("{}.{}", r.alnum(12), r.mixed(B64URL, 40)),
        _ => r.hex(64),
    }
}

pub(crate) fn bearer(r: &mut Rng, b: &mut Builder) {
    let tok = opaque_token(r);
    let scheme = if r.chance(85) { "Bearer" } else { "Token" };
    let kind = "http-bearer-token";
    let path = r.pick(&["/v1/orders", "/api/v2/users/me", "/v3/reports?limit=20", "/graphql"]);
    match r.below(5) {
        0 => {
            b.line("```bash");
            b.line(&format!("curl -sS https://api.example.com{path} \\"));
            b.push(&format!("  -H \"Authorization: {scheme} "));
            b.secret(&tok, kind);
            b.line("\" \\\n  -H \"Accept: application/json\"\n```");
        }
        1 => {
            b.line("```http");
            b.line(&format!("GET {path} HTTP/1.1\nHost: api.example.com"));
            b.push(&format!("Authorization: {scheme} "));
            b.secret(&tok, kind);
            b.line("\nAccept: application/json\n```");
        }
        2 => {
            b.line("```python\nimport requests\n");
            b.push(&format!("headers = {{\"Authorization\": \"{scheme} "));
            b.secret(&tok, kind);
            b.line(&format!("\"}}\nresp = requests.get(\"https://api.example.com{path}\", headers=headers, timeout=10)\nresp.raise_for_status()\n```"));
        }
        3 => {
            b.line("```javascript");
            b.line(&format!("const res = await fetch(\"https://api.example.com{path}\", {{\n  headers: {{"));
            b.push(&format!("    Authorization: \"{scheme} "));
            b.secret(&tok, kind);
            b.line("\",\n    \"Content-Type\": \"application/json\",\n  },\n});\n```");
        }
        _ => {
            b.push(&format!("The request that failed was sent with `Authorization: {scheme} "));
            b.secret(&tok, kind);
            b.line("` — the server answered 401.");
        }
    }
}

pub(crate) fn basic(r: &mut Rng, b: &mut Builder) {
    let u = r.pick(&["admin", "api", "jenkins", "grafana", "elastic"]);
    let pass = url_password(r);
    match r.below(4) {
        0 => {
            b.line("```bash");
            b.push(&format!("curl -u {u}:"));
            b.secret(&pass, "http-basic-auth");
            b.line(" https://search.example.com:9200/_cluster/health\n```");
        }
        1 => {
            let enc = rng::b64(format!("{u}:{pass}").as_bytes());
            b.line("```bash\ncurl https://jenkins.example.com/api/json \\");
            b.push("  -H \"Authorization: Basic ");
            b.secret(&enc, "http-basic-auth");
            b.line("\"\n```");
        }
        2 => {
            let enc = rng::b64(format!("{u}:{pass}").as_bytes());
            b.line("```http\nPOST /api/v1/import HTTP/1.1\nHost: grafana.example.com");
            b.push("Authorization: Basic ");
            b.secret(&enc, "http-basic-auth");
            b.line("\nContent-Type: application/json\n```");
        }
        _ => {
            b.line("```python");
            b.push(&format!("resp = requests.get(url, auth=(\"{u}\", \""));
            b.secret(&pass, "http-basic-auth");
            b.line("\"))\n```");
        }
    }
}

pub(crate) fn docker_config(r: &mut Rng, b: &mut Builder) {
    let reg = r.pick(&[
        "https://index.docker.io/v1/",
        "ghcr.io",
        "registry.example.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ]);
    let enc = rng::b64(format!("{}:{}", r.pick(&["ci", "deploy", "AWS"]), url_password(r)).as_bytes());
    b.line("`~/.docker/config.json`:\n```json\n{\n  \"auths\": {");
    b.push(&format!("    \"{reg}\": {{\n      \"auth\": \""));
    b.secret(&enc, "docker-config-auth");
    b.line("\"\n    }\n  }\n}\n```");
}

pub(crate) fn npmrc_legacy(r: &mut Rng, b: &mut Builder) {
    b.line(r.pick(&["Put this in your project's `.npmrc`:", "`.npmrc`:", "Your `~/.npmrc` should contain:"]));
    b.line("```ini");
    if r.chance(70) {
        b.push("//registry.npmjs.org/:_authToken=");
        b.secret(&r.uuid(), "npm-legacy-token");
    } else {
        let body = r.string(ALNUM, 30);
        let crc = crate::detect::validate::base62_crc32(body.as_bytes());
        b.line("@acme:registry=https://npm.pkg.github.com");
        b.push("//npm.pkg.github.com/:_authToken=");
        b.secret(&format!("ghp_{body}{}", String::from_utf8_lossy(&crc)), "github-pat");
    }
    b.line("\nalways-auth=true\n```");
}

fn session_token(r: &mut Rng) -> String {
    let mut raw: Vec<u8> = if r.chance(70) { b"!\n\torigin_ec".to_vec() } else { b"\x17\n\x06er/aws".to_vec() };
    let n = r.range(250, 500);
    raw.extend(r.bytes(n));
    rng::b64(&raw)
}

pub(crate) fn aws_credentials(r: &mut Rng, b: &mut Builder) {
    let temporary = r.chance(35);
    let id = format!("{}{}", if temporary { "ASIA" } else { "AKIA" }, r.mixed(BASE32, 16));
    let secret = aws_secret(r);
    let token = if temporary { Some(session_token(r)) } else { None };
    let (id_k, sk_k, st_k) = ("aws-access-key-id", "aws-secret-access-key", "aws-session-token");
    let region = r.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"]);
    match r.below(6) {
        0 => {
            b.line("`~/.aws/credentials`:\n```ini");
            b.line(&format!("[{}]", r.pick(&["default", "prod", "profile deploy"])));
            b.push("aws_access_key_id = ");
            b.secret(&id, id_k);
            b.push("\naws_secret_access_key = ");
            b.secret(&secret, sk_k);
            if let Some(t) = &token {
                b.push("\naws_session_token = ");
                b.secret(t, st_k);
            }
            b.line(&format!("\nregion = {region}\n```"));
        }
        1 => {
            b.line("```bash");
            b.push("export AWS_ACCESS_KEY_ID=");
            b.secret(&id, id_k);
            b.push("\nexport AWS_SECRET_ACCESS_KEY=");
            b.secret(&secret, sk_k);
            if let Some(t) = &token {
                b.push("\nexport AWS_SESSION_TOKEN=");
                b.secret(t, st_k);
            }
            b.line(&format!("\nexport AWS_DEFAULT_REGION={region}\naws s3 ls\n```"));
        }
        2 => {
            let t = token.unwrap_or_else(|| session_token(r));
            let id = format!("ASIA{}", &id[4..]);
            b.line("The `aws sts assume-role` output:\n```json\n{\n    \"Credentials\": {");
            b.push("        \"AccessKeyId\": \"");
            b.secret(&id, id_k);
            b.push("\",\n        \"SecretAccessKey\": \"");
            b.secret(&secret, sk_k);
            b.push("\",\n        \"SessionToken\": \"");
            b.secret(&t, st_k);
            b.line(&format!(
                "\",\n        \"Expiration\": \"2025-0{}-1{}T1{}:00:00+00:00\"\n    }},\n    \"AssumedRoleUser\": {{\n        \"AssumedRoleId\": \"AROA{}:session\",\n        \"Arn\": \"arn:aws:sts::{}:assumed-role/deploy/session\"\n    }}\n}}\n```",
                r.range(1, 9),
                r.range(0, 9),
                r.range(0, 9),
                r.string(BASE32, 17),
                r.digits(12)
            ));
        }
        3 => {
            b.line("```python\nimport boto3\n\ns3 = boto3.client(\n    \"s3\",");
            b.push("    aws_access_key_id=\"");
            b.secret(&id, id_k);
            b.push("\",\n    aws_secret_access_key=\"");
            b.secret(&secret, sk_k);
            b.line(&format!("\",\n    region_name=\"{region}\",\n)\n```"));
        }
        4 => {
            b.line("```javascript\nconst client = new S3Client({");
            b.line(&format!("  region: \"{region}\",\n  credentials: {{"));
            b.push("    accessKeyId: \"");
            b.secret(&id, id_k);
            b.push("\",\n    secretAccessKey: \"");
            b.secret(&secret, sk_k);
            b.line("\",\n  },\n});\n```");
        }
        _ => {
            b.line("```hcl\nprovider \"aws\" {");
            b.line(&format!("  region     = \"{region}\""));
            b.push("  access_key = \"");
            b.secret(&id, id_k);
            b.push("\"\n  secret_key = \"");
            b.secret(&secret, sk_k);
            b.line("\"\n}\n```");
        }
    }
}

pub(crate) fn alibaba_credentials(r: &mut Rng, b: &mut Builder) {
    let n = if r.chance(80) { 20 } else { 12 };
    let id = format!("LTAI{}", r.alnum(n));
    let secret = r.alnum(30);
    if r.chance(50) {
        b.line("```bash");
        b.push("export ALIBABA_CLOUD_ACCESS_KEY_ID=");
        b.secret(&id, "alibaba-access-key-id");
        b.push("\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET=");
        b.secret(&secret, "alibaba-access-key-secret");
        b.line("\naliyun ecs DescribeRegions\n```");
    } else {
        b.line("```python\nfrom alibabacloud_tea_openapi import models as open_api_models\n\nconfig = open_api_models.Config(");
        b.push("    access_key_id=\"");
        b.secret(&id, "alibaba-access-key-id");
        b.push("\",\n    access_key_secret=\"");
        b.secret(&secret, "alibaba-access-key-secret");
        b.line("\",\n    endpoint=\"ecs.cn-hangzhou.aliyuncs.com\",\n)\n```");
    }
}

/// Filler that a block-heavy document can use between sections (kept here to share helpers).
pub(crate) fn cert_block(r: &mut Rng, b: &mut Builder) {
    let d = der(r, &[0x30, 0x82, 0x03, 0x0D, 0x30, 0x82, 0x01, 0xF5, 0xA0, 0x03, 0x02, 0x01, 0x02], 785);
    b.line("The server certificate (public, safe to share):\n```");
    b.line(&pem("CERTIFICATE", "", &d, 64));
    b.line("```");
    negatives::maybe_sentence(r, b);
}

pub(crate) fn public_key_block(r: &mut Rng, b: &mut Builder) {
    let mut d = vec![
        0x30, 0x82, 0x01, 0x22, 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05,
        0x00,
    ];
    d.extend(r.bytes(271));
    b.line("Public key for verifying webhook signatures:\n```");
    b.line(&pem("PUBLIC KEY", "", &d, 64));
    b.line("```");
}

pub(crate) fn ssh_public_key(r: &mut Rng) -> String {
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, &r.bytes(32));
    format!(
        "ssh-ed25519 {} {}@{}",
        rng::b64(&blob),
        r.pick(&["alice", "deploy", "ci"]),
        r.pick(&["laptop", "build-01", "example.com"])
    )
}

/// A kubeconfig with exec-based auth: certificate data only, nothing secret.
pub(crate) fn kubeconfig_public(r: &mut Rng, b: &mut Builder) {
    b.line("```yaml\napiVersion: v1\nclusters:\n- cluster:");
    b.line(&format!("    certificate-authority-data: {}", cert_b64(r)));
    b.line(&format!(
        "    server: https://{}.gr7.us-east-1.eks.amazonaws.com\n  name: eks-prod",
        r.string(HEX_UPPER, 32)
    ));
    b.line("users:\n- name: eks-prod\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [\"eks\", \"get-token\", \"--cluster-name\", \"prod\"]\n```");
}

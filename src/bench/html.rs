//! A [`Report`] as one self-contained HTML page: inline CSS and SVG charts (throughput bars,
//! precision / recall / F1, per-rule cost), no script, no external resource — it opens in a
//! browser with no network.

use std::fmt::Write;

use super::{Report, SetResult};

/// Text made safe for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn label(r: &SetResult) -> String {
    format!("{} × {}", r.set, r.engine.name())
}

const COLORS: [&str; 6] = ["#3b6ea5", "#d9822b", "#4a9c5d", "#a5463b", "#7a5ca5", "#5c8fa5"];

/// A horizontal bar chart: one group per row label, one bar per series, values with `unit`.
fn bars(title: &str, rows: &[(String, Vec<f64>)], series: &[&str], unit: &str, max: Option<f64>) -> String {
    let bar_h = 16.0;
    let gap = 10.0;
    // Text is about 7 px a character at this size: room for the longest row label, and for
    // the legend on one line.
    let chars = |s: &str| 7.0 * s.chars().count() as f64;
    let left = rows.iter().map(|(name, _)| chars(name)).fold(100.0, f64::max) + 16.0;
    let legend: f64 = series.iter().map(|name| 16.0 + chars(name) + 18.0).sum();
    let plot = 420.0;
    let width = (left + plot + 90.0).max(left + legend);
    let top = 30.0 + if series.len() > 1 { 20.0 } else { 0.0 };
    let group_h = bar_h * series.len() as f64 + gap;
    let height = top + group_h * rows.len() as f64 + 10.0;
    let max = max
        .unwrap_or_else(|| rows.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{t}"><text x="0" y="18" class="ct">{t}</text>"#,
        t = esc(title)
    );
    if series.len() > 1 {
        let mut x = left;
        for (i, name) in series.iter().enumerate() {
            let at = x;
            x += 16.0 + chars(name) + 18.0;
            let x = at;
            let _ = write!(
                s,
                r#"<rect x="{x}" y="30" width="12" height="12" fill="{}"/><text x="{}" y="40" class="lg">{}</text>"#,
                COLORS[i % COLORS.len()],
                x + 16.0,
                esc(name)
            );
        }
    }
    for (r, (name, values)) in rows.iter().enumerate() {
        let y0 = top + r as f64 * group_h;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" class="rl" text-anchor="end">{}</text>"#,
            left - 8.0,
            y0 + group_h / 2.0,
            esc(name)
        );
        for (i, v) in values.iter().enumerate() {
            let y = y0 + i as f64 * bar_h;
            let w = (v / max * plot).clamp(0.0, plot);
            let shown = if *v >= 100.0 {
                format!("{v:.0}")
            } else if *v >= 1.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.3}")
            };
            let _ = write!(
                s,
                r#"<rect x="{left}" y="{y}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}" class="v">{shown}{}</text>"#,
                bar_h - 2.0,
                COLORS[i % COLORS.len()],
                left + w + 4.0,
                y + bar_h - 5.0,
                esc(unit)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The page.
pub fn render(report: &Report) -> String {
    let mut h = String::new();
    h.push_str(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>secretgate bench</title><style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}code{font-size:13px}
.ct{font-weight:600;font-size:14px}.rl,.lg,.v{font-size:12px}.note{color:#666}
</style></head><body><h1>secretgate bench</h1>"#,
    );
    let c = &report.corpus;
    let _ = write!(
        h,
        "<p>Corpus: <code>{}</code> — {} documents, {:.2} MB, {}. Engines: {}; stream deltas: {} characters; one-shot: best of {}.</p>",
        esc(&c.source),
        c.documents,
        c.bytes as f64 / 1e6,
        if c.labeled { format!("{} labeled secrets", c.secrets) } else { "unlabeled".to_owned() },
        report.config.engines.iter().map(|e| e.name()).collect::<Vec<_>>().join(", "),
        report.config.deltas.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        report.config.repeat
    );

    // Summary table.
    h.push_str("<h2>Summary</h2><table><tr><th class=l>set × engine</th><th>rules</th><th>build s</th><th>build MB</th><th>one-shot MB/s</th><th>stream MB/s</th><th>precision</th><th>recall</th><th>F1</th><th>false pos.</th><th>misses</th></tr>");
    for r in &report.results {
        let q = r.quality.as_ref();
        let f = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.3}"));
        let _ = write!(
            h,
            "<tr><td class=l>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&label(r)),
            r.rules,
            r.build.seconds,
            r.build.rss_bytes.map_or("—".to_owned(), |b| format!("{:.0}", b as f64 / 1e6)),
            r.one_shot.mb_per_s,
            r.streaming.first().map_or("—".to_owned(), |s| format!("{:.1}", s.mb_per_s)),
            f(q.map(|q| q.precision)),
            f(q.map(|q| q.recall)),
            f(q.map(|q| q.f1)),
            q.map_or("—".to_owned(), |q| q.false_positives.to_string()),
            q.map_or("—".to_owned(), |q| (q.labels - q.found).to_string()),
        );
    }
    h.push_str("</table>");
    for r in &report.results {
        if let Some(db) = &r.build.hyperscan {
            let _ = write!(
                h,
                "<p class=note>{}: build includes the hyperscan database, {:.2} s and {:.1} MB (scratch {:.1} MB per scanning thread); {} rules searched through their keywords{}.</p>",
                esc(&label(r)),
                db.seconds,
                db.database_bytes as f64 / 1e6,
                db.scratch_bytes as f64 / 1e6,
                db.fallbacks.len(),
                if db.fallbacks.is_empty() { String::new() } else { format!(" ({})", esc(&db.fallbacks.join(", "))) }
            );
        }
    }
    if report.results.iter().any(|r| !r.engine.streams()) && !report.config.deltas.is_empty() {
        h.push_str("<p class=note>Stream figures are the regex engine's only: secretgate streams with it whatever engine scans whole texts.</p>");
    }

    // Charts.
    h.push_str("<h2>Throughput</h2>");
    let mut series = vec!["one-shot".to_owned()];
    series.extend(report.config.deltas.iter().map(|d| format!("stream, {d}-char deltas")));
    let series_refs: Vec<&str> = series.iter().map(String::as_str).collect();
    let rows: Vec<(String, Vec<f64>)> = report
        .results
        .iter()
        .map(|r| {
            let mut v = vec![r.one_shot.mb_per_s];
            v.extend(r.streaming.iter().map(|s| s.mb_per_s));
            (label(r), v)
        })
        .collect();
    h.push_str(&bars("Throughput (MB/s, higher is better)", &rows, &series_refs, " MB/s", None));
    if report.corpus.labeled {
        h.push_str("<h2>Precision and recall</h2>");
        let rows: Vec<(String, Vec<f64>)> = report
            .results
            .iter()
            .filter_map(|r| r.quality.as_ref().map(|q| (label(r), vec![q.precision, q.recall, q.f1])))
            .collect();
        h.push_str(&bars("Against the labels (1.0 is perfect)", &rows, &["precision", "recall", "F1"], "", Some(1.0)));
    }
    h.push_str("<h2>Holdback while streaming</h2><table><tr><th class=l>set × engine</th><th>delta</th><th>held bytes mean</th><th>p99</th><th>max</th><th>release delay median</th><th>p99</th><th>max</th><th>cost vs one-shot</th></tr>");
    for r in &report.results {
        for s in &r.streaming {
            let _ = write!(
                h,
                "<tr><td class=l>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}×</td></tr>",
                esc(&label(r)),
                s.delta,
                s.held_bytes.mean,
                s.held_bytes.p99,
                s.held_bytes.max,
                s.release_delay.median,
                s.release_delay.p99,
                s.release_delay.max,
                s.cost_vs_one_shot
            );
        }
    }
    h.push_str("</table><p class=note>Release delay: how many pushes a byte waited before it went out.</p>");

    h.push_str("<h2>Most expensive rules</h2><p class=note>Each rule's scan of the corpus on its own, beyond the cheapest rule's (the pass over the text every rule pays), as a share of the sum over all rules.</p>");
    for r in &report.results {
        let rows: Vec<(String, Vec<f64>)> =
            r.rule_cost.iter().map(|c| (c.rule.clone(), vec![c.share * 100.0])).collect();
        h.push_str(&bars(&format!("{} — share of scan time", label(r)), &rows, &["share"], " %", None));
    }

    for r in &report.results {
        if r.false_positives.is_empty() && r.misses.is_empty() && r.notices.is_empty() {
            continue;
        }
        let _ = write!(h, "<h2>{}: details</h2>", esc(&label(r)));
        for (title, list) in [("False positives", &r.false_positives), ("Misses", &r.misses)] {
            if list.is_empty() {
                continue;
            }
            let _ = write!(h, "<h3>{title} (first {})</h3><table><tr><th class=l>document</th><th class=l>rule</th><th class=l>secret (masked)</th></tr>", list.len());
            for l in list {
                let _ = write!(
                    h,
                    "<tr><td class=l>{}</td><td class=l>{}</td><td class=l><code>{}</code></td></tr>",
                    esc(&l.document),
                    esc(&l.rule),
                    esc(&l.preview)
                );
            }
            h.push_str("</table>");
        }
        if !r.notices.is_empty() {
            h.push_str("<h3>Loading notes</h3><ul>");
            for n in &r.notices {
                let _ = write!(h, "<li>{}</li>", esc(n));
            }
            h.push_str("</ul>");
        }
    }
    h.push_str("</body></html>\n");
    h
}

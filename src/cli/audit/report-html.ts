import { escapeHtml as e } from "../../actions/escape.js";
import type { ThirdParty } from "./analysis.js";
import type { AuditReport, PageResult, ReaderResult } from "./report-json.js";

/**
 * The report as one HTML file that needs nothing else: styles inline, screenshots as data: URLs,
 * no script. Everything that came from the site (addresses, element markup, notice text, headers)
 * is escaped, and the policy lets the file load nothing and run nothing even so.
 */
const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:2em 0 .4em;word-break:break-all}h3{font-size:1em;margin:1em 0 .3em}
.verdict{display:inline-block;padding:.1em .5em;border-radius:3px;font-weight:600}
.fail{background:#b3261e;color:#fff}.pass{background:#1e7b34;color:#fff}.base{background:#5f6368;color:#fff}
table{border-collapse:collapse;margin:.4em 0 1em;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f4}td.wrap{word-break:break-all;max-width:40em}tr.leak td{background:#fde7e7}
ul{margin:.2em 0 .6em 1.2em;padding:0}code{font-size:.92em}
.shots{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}figure{margin:0}figcaption{font-size:.85em;color:#555}
figure img{border:1px solid #999;max-width:100%;height:auto}`;

function verdict(failed: boolean, baseline = false): string {
  return baseline ? `<span class="verdict base">baseline</span>` : failed ? `<span class="verdict fail">FAIL</span>` : `<span class="verdict pass">pass</span>`;
}

function list(items: readonly string[]): string {
  return items.length ? `<ul>${items.map((i) => `<li>${e(i)}</li>`).join("")}</ul>` : "";
}

function partiesTable(parties: readonly ThirdParty[]): string {
  if (parties.length === 0) return "<p>No third party was contacted.</p>";
  // Leaks first.
  const sorted = [...parties].sort((a, b) => Number(b.leak) - Number(a.leak));
  const rows = sorted
    .map(
      (p) =>
        `<tr class="${p.leak ? "leak" : ""}"><td>${p.leak ? "leak" : p.allowed ? "allowed" : "not a leak for this rule"}</td><td class="wrap">${e(p.host)}</td><td>${e(p.kinds.join(", "))}</td>` +
        `<td class="wrap">${e(p.targets.join(" "))}</td><td class="wrap">${e(p.cause ?? "the browser does not say")}</td><td>${e(p.tracker ? `${p.tracker.vendor} (${p.tracker.category})` : "")}</td></tr>`,
    )
    .join("");
  return `<table class="third-parties"><thead><tr><th>verdict</th><th>host</th><th>what the browser did</th><th>first addresses</th><th>caused by</th><th>tracker list</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function readerSection(r: ReaderResult, shots: ReadonlyMap<string, Buffer>): string {
  const notices = r.notices
    .map((n) => {
      const where = Object.entries(n.viewports)
        .map(([v, why]) => `${v}: ${why ?? "visible"}`)
        .join("; ");
      return `<tr><td>${e(n.rule)}</td><td>${n.count}</td><td>${e(n.language ?? "")}${n.expectedLanguage ? ` (expected ${e(n.expectedLanguage)})` : ""}</td><td>${e(where)}</td><td class="wrap">${e(n.text ?? "")}</td></tr>`;
    })
    .join("");
  const images = r.screenshots
    .map((s) => {
      const bytes = shots.get(s.file);
      return bytes ? `<figure><img alt="${e(`${r.region} at ${s.viewport}`)}" src="data:image/jpeg;base64,${bytes.toString("base64")}" width="${Math.min(480, Number(s.viewport.split("x")[0]))}"><figcaption>${e(r.region)} · ${e(s.viewport)}</figcaption></figure>` : "";
    })
    .join("");
  return (
    `<h3>${verdict(r.failed, r.baseline)} ${e(r.baseline ? `free reader (${r.region})` : `reader in ${r.region}`)}</h3>` +
    `<table class="reader"><tbody>` +
    `<tr><th>status</th><td>${e(String(r.status ?? "no response"))}${r.finalUrl ? ` · ${e(r.finalUrl)}` : ""}</td></tr>` +
    `<tr><th>decision</th><td>${e(r.decisionId ?? "none")} · revision ${e(r.revision ?? "unknown")}</td></tr>` +
    `<tr><th>rules</th><td>${e(r.rules.join(", ") || "none")}${r.trackersMode ? ` · trackers off: ${e(r.trackersMode)}` : ""}</td></tr>` +
    `<tr><th>trackers that fired</th><td>${e(r.trackersFired.join(", ") || "none")}</td></tr>` +
    `</tbody></table>` +
    (r.problems.length ? `<p><strong>Problems</strong></p>${list(r.problems)}` : "") +
    (r.notes.length ? `<p>Notes</p>${list(r.notes)}` : "") +
    (r.notices.length ? `<table class="notices"><thead><tr><th>notice</th><th>times</th><th>language</th><th>first viewport</th><th>text</th></tr></thead><tbody>${notices}</tbody></table>` : "") +
    partiesTable(r.thirdParties) +
    (images ? `<div class="shots">${images}</div>` : "")
  );
}

function pageSection(p: PageResult, shots: ReadonlyMap<string, Buffer>): string {
  const diffs = p.differences.filter((d) => d.items.length).map((d) => `<p>Compared with the free reader, for ${e(d.region)}:</p>${list(d.items)}`).join("");
  return `<section class="page"><h2>${verdict(p.failed)} ${e(p.url)}</h2>${p.readers.map((r) => readerSection(r, shots)).join("")}${diffs}</section>`;
}

export function reportHtml(report: AuditReport, shots: ReadonlyMap<string, Buffer>): string {
  const s = report.summary;
  const summary =
    `<table class="summary"><thead><tr><th>page</th><th>verdict</th><th>leaks</th><th>problems</th></tr></thead><tbody>` +
    report.pages
      .map((p) => `<tr class="${p.leaks ? "leak" : ""}"><td class="wrap">${e(p.url)}</td><td>${verdict(p.failed)}</td><td>${p.leaks}</td><td>${p.readers.reduce((n, r) => n + (r.baseline ? 0 : r.problems.length), 0)}</td></tr>`)
      .join("") +
    `</tbody></table>`;
  const crawl = report.crawl;
  const crawlNotes = [
    crawl.skippedByRobots.length ? `${crawl.skippedByRobots.length} page(s) left out by robots.txt` : "",
    crawl.notAudited ? `${crawl.notAudited} page(s) found and not audited${crawl.stoppedByTime ? " (time limit reached)" : " (--crawl limit)"}` : "",
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geo-compliance audit: ${report.ok ? "pass" : "FAIL"}</title><style>${STYLE}</style></head>
<body>
<h1>${verdict(!report.ok)} geo-compliance audit</h1>
<p>${e(report.startedAt)} · ${report.seconds.toFixed(1)} s · readers in ${e(report.options.regions.join(", "))}${report.options.lang ? ` asking for ${e(report.options.lang)}` : ""}${report.options.baseline ? ` · free reader ${e(report.options.baseline)}` : ""} · viewports ${e(report.options.viewports.join(", "))}</p>
<p>${s.pages} page(s), ${s.failedPages} failing, ${s.leaks} leak(s), ${s.noticeProblems} notice problem(s).</p>
${list(crawlNotes)}
${summary}
${report.pages.map((p) => pageSection(p, shots)).join("\n")}
</body></html>
`;
}

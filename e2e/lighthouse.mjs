// Lighthouse (12.2.3, mobile: simulated slow 4G, CPU slowdown calibrated) on
// every kind of storefront page a shopper meets: home, category, search,
// product (with an uploaded photo, not a drawing), cart, checkout, sign-in
// and account. In Debian's Chromium; never a downloaded browser. Usage:
//   node lighthouse.mjs https://localhost:PORT ADMIN_EMAIL ADMIN_PASSWORD [REPORT]
// The shop must have the demo catalog and that admin. The script uploads a
// photo to one product through the admin API, fills a cart and signs a
// customer in (playwright-core) so the cart, checkout and account pages are
// measured with something in them, then measures each page in one Chrome.
//
// The floor, on every page: performance, accessibility, best practices and
// SEO >= 98, LCP < 1.5 s, CLS < 0.02, TBT < 50 ms. With LIGHTHOUSE_GATE=full
// it exits non-zero when a page is under any of it, or when a page could not
// be timed (below). make test runs the default, LIGHTHOUSE_GATE=steady: the
// parts that do not move with the host's speed (accessibility, best
// practices, SEO, CLS) fail the run; performance, LCP and TBT are measured
// the same way and reported as targets: on the shared host TBT measures the
// time the renderer waits for a core more than the pages' work (decision
// 0180; e2e/long-tasks.mjs reads the tasks' CPU time), and a red run must
// mean a defect, not a busy host.
//
// Noise, handled the way Lighthouse's own docs advise (docs/variability.md:
// the median of several runs; docs/throttling.md: calibrate the CPU
// slowdown to the host):
// - Each run's CPU slowdown comes from the benchmark index (BI) Lighthouse
//   measured in that same run, just before loading the page, and the same
//   benchmark run in the page right after: the page is gathered first, then
//   its trace is audited with BI / 440 (1760 -> 4x, the preset's multiplier
//   for the desktop it was tuned on), at most 4x. A run whose two BIs differ
//   by more than 30% (the host's speed changed during the load) is
//   inconclusive.
// - The timing figures (performance score, LCP, TBT, CLS) are the median of
//   LIGHTHOUSE_RUNS runs (default 3). Runs stop early once the median's side
//   of every threshold is settled (2 of 3 runs agree), so a page that passes
//   clearly costs 2 runs. Accessibility, best practices and SEO do not move
//   with the host's speed: they come from the first run.
// - A host slower than the simulated phone (BI < 440) cannot be calibrated
//   down: its run is audited at 1x, which overstates the page's cost. Such a
//   run counts when it passes (the page met the floor even so) and is
//   inconclusive when it misses. So is a run Lighthouse could not record.
// - After an inconclusive run the page is measured again after a pause, up
//   to LIGHTHOUSE_ATTEMPTS runs per page (default 5) and
//   LIGHTHOUSE_INCONCLUSIVE inconclusive runs in all (default 8; past them
//   the remaining pages are reported unmeasured at once). A page without a
//   verdict fails, with a message naming the host's BI and load: a machine
//   too busy to measure never passes silently.
// puppeteer-core is Lighthouse's own (pinned by package-lock.json): the page
// stays open after Lighthouse's load for the second benchmark.
// It writes a table (REPORT, default lighthouse.out) and REPORT.json.
import { navigationGather } from "lighthouse/core/gather/navigation-runner.js";
import { pageFunctions } from "lighthouse/core/lib/page-functions.js";
import { Runner } from "lighthouse/core/runner.js";
import { throttling } from "lighthouse/core/config/constants.js";
import * as chromeLauncher from "chrome-launcher";
import puppeteer from "puppeteer-core";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { chromePath, prepare, pages as shopPages } from "./shop.mjs";

const [base, adminEmail, adminPassword, reportPath = "lighthouse.out"] = process.argv.slice(2);
if (!base || !adminEmail || !adminPassword) {
  console.error("usage: node lighthouse.mjs BASE_URL ADMIN_EMAIL ADMIN_PASSWORD [REPORT]");
  process.exit(2);
}
const floor = { score: 98, lcp: 1500, cls: 0.02, tbt: 50 };
// LIGHTHOUSE_GATE: "full" fails a page on any part of the floor, timing
// included (and on a page the host was too busy to time); "steady" fails
// only on what does not move with the host's speed (accessibility, best
// practices, SEO, CLS, and a page Lighthouse could not load at all) and
// reports missed timing targets (performance, LCP, TBT) without failing.
const gate = process.env.LIGHTHOUSE_GATE || "steady";
if (gate !== "full" && gate !== "steady") {
  console.error(`LIGHTHOUSE_GATE is "${gate}": want full or steady`);
  process.exit(2);
}
// The steady gate reads no timing, so one run a page (two if the first is
// inconclusive) is enough for its report; the full gate takes the median.
const runsWanted = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS || (gate === "full" ? 3 : 1)));
const maxAttempts = Math.max(runsWanted, Number(process.env.LIGHTHOUSE_ATTEMPTS || (gate === "full" ? 5 : 2)));
// Inconclusive runs allowed in all: past them the machine is too busy for
// any verdict and the remaining pages are reported unmeasured at once.
let spare = Math.max(0, Number(process.env.LIGHTHOUSE_INCONCLUSIVE || 8));
const needed = Math.floor(runsWanted / 2) + 1; // runs on one side that settle the median
const REFERENCE_BI = 440; // BI / 440: 4x at 1760, the preset's desktop
const STEADY = 0.7; // the BI after the load within 30% of the one before
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

const shop = await prepare(base, adminEmail, adminPassword);
const only = process.env.LIGHTHOUSE_PAGES ? process.env.LIGHTHOUSE_PAGES.split(",") : null;
const pages = shopPages(shop).filter((p) => !only || only.includes(p.name)).map((p) => [p.name === "product" ? "product (photo)" : p.name, p.path, p.personal && shop.cookie]);

const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}`, defaultViewport: null });

// measure loads the page once and audits it with the CPU slowdown that the
// host's speed during that load calls for: Lighthouse's benchmark index
// (BI) just before the load and the same benchmark in the same page just
// after it. When the two differ by more than 30% the host's speed changed
// during the load and no single slowdown describes it: the run is unsteady.
// Only what the performance score and the floor read (the score is the
// weighted sum of these five): the runs after a page's first skip the
// other gatherers and audits, seconds each.
const METRICS = ["first-contentful-paint", "speed-index", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"];
async function measure(path, cookie, full) {
  const flags = { port: chrome.port, logLevel: "error" };
  if (cookie) flags.extraHeaders = { Cookie: cookie };
  const config = {
    extends: "lighthouse:default",
    settings: {
      ...(full ? { onlyCategories: ["performance", "accessibility", "best-practices", "seo"] } : { onlyAudits: METRICS }),
      // Seconds per run that measure nothing the floor uses: the
      // back/forward cache probe navigates away and back, and screenshots
      // are pages.mjs's job.
      skipAudits: ["bf-cache", "screenshot-thumbnails", "final-screenshot"],
      disableFullPageScreenshot: true,
      throttling: { ...throttling.mobileSlow4G },
    },
  };
  const page = await browser.newPage();
  try {
    const { artifacts, runnerOptions } = await navigationGather(page, base + path, { config, flags });
    const before = artifacts.BenchmarkIndex;
    const after = await page.evaluate(pageFunctions.computeBenchmarkIndex);
    const bi = (before + after) / 2;
    const multiplier = Math.max(1, Math.min(4, Math.round((bi / REFERENCE_BI) * 10) / 10));
    // The multiplier is an audit-time setting under simulated throttling
    // (the trace is unthrottled); gathering and auditing must agree on it.
    for (const s of [artifacts.settings, runnerOptions.resolvedConfig.settings]) s.throttling = { ...s.throttling, cpuSlowdownMultiplier: multiplier };
    const { lhr } = await Runner.audit(artifacts, runnerOptions);
    if (lhr.runtimeError) return { error: `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` };
    // A metric Lighthouse could not compute from this trace (an audit
    // error such as NO_LCP) leaves the run without figures as well.
    const broken = METRICS.find((id) => typeof lhr.audits[id]?.numericValue !== "number");
    if (broken || typeof lhr.categories.performance?.score !== "number") {
      return { error: `${broken || "performance"}: ${(broken && lhr.audits[broken]?.errorMessage) || "no score"}` };
    }
    return { lhr, bi, before, after, steady: Math.min(before, after) / Math.max(before, after) >= STEADY, multiplier };
  } finally {
    await page.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// The timing checks: [name, value of a run, passes].
const timing = [
  ["performance", (r) => r.performance, (v) => v >= floor.score, (v) => `performance ${v} < ${floor.score}`],
  ["lcp_ms", (r) => r.lcp_ms, (v) => v < floor.lcp, (v) => `LCP ${v} ms >= ${floor.lcp}`],
  ["tbt_ms", (r) => r.tbt_ms, (v) => v < floor.tbt, (v) => `TBT ${v} ms >= ${floor.tbt}`],
  ["cls", (r) => r.cls, (v) => v < floor.cls, (v) => `CLS ${v} >= ${floor.cls}`],
];
const runPasses = (run) => timing.every(([, get, ok]) => ok(get(run)));
const settled = (runs) => timing.every(([, get, ok]) => runs.filter((r) => ok(get(r))).length >= needed || runs.filter((r) => !ok(get(r))).length >= needed);

const rows = [];
let failed = 0;
const started = Date.now();
const loadBefore = load();
try {
  // One plain load of the home page first, not measured: the first
  // navigation in a fresh browser pays for starting its renderer, not for
  // the page.
  const warm = await browser.newPage();
  await warm.goto(base + "/", { waitUntil: "load" });
  await warm.close();
  for (const [name, path, cookie] of pages) {
    const runs = [], inconclusive = [];
    let first = null;
    for (let attempt = 1; attempt <= maxAttempts && (spare > 0 || (gate === "steady" && !first && attempt === 1)) && runs.length < runsWanted && !(runs.length >= needed && settled(runs)); attempt++) {
      // A load Lighthouse gave up on (a protocol timeout on a starved host)
      // is a run without figures, not the end of the report.
      const { lhr, bi, before, after, steady, multiplier, error } = await measure(path, cookie, !first).catch((e) => ({ error: String(e.message || e).split("\n")[0] }));
      if (error) {
        // Lighthouse could not record this load (NO_NAVSTART, NO_FCP… on a
        // starved host): no figures, so no verdict from it.
        inconclusive.push({ why: `Lighthouse failed: ${error}`, load: load() });
        spare--;
        console.log(`  ${name}: run ${attempt} inconclusive (Lighthouse failed: ${error}); measuring again`);
        await new Promise((done) => setTimeout(done, 2000));
        continue;
      }
      if (!first) first = lhr;
      const num = (id) => lhr.audits[id].numericValue;
      const run = {
        performance: Math.round(lhr.categories.performance.score * 100),
        lcp_ms: Math.round(num("largest-contentful-paint")), cls: Number(num("cumulative-layout-shift").toFixed(3)), tbt_ms: Math.round(num("total-blocking-time")),
        benchmark_index: Math.round(bi), bi_before: Math.round(before), bi_after: Math.round(after), cpu_slowdown: multiplier, load: load(),
      };
      // An unsteady run says nothing either way; a run on a host slower
      // than the phone overstates the page's cost, so it counts only when
      // it passes even so.
      const why = !steady ? `the host's speed changed during the load: BI ${run.bi_before} before, ${run.bi_after} after`
        : bi < REFERENCE_BI && !runPasses(run) ? `it missed the floor on a host slower than the simulated phone: BI ${run.benchmark_index} < ${REFERENCE_BI}` : "";
      if (why) {
        run.why = why;
        inconclusive.push(run);
        spare--;
        console.log(`  ${name}: run ${attempt} inconclusive (${why}; load ${run.load}); measuring again`);
        await new Promise((done) => setTimeout(done, 2000));
        continue;
      }
      runs.push(run);
    }
    const score = (id) => (first ? Math.round(first.categories[id].score * 100) : null);
    const bytes = (type) => (first ? (first.audits["resource-summary"].details.items.find((i) => i.resourceType === type) || {}).transferSize || 0 : null);
    const row = {
      page: name, path, url: first ? first.finalDisplayedUrl : base + path,
      performance: null, accessibility: score("accessibility"), best_practices: score("best-practices"), seo: score("seo"),
      lcp_ms: null, cls: null, tbt_ms: null,
      js_bytes: bytes("script"), css_bytes: bytes("stylesheet"),
      runs, inconclusive: inconclusive.length, problems: [], missed: [],
    };
    // What the timing part of the floor says goes to problems (full gate)
    // or to missed (steady gate: reported, not failed).
    const timed = gate === "full" ? row.problems : row.missed;
    for (const k of ["accessibility", "best_practices", "seo"]) if (row[k] !== null && row[k] < floor.score) row.problems.push(`${k} ${row[k]} < ${floor.score}`);
    row.unmeasured = !runs.length || (runs.length < runsWanted && !settled(runs));
    if (!first) row.problems.push("Lighthouse produced no result for this page");
    if (row.unmeasured) {
      if (!spare && !inconclusive.length) timed.push("not measured: the machine stayed too busy for the pages before it (see above)");
      else timed.push(`could not be measured: ${inconclusive.length} of ${inconclusive.length + runs.length} runs inconclusive (${inconclusive.map((r) => r.why).join("; ")}; load ${load()}): the machine is too busy to measure. Run \`make lighthouse\` when it is quieter.`);
    }
    if (runs.length) {
      for (const [key, get, ok, say] of timing) {
        row[key] = key === "cls" ? Number(median(runs.map(get)).toFixed(3)) : Math.round(median(runs.map(get)));
        if (!ok(row[key])) (key === "cls" ? row.problems : timed).push(say(row[key]));
      }
    } else if (first) {
      // No run counted for timing; layout shift does not depend on the
      // host's speed, so the first run's CLS still gates.
      row.cls = Number(first.audits["cumulative-layout-shift"].numericValue.toFixed(3));
      if (row.cls >= floor.cls) row.problems.push(`CLS ${row.cls} >= ${floor.cls}`);
    }
    if (row.problems.length) failed++;
    if (row.problems.length + row.missed.length > (row.unmeasured ? 1 : 0)) {
      // Name the audits that cost points in the first run, so the report
      // says what to fix (not when the page only went unmeasured).
      for (const [id, cat] of Object.entries(first ? first.categories : {})) {
        for (const ref of cat.auditRefs) {
          const a = first.audits[ref.id];
          if (ref.weight > 0 && a.score !== null && a.score < 1) (row.problems.length ? row.problems : row.missed).push(`${id}: ${a.id} (${a.displayValue || a.score})`);
        }
      }
    }
    if (process.env.LIGHTHOUSE_DEBUG && first) {
      for (const id of ["mainthread-work-breakdown", "bootup-time", "long-tasks", "network-requests"]) {
        console.log(id, JSON.stringify((first.audits[id].details || {}).items || []).slice(0, 1500));
      }
    }
    rows.push(row);
    const each = runs.map((r) => `${r.performance}/${r.lcp_ms}/${r.tbt_ms} BI ${r.benchmark_index} x${r.cpu_slowdown}`).join("; ");
    const v = (x) => x ?? "-";
    console.log(`${row.problems.length ? "not ok" : "ok"} - ${name}: ${v(row.performance)}/${v(row.accessibility)}/${v(row.best_practices)}/${v(row.seo)} LCP ${v(row.lcp_ms)} ms CLS ${v(row.cls)} TBT ${v(row.tbt_ms)} ms (median of ${runs.length}${runs.length ? `: perf/LCP/TBT ${each}` : ""})${row.problems.length ? "\n  " + row.problems.join("\n  ") : ""}${row.missed.length ? "\n  target missed (not gated, LIGHTHOUSE_GATE=steady): " + row.missed.join("\n  target missed: ") : ""}`);
  }
} finally {
  await browser.disconnect();
  await chrome.kill();
}

const kb = (n) => (n === null ? "-" : (n / 1024).toFixed(1));
const range = (xs) => (xs.length ? `${Math.min(...xs)}-${Math.max(...xs)}` : "-");
const table = [
  `Lighthouse 12.2.3, mobile (simulated slow 4G; CPU slowdown from each run's own host benchmark index, BI / ${REFERENCE_BI}, at most 4x); median of up to ${runsWanted} runs per page; gate ${gate === "full" ? "full (LIGHTHOUSE_GATE=full)" : "steady (LIGHTHOUSE_GATE=steady: accessibility, best practices, SEO and CLS fail the run; performance, LCP and TBT are targets, reported)"}; floor: performance, accessibility, best practices, SEO >= ${floor.score}, LCP < ${floor.lcp} ms, CLS < ${floor.cls}, TBT < ${floor.tbt} ms`,
  "| page | perf | a11y | best practices | SEO | LCP ms | CLS | TBT ms | JS KiB | CSS KiB | runs | host BI | CPU slowdown |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.page} | ${r.performance ?? "-"} | ${r.accessibility ?? "-"} | ${r.best_practices ?? "-"} | ${r.seo ?? "-"} | ${r.lcp_ms ?? "-"} | ${r.cls ?? "-"} | ${r.tbt_ms ?? "-"} | ${kb(r.js_bytes)} | ${kb(r.css_bytes)} | ${r.runs.length}${r.inconclusive ? ` (+${r.inconclusive} inconclusive)` : ""} | ${range(r.runs.map((x) => x.benchmark_index))} | ${range(r.runs.map((x) => x.cpu_slowdown))}x |`),
  `(JS and CSS: bytes transferred for the page, compressed as served, headers included. Load averages ${loadBefore} before, ${load()} after; ${Math.round((Date.now() - started) / 1000)} s)`,
].join("\n");
writeFileSync(reportPath, table + "\n");
writeFileSync(reportPath + ".json", JSON.stringify({ floor, runs: runsWanted, pages: rows }, null, 2) + "\n");
console.log(table);
process.exit(failed ? 1 : 0);

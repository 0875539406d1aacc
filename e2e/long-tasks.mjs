// What a page's main thread does while it loads, in CPU time: the
// diagnostic behind decision 0180 (issue 17, Lighthouse's TBT). Lighthouse
// reports long tasks in wall time, which on a shared host is mostly time
// the renderer waited for a core; Chromium's trace also records each task's
// thread time (tdur), and that is what this script reads. It loads each
// page RUNS times in Debian's Chromium with Lighthouse's phone metrics
// (412x823, cache off), splits the trace into tasks with Lighthouse's own
// tracehouse, and prints per page the median CPU of all main-thread tasks,
// the median CPU of the largest task, the images requested, and the largest
// tasks of the median run with what they spent their CPU on.
// Usage (a shop running, e.g. the one scripts/pages.sh starts):
//   node long-tasks.mjs https://localhost:PORT /,/c/clothing,/search?q=shirt [RUNS]
// VARIANTS (JSON) compares loads interleaved, run by run, so a change in the
// host's load hits every variant alike: a list of {name, base (another
// shop's URL), css (a style sheet adopted before the page's own, e.g.
// ".grid{display:none}" to see what the grid costs), blockImages (true:
// /images/ requests fail)}.
// A task is long for Lighthouse's mobile TBT when 4x its CPU time passes
// 50 ms: 12.5 ms here on a host of Lighthouse's reference speed. "4x
// blocking" is the sum of 4x each task's CPU time less 50 ms, over every
// task of the load: an upper bound of the TBT a calibrated, uncontended run
// would give (Lighthouse counts only the tasks between FCP and TTI).
import { TraceProcessor } from "lighthouse/core/lib/tracehouse/trace-processor.js";
import { MainThreadTasks } from "lighthouse/core/lib/tracehouse/main-thread-tasks.js";
import * as chromeLauncher from "chrome-launcher";
import puppeteer from "puppeteer-core";
import { chromePath } from "./shop.mjs";

const [base, paths, runs = "5"] = process.argv.slice(2);
if (!base || !paths) {
  console.error("usage: node long-tasks.mjs BASE_URL PATH[,PATH...] [RUNS]");
  process.exit(2);
}
const variants = process.env.VARIANTS ? JSON.parse(process.env.VARIANTS) : [{ name: "as served" }];
const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}`, defaultViewport: null });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpu = (t) => (typeof t.event.tdur === "number" ? t.event.tdur / 1000 : t.duration);

// describe names what a task spent its CPU on: each event's own time (its
// CPU less its children's), summed by event name, the largest first.
function describe(task) {
  const by = {};
  const walk = (t) => {
    for (const c of t.children) {
      const self = cpu(c) - c.children.reduce((a, g) => a + cpu(g), 0);
      by[c.event.name] = (by[c.event.name] || 0) + Math.max(0, self);
      walk(c);
    }
  };
  walk(task);
  const what = Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 7).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  return `at ${Math.round(task.startTime)} ms: CPU ${cpu(task).toFixed(1)} ms, wall ${task.duration.toFixed(1)} ms [${what}]`;
}

async function load(v, path) {
  const page = await browser.newPage();
  try {
    const cdp = await page.createCDPSession();
    await cdp.send("Emulation.setDeviceMetricsOverride", { width: 412, height: 823, deviceScaleFactor: 1.75, mobile: true, screenWidth: 412, screenHeight: 823 });
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    if (v.blockImages) await cdp.send("Network.setBlockedURLs", { urls: ["*/images/*"] });
    await cdp.send("Page.enable");
    // Every variant runs the same small script, with or without a sheet.
    await cdp.send("Page.addScriptToEvaluateOnNewDocument", { source: `(() => { const s = new CSSStyleSheet(); s.replaceSync(${JSON.stringify(v.css || "")}); document.adoptedStyleSheets = [s]; })()` });
    await page.tracing.start({ categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "loading", "blink.user_timing", "v8", "toplevel", "disabled-by-default-lighthouse"] });
    await page.goto((v.base || base) + path, { waitUntil: "load" });
    // What follows the load event (the service worker's registration, late
    // images) belongs to the load too.
    await page.evaluate(() => new Promise((done) => setTimeout(done, 1500)));
    const images = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/images/")).length);
    const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString("utf8"));
    const pt = TraceProcessor.processTrace(trace);
    const tasks = MainThreadTasks.getMainThreadTasks(pt.mainThreadEvents, pt.frames, pt.timestamps.traceEnd, pt.timestamps.timeOrigin).filter((t) => !t.parent);
    const largest = [...tasks].sort((a, b) => cpu(b) - cpu(a));
    const blocking = tasks.reduce((a, t) => a + Math.max(0, 4 * cpu(t) - 50), 0);
    return { images, blocking, total: tasks.reduce((a, t) => a + cpu(t), 0), max: cpu(largest[0]), top: largest.slice(0, Number(process.env.TOP || 3)).map(describe) };
  } finally {
    await page.close();
  }
}

try {
  // The first load in a fresh browser pays for starting it.
  const warm = await browser.newPage();
  await warm.goto(base + "/");
  await warm.close();
  for (const path of paths.split(",")) {
    const results = variants.map(() => []);
    for (let i = 0; i < Number(runs); i++) {
      for (const [k, v] of variants.entries()) {
        // A trace Chromium cut short (no navigation in it) is left out.
        const r = await load(v, path).catch((e) => ({ error: String(e.message || e) }));
        if (!r.error) results[k].push(r);
      }
    }
    for (const [k, rs] of results.entries()) {
      if (!rs.length) {
        console.log(`${variants[k].name} ${path}: no usable trace`);
        continue;
      }
      const m = median(rs.map((r) => r.max));
      console.log(`${variants[k].name} ${path}: main thread CPU ${median(rs.map((r) => r.total)).toFixed(1)} ms, largest task ${m.toFixed(1)} ms (runs ${rs.map((r) => r.max.toFixed(1)).join(" ")}), 4x blocking ${median(rs.map((r) => r.blocking)).toFixed(0)} ms, images ${median(rs.map((r) => r.images))}`);
      for (const line of rs.find((r) => r.max === m).top) console.log("   " + line);
    }
  }
} finally {
  await browser.disconnect();
  await chrome.kill();
}

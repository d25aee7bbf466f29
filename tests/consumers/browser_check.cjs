// Browser check (issue 19): corostack's flamegraph SVG and speedscope file in
// a real browser (Debian's chromium, headless, driven by puppeteer-core).
//  - flamegraph: a real mouse click on a frame zooms to it (full width, its
//    ancestors kept as parents, every other branch hidden, Reset Zoom shown);
//    a regex search through the Search button's prompt highlights the
//    matches and shows "Matched: P%" equal to the share of samples, counted
//    from the folded file of the same profile, with a matching frame; hovering
//    a frame shows its tooltip, whose sample count equals the folded file's;
//    a hostile profile's names run no script (no dialog but ours).
//  - speedscope: the .speedscope.json loads in the speedscope app itself
//    without a page error or console error, and names the profile.
// Usage: node browser_check.cjs NPM_DIR CHROMIUM PROFILE_DIR
"use strict";
const path = require("path");
const fs = require("fs");
const [npmDir, chromium, dir] = process.argv.slice(2).map((a) => path.resolve(a));
const puppeteer = require(path.join(npmDir, "node_modules", "puppeteer-core"));

let failures = 0;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures++;
}

// Folded lines "a;b;c N" of the same profile: the ground truth.
function folded(name) {
  return fs.readFileSync(path.join(dir, name + ".folded.txt"), "utf8").split("\n")
    .filter((l) => l.trim()).map((l) => {
      const i = l.lastIndexOf(" ");
      return { frames: l.substring(0, i).split(";"), n: Number(l.substring(i + 1)) };
    });
}

async function flamegraph(browser, name, regex) {
  const lines = folded(name);
  const total = lines.reduce((s, l) => s + l.n, 0);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1200 });
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    if (d.type() === "prompt") await d.accept(regex); else await d.dismiss();
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto("file://" + path.join(dir, name + ".svg"));
  await page.waitForFunction(() => document.getElementById("frames") !== null);

  // The frames as drawn: position, depth, name, tooltip.
  const frames = await page.evaluate(() => Array.from(document.querySelectorAll("g.f")).map((g) => ({
    x: +g.getAttribute("data-x"), w: +g.getAttribute("data-w"), d: +g.getAttribute("data-d"),
    title: g.querySelector("title").textContent,
  })));
  const nameOf = (t) => t.substring(0, t.lastIndexOf(" ("));
  const pathOf = (f) => {
    const p = [];
    for (let d = 0; d < f.d; d++) {
      const a = frames.find((g) => g.d === d && g.x <= f.x && f.x < g.x + g.w);
      p.push(nameOf(a.title));
    }
    p.push(nameOf(f.title));
    return p;
  };
  // Depth 0 is the all-samples root: folded lines start at depth 1.
  const under = (p) => lines.filter((l) => p.slice(1).every((n, i) => l.frames[i] === n))
    .reduce((s, l) => s + l.n, 0);

  // Tooltip: hover the deepest frame at least a tenth as wide as the graph
  // (wide enough to hit, deep enough to have siblings elsewhere).
  const rootWidth = frames.find((f) => f.d === 0).w;
  const target = frames.filter((f) => f.d >= 1 && f.w >= rootWidth / 10)
    .sort((a, b) => b.d - a.d || b.w - a.w)[0];
  const index = frames.indexOf(target);
  const box = await page.evaluate((i) => {
    const r = document.querySelectorAll("g.f")[i].querySelector("rect").getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, index);
  await page.mouse.move(box.x, box.y);
  const details = await page.evaluate(() => document.getElementById("details").textContent);
  check(details === "Function: " + target.title, `${name}: tooltip of the hovered frame: ${details}`);
  const m = /\((\d+) samples?, /.exec(target.title);
  check(m && Number(m[1]) === under(pathOf(target)),
        `${name}: its sample count (${m && m[1]}) equals the folded file's (${under(pathOf(target))})`);

  // Zoom: a real click on it.
  await page.mouse.click(box.x, box.y);
  const z = await page.evaluate((i) => {
    const all = Array.from(document.querySelectorAll("g.f"));
    const svg = document.documentElement;
    return {
      width: +all[i].querySelector("rect").getAttribute("width"),
      full: +svg.getAttribute("width") - 20,
      hidden: all.filter((g) => g.classList.contains("hide")).length,
      parents: all.filter((g) => g.classList.contains("parent")).length,
      unzoomShown: !document.getElementById("unzoom").classList.contains("hide"),
    };
  }, index);
  const outside = frames.filter((f) => !(f.d < target.d && f.x <= target.x && f.x + f.w >= target.x + target.w) &&
                                      !(f.d >= target.d && f.x >= target.x && f.x + f.w <= target.x + target.w)).length;
  check(Math.abs(z.width - z.full) < 1, `${name}: the clicked frame fills the width (${z.width} of ${z.full})`);
  check(z.parents === target.d, `${name}: its ${target.d} ancestors stay as parents (${z.parents})`);
  check(z.hidden === outside, `${name}: the ${outside} frames outside it are hidden (${z.hidden})`);
  check(z.unzoomShown, `${name}: Reset Zoom is shown`);

  // Search: click the Search button, answer its prompt with the regex.
  const sbox = await page.evaluate(() => {
    const r = document.getElementById("search").getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  });
  await page.mouse.click(sbox.x, sbox.y);
  await page.waitForFunction(() => document.getElementById("matched").textContent.startsWith("Matched"));
  const shown = await page.evaluate(() => document.getElementById("matched").textContent);
  const re = new RegExp(regex);
  const hit = lines.filter((l) => l.frames.some((f) => re.test(f))).reduce((s, l) => s + l.n, 0);
  const want = "Matched: " + (100 * hit / total).toFixed(1) + "%";
  check(shown === want, `${name}: search /${regex}/ shows "${shown}", the folded file says "${want}"`);
  const highlighted = await page.evaluate(() => Array.from(document.querySelectorAll("g.f rect"))
    .filter((r) => r.getAttribute("fill") === "rgb(230,0,230)").length);
  const matching = frames.filter((f) => re.test(nameOf(f.title))).length;
  check(highlighted === matching, `${name}: ${highlighted} frames highlighted, ${matching} match`);
  check(dialogs.length === 1, `${name}: one dialog, the search prompt (${JSON.stringify(dialogs)})`);
  check(errors.length === 0, `${name}: no page error ${JSON.stringify(errors)}`);
  await page.close();
}

// speedscope will not fetch a profile over file:, so both the app and the
// profile are served from a loopback HTTP server for the test's duration.
function serve(roots) {
  const http = require("http");
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split(/[?#]/)[0]);
    for (const [prefix, root] of roots) {
      if (!url.startsWith(prefix)) continue;
      const file = path.join(root, url.substring(prefix.length));
      if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) break;
      const types = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json",
                      ".css": "text/css", ".wasm": "application/wasm" };
      res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function speedscope(browser, base, name) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("pageerror: " + e));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("dialog", async (d) => { problems.push("dialog: " + d.message()); await d.dismiss(); });
  const file = path.join(dir, name + ".speedscope.json");
  await page.goto(base + "/app/index.html#profileURL=" +
                  encodeURIComponent(base + "/profiles/" + name + ".speedscope.json"));
  const profileName = JSON.parse(fs.readFileSync(file, "utf8")).name;
  try {
    // Titles drop control characters and collapse spaces: compare it that way.
    await page.waitForFunction((n) => {
      const norm = (t) => t.replace(/[\x00-\x1f\x7f]/g, "").replace(/\s+/g, " ").trim();
      return norm(document.title).includes(norm(n));
    }, { timeout: 20000 }, profileName);
  } catch (e) {
    problems.push("title never named the profile: " + (await page.title()));
  }
  const canvases = await page.evaluate(() => document.querySelectorAll("canvas").length);
  check(problems.length === 0, `speedscope ${name}: loads without errors ${JSON.stringify(problems)}`);
  check(canvases > 0, `speedscope ${name}: draws (${canvases} canvases)`);
  await page.close();
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true,
    args: ["--no-sandbox", "--allow-file-access-from-files", "--disable-gpu"],
  });
  try {
    await flamegraph(browser, "large", "function_[2-4] ");
    await flamegraph(browser, "hostile", "cdata|push_back");
    const server = await serve([
      ["/app/", path.join(npmDir, "node_modules", "speedscope", "dist", "release") + "/"],
      ["/profiles/", dir + "/"],
    ]);
    const base = "http://127.0.0.1:" + server.address().port;
    try {
      await speedscope(browser, base, "large");
      await speedscope(browser, base, "hostile");
    } finally {
      server.close();
    }
  } finally {
    await browser.close();
  }
  console.log(failures ? `${failures} check(s) failed` : "all browser checks passed");
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });

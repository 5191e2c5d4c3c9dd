// The browser test: drives Debian's headless chromium (never a downloaded browser) through a
// signed-in flow against a running Berth, and saves screenshots. Run by tests/browser.rs.
//
// Env: BERTH_URL, BERTH_USER, BERTH_PASSWORD, ARTIFACTS (screenshot folder), CHROMIUM.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const base = process.env.BERTH_URL;
const user = process.env.BERTH_USER;
const password = process.env.BERTH_PASSWORD;
const artifacts = process.env.ARTIFACTS;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const steps = [];
function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  steps.push(what);
}

const XSS = [
  "# Demo",
  "",
  "**bold** text",
  "",
  "<script>window.__xss = 'script'; alert('script')</script>",
  "",
  "<img src=x onerror=\"window.__xss = 'onerror'; alert('onerror')\">",
  "",
  "<svg onload=\"window.__xss = 'svg'\"></svg>",
  "",
  "[click me](javascript:window.__xss='link')",
  "",
  "<a href=\"#\" onclick=\"window.__xss='click'\" id=\"evil-link\">evil</a>",
].join("\n");

async function noScriptRan(page, where) {
  const xss = await page.evaluate(() => window.__xss);
  check(xss === undefined, `no injected script ran on ${where} (window.__xss is ${xss})`);
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "berth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1200, height: 900 },
  });
  const dialogs = [];
  const page = context.pages()[0] || (await context.newPage());
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  // The content security policy must not refuse anything Berth's own pages use.
  const cspViolations = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error("Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI);
    });
  });
  try {
    // Sign in.
    await page.goto(base + "/login");
    await page.fill("#username", user);
    await page.fill("#password", password);
    await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit].primary")]);
    check((await page.textContent("header")).includes("Sign out"), "signed in");

    // Create a repository whose description carries an XSS payload.
    await page.goto(base + "/new");
    await page.fill("#name", "xss-demo");
    await page.fill("#short_description", "<img src=x onerror=alert('short')>");
    await page.fill("#long_description", XSS);
    await page.check("input[name=visibility][value=public]");
    await Promise.all([page.waitForURL(base + `/${user}/xss-demo`), page.click("button.primary")]);
    check(page.url() === base + `/${user}/xss-demo`, "repository created");
    const desc = await page.innerHTML("#long-description");
    check(desc.includes("<strong>bold</strong>"), "markdown rendered");
    check(!/<script/i.test(desc) && !/onerror/i.test(desc) && !/onload/i.test(desc), "payload sanitized");
    check(!/javascript:/i.test(desc) && !/onclick/i.test(desc), "links and handlers dropped");
    await noScriptRan(page, "the repository page");
    if (await page.$("#evil-link")) {
      await page.click("#evil-link");
    }
    await noScriptRan(page, "the repository page after clicking");

    // The settings tab: write the payload again and preview it (a server round-trip).
    await page.goto(base + `/${user}/xss-demo/settings`);
    await page.fill("#long_description", XSS + "\n\nedited");
    await Promise.all([page.waitForLoadState("load"), page.click("button[value=preview]")]);
    const preview = await page.innerHTML("#preview");
    check(preview.includes("<strong>bold</strong>") && !/<script|onerror|onload/i.test(preview), "preview sanitized");
    await noScriptRan(page, "the preview");
    await Promise.all([page.waitForURL(base + `/${user}/xss-demo`), page.click("button[value=save]")]);
    await noScriptRan(page, "the saved page");
    await page.goto(base + "/");
    await noScriptRan(page, "explore");
    check(dialogs.length === 0, "no dialog appeared (" + dialogs.join(",") + ")");

    // Star it.
    await page.goto(base + `/${user}/xss-demo`);
    await Promise.all([page.waitForURL(base + `/${user}/xss-demo`), page.click("#star-button")]);
    await page.waitForLoadState("load");
    check((await page.textContent("#star-count")).includes("1 star"), "starred");
    check((await page.getAttribute("#star-button", "aria-pressed")) === "true", "star toggle pressed");

    // Theme toggle (progressive enhancement).
    await page.click("#theme-toggle");
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    check(theme === "light" || theme === "dark", "theme toggle sets a theme");
    await page.evaluate(() => localStorage.removeItem("berth-theme"));

    // Create an API key; it is shown once.
    await page.goto(base + "/settings");
    await page.fill("#key-name", "browser-test");
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/settings/keys'] button")]);
    const key = (await page.textContent("#new-api-key")).trim();
    check(/^brt_[A-Za-z0-9]{40}$/.test(key), "API key shown once");
    await page.screenshot({ path: path.join(artifacts, "settings-light.png"), fullPage: true });
    await page.goto(base + "/settings");
    check(!(await page.content()).includes(key), "API key not shown again");

    // Use it like curl against the APIs.
    const basic = "Basic " + Buffer.from(`${user}:${key}`).toString("base64");
    let r = await fetch(base + "/v1/users", { headers: { Authorization: basic } });
    check(r.status === 200 && (await r.json()) === "OK", "GET /v1/users with the key");
    r = await fetch(base + `/api/v0/repositories/${user}`, { headers: { Authorization: basic } });
    const list = await r.json();
    check(r.status === 200 && list.repositories.some((x) => x.name === "xss-demo"), "DTR list with the key");
    r = await fetch(base + `/v1/repositories/${user}/xss-demo`, { headers: { Authorization: "Token " + key } });
    const detail = await r.json();
    check(r.status === 200 && detail.repo_name === "xss-demo" && detail.repo_starred_count === 1, "Alauda detail with Token");
    r = await fetch(base + "/v1/users", { headers: { Authorization: "Basic " + Buffer.from(`${user}:brt_wrong`).toString("base64") } });
    check(r.status === 401, "a wrong key is refused");

    // Screenshots: explore and the repository, light and dark.
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(base + "/");
      await page.screenshot({ path: path.join(artifacts, `explore-${scheme}.png`), fullPage: true });
      await page.goto(base + `/${user}/xss-demo`);
      await page.screenshot({ path: path.join(artifacts, `repository-${scheme}.png`), fullPage: true });
    }
    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(base + `/${user}/xss-demo`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, "no horizontal scrolling on a phone (" + overflow + "px)");
    await page.screenshot({ path: path.join(artifacts, "repository-phone-light.png"), fullPage: true });
    await page.goto(base + "/");
    await page.screenshot({ path: path.join(artifacts, "explore-phone-light.png"), fullPage: true });
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(base + `/${user}/xss-demo`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg === "rgb(13, 17, 23)", "dark scheme applies (" + bg + ")");

    // The image pages (issue 16): the tags tab, a tag page and the activity chart, light,
    // dark and phone; tests/browser.rs pushed IMAGE_REPO:IMAGE_TAG through /v2 first.
    const imageRepo = process.env.IMAGE_REPO;
    const imageTag = process.env.IMAGE_TAG;
    if (imageRepo) {
      for (const [width, suffix] of [[1200, ""], [390, "-phone"]]) {
        await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
        for (const scheme of ["light", "dark"]) {
          await page.emulateMedia({ colorScheme: scheme });
          const name = (what) => path.join(artifacts, `${what}${suffix}-${scheme}.png`);
          await page.goto(base + `/${imageRepo}/tags`);
          check((await page.locator("#tags tbody tr").count()) >= 2, `tags tab lists the tags (${scheme}${suffix})`);
          const copy = page.locator("#tags button[data-copy]").first();
          check(await copy.isVisible(), "copy buttons show with script");
          await page.screenshot({ path: name("tags"), fullPage: true });
          let over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          const wide = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => !e.closest("thead,tbody") && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => e.tagName + "." + e.className + "#" + e.id + ":" + Math.round(e.getBoundingClientRect().right)).join(" "));
          check(over <= 0, `tags tab fits the screen (${over}px, ${width}) ${wide}`);
          await page.goto(base + `/${imageRepo}/tags/${imageTag}`);
          check((await page.locator("#layers tbody tr").count()) >= 1, "tag page lists layers");
          check(!(await page.content()).includes("hunter2"), "env values stay off the tag page");
          over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          check(over <= 0, `tag page fits the screen (${over}px, ${width})`);
          await page.screenshot({ path: name("tag"), fullPage: true });
          await page.goto(base + `/${imageRepo}`);
          const bars = await page.locator("#activity-chart rect.bar").count();
          check(bars === 60, `the chart has a pull and a push bar for each of 30 days (${bars})`);
          const fill = await page.evaluate(() => getComputedStyle(document.querySelector("#activity-chart rect.pulls")).fill);
          check(fill !== "rgb(0, 0, 0)" && fill !== "none", `bars take the theme's colour (${fill})`);
          await page.locator("section.activity").screenshot({ path: name("chart") });
        }
      }
      await page.setViewportSize({ width: 1200, height: 900 });
    }

    // Sign out: the session ends.
    await Promise.all([page.waitForURL(base + "/"), page.click("header form button")]);
    check((await page.textContent("header")).includes("Sign in"), "signed out");
    await page.goto(base + "/settings");
    check(page.url().startsWith(base + "/login"), "settings need signing in again");

    check(dialogs.length === 0, "still no dialog");
    check(pageErrors.length === 0, "no page errors (" + pageErrors.join(",") + ")");
    check(cspViolations.length === 0, "no content security policy violation (" + cspViolations.join(" | ") + ")");
    console.log(JSON.stringify({ ok: true, steps }));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), steps }));
  process.exit(1);
});

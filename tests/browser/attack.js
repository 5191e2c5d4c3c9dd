// The hostile browser test (issue 12, findings 1 and 3): Debian's headless chromium, with
// credentials for Berth saved in the browser context (what a browser remembers after a
// Basic prompt), visits pages of other origins that post to Berth's APIs by themselves:
// `<form enctype="text/plain">` bodies that read as JSON, a urlencoded and a multipart form,
// and `fetch(..., {mode: "no-cors", credentials: "include"})`. Then it signs in through
// Berth's sign-in page with hostile `next` targets and must land on Berth's `/`. Run by
// tests/browser.rs, which checks over HTTP afterwards that nothing changed.
//
// Env: BERTH_URL, BERTH_USER/BERTH_PASSWORD (the saved credentials, a site admin),
// SIGNIN_USER/SIGNIN_PASSWORD (who signs in through the page), ATTACKERS (space-separated
// base URLs of the attacker pages), PAGES (space-separated paths on them), CHROMIUM.
"use strict";

const { chromium } = require("playwright-core");

const base = process.env.BERTH_URL;
const attackers = process.env.ATTACKERS.split(" ").filter(Boolean);
const pages = process.env.PAGES.split(" ").filter(Boolean);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const steps = [];
function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  steps.push(what);
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  // Every answer Berth gave to the attacker pages' requests, and what the pages saw.
  const answers = [];
  try {
    const context = await browser.newContext({
      httpCredentials: { username: process.env.BERTH_USER, password: process.env.BERTH_PASSWORD },
    });
    const page = await context.newPage();
    page.on("response", (r) => {
      if (r.url().startsWith(base)) {
        answers.push({ url: r.url().slice(base.length), method: r.request().method(), status: r.status() });
      }
    });
    for (const attacker of attackers) {
      for (const path of pages) {
        const before = answers.length;
        await page.goto(attacker + path);
        if (path.startsWith("/fetch")) {
          // The page sets its title once every fetch has settled.
          await page.waitForFunction(() => document.title === "done", null, { timeout: 20000 });
        } else {
          // The form posts itself: the browser ends up on Berth's answer.
          await page.waitForURL((u) => u.href.startsWith(base), { waitUntil: "load", timeout: 20000 });
        }
        check(answers.length > before, `${attacker}${path} reached Berth`);
      }
    }
    await context.close();

    // Sign in through Berth's own page with hostile targets: always Berth's front page.
    const signin = await browser.newContext();
    const p = await signin.newPage();
    const csp = [];
    p.on("console", (m) => {
      if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text())) csp.push(m.text());
    });
    for (const next of ["/%09/evil.example/", "/%0a/evil.example", "//evil.example/", "/%5Cevil.example/", "https://evil.example/"]) {
      await p.goto(base + "/login?next=" + next);
      await p.fill("#username", process.env.SIGNIN_USER);
      await p.fill("#password", process.env.SIGNIN_PASSWORD);
      await Promise.all([p.waitForLoadState("load"), p.click("button[type=submit].primary")]);
      await p.waitForLoadState("load");
      check(p.url() === base + "/", `signing in with next=${next} lands on Berth's / (${p.url()})`);
      // Signed in already: the sign-in page sends the visitor on at once.
      await p.goto(base + "/login?next=" + next);
      check(p.url() === base + "/", `visiting /login?next=${next} signed in lands on / (${p.url()})`);
      await p.click("header form button");
      await p.waitForLoadState("load");
    }
    check(csp.length === 0, "no content security policy violation (" + csp.join(" | ") + ")");
    await signin.close();
    console.log(JSON.stringify({ ok: true, steps, answers }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log(JSON.stringify({ ok: false, error: String((e && e.stack) || e), steps }));
  process.exit(1);
});

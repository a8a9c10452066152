// Accessibility audit of portal pages: axe-core in headless Chromium (puppeteer-core, the system's Chromium).
//
//   node tests/a11y/axe-audit.mjs pages.json
//
// pages.json: [{"name": "...", "url": "http://127.0.0.1:…/…", "cookies": [{"name": "sessionid", "value": "…"}]}, …]
// Prints one line "AXE_JSON [...]": for each page its final URL, HTTP status and the axe violations of the WCAG 2.1
// A and AA rules (id, impact, help, up to 5 offending elements). The portal's CSP would refuse the injected axe
// script: the audit browser bypasses CSP for that, and only that (the pages' own scripts run under their nonces).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const pages = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
const results = [];
try {
  for (const target of pages) {
    const page = await browser.newPage();
    await page.setBypassCSP(true);
    await page.setViewport({ width: 1280, height: 900 });
    const origin = new URL(target.url).origin;
    for (const cookie of target.cookies || []) {
      await browser.setCookie({ ...cookie, url: origin });
    }
    const response = await page.goto(target.url, { waitUntil: "load", timeout: 30000 });
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const outcome = await window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        resultTypes: ["violations"],
      });
      return outcome.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 160) })),
      }));
    });
    results.push({ name: target.name, url: page.url(), status: response ? response.status() : null, violations });
    for (const cookie of await browser.cookies()) {
      await browser.deleteCookie(cookie);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write("AXE_JSON " + JSON.stringify(results) + "\n");

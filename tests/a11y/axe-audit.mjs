// Accessibility audit of portal pages: axe-core in headless Chromium (puppeteer-core, the system's Chromium).
//
//   node tests/a11y/axe-audit.mjs pages.json
//
// pages.json: [{"name": "...", "url": "http://127.0.0.1:…/…", "cookies": [{"name": "sessionid", "value": "…"}],
//               "submitEmpty": false, "width": 320}, …]   (width: the viewport's, 1280 by default)
// Prints one line "AXE_JSON [...]": for each page its final URL, HTTP status, the axe violations of the WCAG 2.1 A
// and AA rules (id, impact, help, up to 5 offending elements), the Content-Security-Policy violations the page
// raised and, for a page audited after submitting its form empty, whether it shows errors.
//
// The portal's CSP stays in force: axe is evaluated through the DevTools protocol (as puppeteer's own functions),
// which a page's CSP does not govern, never injected as a <script>; the pages' own scripts run under their nonces,
// and any script or style the CSP refuses is reported. `submitEmpty`: the page's main form is emptied and submitted
// (browser validation off, as a user whose browser does not check), and the page that answers is audited: the
// form re-rendered with its errors. `overflow`: what does not fit the viewport's width (WCAG 1.4.10, reflow at
// 320 CSS px): the page's horizontal scroll, and the elements cut or pushed out (outside a scrolling box).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const pages = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});

function recordCspViolations() {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
  });
}

function measureOverflow() {
  const root = document.documentElement;
  const width = root.clientWidth;
  const scrolls = (node) => ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} «${(el.innerText || "").trim().slice(0, 40)}»`;
  const problems = [];
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || el.closest("[aria-hidden=true], .fr-sr-only")) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue; // the visually hidden texts of screen readers
    let inScroller = false;
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      if (scrolls(node)) { inScroller = true; break; }
    }
    if (inScroller) continue;
    // What shows something: an element without child elements, or with text of its own (a box's padding or
    // negative margin past the edge, as the DSFR's header navbar has, cuts nothing).
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (el.children.length && !ownText) continue;
    // The DSFR's icon-only buttons hide their text on purpose (it is their accessible name, the icon shows).
    const iconOnly = /fr-btn--(menu|search|close|tooltip)\b/.test(el.className) ||
      (/\bfr-btn\b/.test(el.className) && /\bfr-icon-/.test(el.className) && !/fr-btn--icon-(left|right)/.test(el.className));
    if (rect.right > width + 1 || rect.left < -1) problems.push(`out of the screen: ${describe(el)} (${Math.round(rect.left)}–${Math.round(rect.right)} px)`);
    else if (["hidden", "clip"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && !iconOnly)
      problems.push(`cut: ${describe(el)} (${el.scrollWidth} px in ${el.clientWidth})`);
  }
  return { scrollWidth: root.scrollWidth, clientWidth: width, problems: problems.slice(0, 10) };
}

function submitEmpty() {
  const form = [...document.querySelectorAll("main form, #contenu form")].find(
    (f) => f.method.toLowerCase() === "post" && f.querySelector("input:not([type=hidden]), select, textarea"),
  );
  if (!form) return false;
  for (const field of form.elements) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") continue;
    if (field.type === "checkbox" || field.type === "radio") field.checked = false;
    else if (field.tagName === "SELECT") field.selectedIndex = [...field.options].findIndex((o) => o.value === "");
    else field.value = "";
  }
  form.noValidate = true;
  const buttons = [...form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")];
  const submit = buttons.find((b) => !/enregistrer/i.test(b.name || "")) || null;
  form.requestSubmit(submit);
  return true;
}

const results = [];
try {
  for (const target of pages) {
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(recordCspViolations);
    await page.setViewport({ width: target.width || 1280, height: 900 });
    const origin = new URL(target.url).origin;
    for (const cookie of target.cookies || []) {
      await browser.setCookie({ ...cookie, url: origin });
    }
    let response = await page.goto(target.url, { waitUntil: "load", timeout: 30000 });
    let submitted = null;
    if (target.submitEmpty) {
      const [answer, sent] = await Promise.all([
        page.waitForNavigation({ waitUntil: "load", timeout: 30000 }).catch(() => null),
        page.evaluate(submitEmpty),
      ]);
      submitted = sent;
      if (answer) response = answer;
    }
    await page.evaluate(axeSource);
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
    const page_state = await page.evaluate(() => ({
      csp: window.__cspViolations || [],
      errors: document.querySelectorAll(".fr-error-text, .fr-input-group--error, .fr-select-group--error, .fr-fieldset--error, .fr-alert--error").length,
    }));
    const overflow = await page.evaluate(measureOverflow);
    results.push({
      name: target.name,
      overflow,
      url: page.url(),
      status: response ? response.status() : null,
      violations,
      csp: page_state.csp,
      submitted,
      errors: page_state.errors,
    });
    for (const cookie of await browser.cookies()) {
      await browser.deleteCookie(cookie);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write("AXE_JSON " + JSON.stringify(results) + "\n");

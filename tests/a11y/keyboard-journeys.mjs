// Journeys driven with the keyboard only: headless Chromium (puppeteer-core), page.keyboard and nothing else — no
// mouse, no element.click(), no value set by script. Tab / Shift+Tab move, Enter and Space act, arrows choose,
// letters type. At every stop the focused element must be a real control (not <body>) whose focus is visible (an
// outline or a shadow on it, or on its label's box for the DSFR's drawn radios and checkboxes).
//
//   node tests/a11y/keyboard-journeys.mjs journeys.json
//
// journeys.json: {"base": "http://127.0.0.1:…", "upload": "/path/to/scan.jpg", "journeys": ["permis-perte", …],
//                 "accounts": {"usager": ["email", "password"]}}
// Prints one line "KEYBOARD_JSON [...]": per journey its name, the steps reached (title and URL), and the error
// that stopped it, if any.
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const MAX_TABS = 120;

function describeFocus() {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return { tag: "body", visible: false };
  const drawn = (style) =>
    (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || (style.boxShadow && style.boxShadow !== "none");
  // Where the DSFR draws a focus ring: on the element, its ::before/::after, its label (drawn radios and
  // checkboxes) or an ancestor that shows :focus-within (an "enlarged" link: a whole card or the header's brand).
  const boxes = (node) => (node ? [getComputedStyle(node), getComputedStyle(node, "::before"), getComputedStyle(node, "::after")] : []);
  const ancestors = [];
  for (let node = el.parentElement, i = 0; node && i < 4; node = node.parentElement, i++) ancestors.push(node);
  const visible =
    [...boxes(el), ...boxes(el.labels && el.labels[0])].some(drawn) ||
    ancestors.some((node) => node.matches(":focus-within") && drawn(getComputedStyle(node)));
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.name || "",
    value: el.type === "radio" || el.tagName === "SELECT" ? el.value : "",
    checked: !!el.checked,
    href: el.getAttribute("href") || "",
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 80),
    visible: !!visible,
  };
}

async function journey(browser, name, run) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const steps = [];
  const reach = async (what, check) => {
    const matches = check.test ? (url) => check.test(url) : check;
    const title = await page.title();
    if (!matches(page.url())) {
      const errors = await page.evaluate(() =>
        [...document.querySelectorAll(".fr-error-text, .fr-alert--error")].map((e) => `${e.id}: ${e.innerText.trim()}`).join(" | "),
      );
      throw new Error(`${what}: at ${page.url()} ("${title}") ${errors}`);
    }
    steps.push({ step: what, title, url: page.url() });
  };
  const k = {
    page,
    reach,
    async tabTo(predicate, what, { back = false } = {}) {
      for (let i = 0; i < MAX_TABS; i++) {
        if (back) {
          await page.keyboard.down("Shift");
          await page.keyboard.press("Tab");
          await page.keyboard.up("Shift");
        } else {
          await page.keyboard.press("Tab");
        }
        const focus = await page.evaluate(describeFocus);
        if (focus.tag === "body") continue; // past the end of the page, back to the browser: go on
        if (!focus.visible) throw new Error(`focus not visible on ${JSON.stringify(focus)} at ${page.url()}`);
        if (predicate(focus)) return focus;
      }
      throw new Error(`${what}: not reached with Tab at ${page.url()}`);
    },
    async field(name, text) {
      await k.tabTo((f) => f.name === name, `field ${name}`);
      await page.keyboard.down("Control");
      await page.keyboard.press("a");
      await page.keyboard.up("Control");
      await page.keyboard.press("Backspace");
      await page.keyboard.type(text);
    },
    async date(name, iso) {
      // A date input: type its segments in the order of the browser's locale (day, month, year in French).
      const [year, month, day] = iso.split("-");
      const order = await page.evaluate(() =>
        new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2026, 10, 5)).map((p) => p.type),
      );
      const parts = { year, month, day };
      await k.tabTo((f) => f.name === name, `field ${name}`);
      for (const type of order.filter((t) => t in parts)) await page.keyboard.type(parts[type]);
    },
    async time(name, hhmm) {
      const [hour, minute] = hhmm.split(":").map(Number);
      const hour12 = await page.evaluate(
        () => new Intl.DateTimeFormat(navigator.language, { hour: "numeric" }).resolvedOptions().hour12,
      );
      await k.tabTo((f) => f.name === name, `field ${name}`);
      const shown = hour12 ? ((hour + 11) % 12) + 1 : hour;
      await page.keyboard.type(`${String(shown).padStart(2, "0")}${String(minute).padStart(2, "0")}`);
      if (hour12) await page.keyboard.type(hour < 12 ? "A" : "P");
    },
    async radio(name, value) {
      let focus = await k.tabTo((f) => f.name === name, `radio ${name}`);
      for (let i = 0; i < 10 && focus.value !== value; i++) {
        await page.keyboard.press("ArrowDown");
        focus = await page.evaluate(describeFocus);
      }
      if (focus.value !== value) throw new Error(`radio ${name}=${value} not reached`);
      await page.keyboard.press("Space");
    },
    async check(name) {
      const focus = await k.tabTo((f) => f.name === name, `checkbox ${name}`);
      if (!focus.checked) await page.keyboard.press("Space");
    },
    async press(predicate, what) {
      await k.tabTo(predicate, what);
      await Promise.all([page.waitForNavigation({ waitUntil: "load", timeout: 30000 }), page.keyboard.press("Enter")]);
    },
    async upload(name, path) {
      await k.tabTo((f) => f.name === name, `file ${name}`);
      const [chooser] = await Promise.all([page.waitForFileChooser({ timeout: 10000 }), page.keyboard.press("Space")]);
      await chooser.accept([path]); // the system's file dialog, which the keyboard drives outside the page
    },
    async signIn(email, password, secondFactor = null) {
      await page.goto(`${spec.base}/compte/connexion/`, { waitUntil: "load" });
      await k.field("username", email);
      await k.field("password", password);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
      if (secondFactor) await k.secondFactorIfAsked(secondFactor);
      await reach("signed in", (url) => !/\/compte\/(connexion|second-facteur)\//.test(url));
    },
    async secondFactorIfAsked(code) {
      // A professional's space asks for the second factor (a back-up code, typed like one of the authenticator's).
      if (!/\/compte\/second-facteur\//.test(page.url())) return;
      await reach("second factor", /\/compte\/second-facteur\//);
      await k.field("token", code);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
    },
    async fill(values) {
      // Each field with the keyboard action its kind takes, in the order of `values` (the page's order).
      for (const [name, value] of Object.entries(values)) {
        if (value === null || value === false || value === "") continue;
        const kind = await page.$eval(`[name='${name}']`, (el) => (el.tagName === "SELECT" ? "select" : el.type));
        if (kind === "radio") await k.radio(name, String(value));
        else if (kind === "checkbox") await k.check(name);
        else if (kind === "date") await k.date(name, value);
        else if (kind === "select") {
          let focus = await k.tabTo((f) => f.name === name, `select ${name}`);
          for (let i = 0; i < 300 && focus.value !== String(value); i++) {
            await page.keyboard.press("ArrowDown");
            focus = await page.evaluate(describeFocus);
          }
          if (focus.value !== String(value)) throw new Error(`select ${name}=${value} not reached`);
        } else await k.field(name, String(value));
      }
    },
    button: (text) => (f) => (f.tag === "button" || f.type === "submit") && f.text.includes(text),
    link: (href) => (f) => f.tag === "a" && f.href.includes(href),
  };
  try {
    await run(k);
    return { name, steps, error: null };
  } catch (error) {
    if (spec.screenshots) await page.screenshot({ path: `${spec.screenshots}/${name}.png`, fullPage: true }).catch(() => null);
    return { name, steps, error: String(error && error.message ? error.message : error) };
  } finally {
    await context.close();
  }
}

// The payment step of a démarche (a timbre fiscal bought on the page). Kept in one place: the carte grise's payment
// is moving to a bank card step at the end of the démarche, and its journey will call another function here.
async function payTimbre(k) {
  await k.press(k.button("Payer"), "buy the timbre");
  for (let i = 0; i < 2 && /\/paiement\//.test(k.page.url()); i++) {
    // Bought: the timbre's number waits to be used, then the page offers to go on (issue 14 has it move on).
    await k.press(
      (f) => k.button("Utiliser ce timbre")(f) || (f.tag === "a" && f.text.startsWith("Continuer")),
      "use the timbre bought",
    );
  }
}

// The carte grise's payment, after the pièces: today the taxes paid as a timbre on the payment step. The lead adapts
// this one function when the payment becomes a bank card step at the end of the démarche.
// The carte grise's taxes: paid by card at the last step, after the recap; paying files the démarche (issue 13).
async function payCarteGrise(k) {
  await k.reach("recap", /\/recapitulatif\//);
  await k.press(k.link("/paiement/"), "go on to the payment");
  await k.reach("payment and filing", /\/paiement\//);
  await k.field("number", spec.card.number);
  await k.field("expiry", spec.card.expiry);
  await k.field("cvc", spec.card.cvc);
  await k.field("holder", spec.card.holder);
  await k.press(k.button("Payer"), "pay and file");
}

// The seller's declaration of a sale, from sign-in to the code de cession; returns the plate and the code read on
// the page (the buyer gets them from the seller).
async function declareCession(k, buyerEmail) {
  const [email, password] = spec.accounts.usager;
  await k.signIn(email, password);
  await k.press(k.link("/vehicules/"), "Mes véhicules");
  await k.reach("my vehicles", /\/vehicules\/$/);
  await k.press(k.button(spec.cessionButton), "declare the sale of the first vehicle");
  await k.reach("declaration", /\/vehicules\/cessions\/[A-Z0-9]+\/$/);
  // The vehicle's own proof: its numéro de formule, or for an old-format card the certificate's date.
  const plate = await k.page.$eval("[name='vehicule-registration_number']", (input) => input.value);
  const proof = spec.vehicles[plate];
  if (!proof) throw new Error(`unknown vehicle ${plate}`);
  if (proof.formule) await k.field("vehicule-numero_formule", proof.formule);
  else await k.date("vehicule-certificate_date", proof.date);
  await k.date("cession-sold_on", spec.soldOn);
  await k.time("cession-sold_time", "10:30");
  await k.field("cession-mileage", "84210");
  await k.radio("acquereur-buyer_kind", "person");
  await k.field("acquereur-family_name", spec.buyer.familyName);
  await k.field("acquereur-given_names", spec.buyer.givenNames);
  if (buyerEmail) await k.field("acquereur-email", buyerEmail);
  await k.press(k.button("Déclarer"), "declare");
  await k.reach("code de cession", /\/vehicules\/cessions\/[A-Z0-9]+\/code\//);
  const code = await k.page.$eval("#code-de-cession", (el) => el.innerText.trim());
  return { plate, code };
}

const JOURNEYS = {
  // A passeport pré-demande, then an appointment in a mairie: from sign-in to the pré-demande's page with its slot.
  "passeport-pre-demande": async (k) => {
    const [email, password] = spec.accounts.usager;
    await k.signIn(email, password);
    await k.page.goto(`${spec.base}/demarches/passeport-pre-demande/`, { waitUntil: "load" });
    await k.reach("start page", /\/demarches\/passeport-pre-demande\//);
    await k.fill(spec.passeport.eligibility);
    await k.press(k.button("Commencer"), "start button");
    for (let i = 0; i < 12 && !/\/recapitulatif\//.test(k.page.url()); i++) {
      const url = k.page.url();
      const slug = (url.match(/\/etape\/([\w-]+)\//) || [])[1];
      if (slug && spec.passeport.steps[slug]) {
        await k.reach(`step ${slug}`, /\/etape\//);
        await k.fill(spec.passeport.steps[slug]);
        await k.press(k.button("Continuer"), `next after ${slug}`);
      } else if (/\/paiement\//.test(url)) {
        await k.reach("payment", /\/paiement\//);
        await payTimbre(k);
      } else throw new Error(`unexpected page ${url}`);
    }
    await k.reach("recap", /\/recapitulatif\//);
    await k.press(k.button("Déposer"), "file");
    await k.reach("filed", /\/dossiers\/[A-Z0-9]+\/$/);
    if (!/\/identite\//.test(k.page.url())) {
      await k.press(k.link("/identite/dossiers/"), "the pré-demande's page");
    }
    await k.reach("pré-demande", /\/identite\/dossiers\/[A-Z0-9]+\/$/);
    await k.press(k.link("/rendez-vous/"), "Prendre rendez-vous");
    await k.reach("appointment", /\/rendez-vous\/$/);
    await k.press((f) => f.tag === "button" && f.name === "slot", "the first free slot");
    await k.reach("appointment booked", /\/identite\/dossiers\/[A-Z0-9]+\/$/);
    const booked = await k.page.evaluate(() => document.body.innerText.includes("Changer de rendez-vous"));
    if (!booked) throw new Error("no appointment shown on the pré-demande's page");
  },
  // Lose a permis: from sign-in to the file's page once filed.
  "permis-perte": async (k) => {
    const [email, password] = spec.accounts.usager;
    await k.signIn(email, password);
    await k.page.goto(`${spec.base}/`, { waitUntil: "load" }); // the address typed in the browser's bar
    await k.press(k.link("/demarches/permis-perte/"), "the procedure on the home page");
    await k.reach("start page", /\/demarches\/permis-perte\//);
    await k.radio("what", "lost");
    await k.radio("licence_state", "no");
    await k.press(k.button("Commencer"), "start button");
    await k.reach("declaration", /\/etape\/declaration\//);
    await k.date("lost_on", spec.lostOn);
    await k.field("lost_place", "Brignoles");
    await k.field("circumstances", "Perdu au marché du samedi.");
    await k.check("sworn");
    await k.press(k.button("Continuer"), "next");
    await k.reach("photo", /\/etape\/photo\//);
    await k.radio("photo_mode", "paper");
    await k.press(k.button("Continuer"), "next");
    await k.reach("documents", /\/pieces\//);
    for (const name of spec.permisDocuments) await k.upload(name, spec.upload);
    await k.press(k.button("Continuer"), "next");
    await k.reach("payment", /\/paiement\//);
    await payTimbre(k);
    await k.reach("recap", /\/recapitulatif\//);
    await k.press(k.button("Déposer"), "file");
    await k.reach("filed: the file's page", /\/dossiers\/[A-Z0-9]+\/$/);
  },
  // A duplicata de carte grise (issue 13): the taxes paid by card at the last step, which files the démarche.
  "duplicata-carte": async (k) => {
    const [email, password] = spec.accounts.usager2;
    await k.signIn(email, password);
    await k.press(k.link("/vehicules/"), "Mes véhicules");
    await k.reach("my vehicles", /\/vehicules\/$/);
    await k.press(k.button("Demander un duplicata"), "ask for a duplicata of the first vehicle");
    await k.reach("vehicle", /\/etape\/vehicule\//);
    const plate = await k.page.$eval("[name='registration_number']", (input) => input.value);
    const proof = spec.vehicles[plate];
    if (!proof) throw new Error(`unknown vehicle ${plate}`);
    await k.field("numero_formule", proof.formule);
    await k.press(k.button("Continuer"), "next");
    await k.reach("motive", /\/etape\/motif\//);
    await k.radio("reason", "perte");
    await k.date("event_date", spec.lostOn);
    await k.press(k.button("Continuer"), "next");
    await k.reach("documents", /\/pieces\//);
    for (const name of spec.duplicataDocuments) await k.upload(name, spec.upload);
    await k.press(k.button("Continuer"), "next");
    await payCarteGrise(k);
    await k.reach("paid and filed: the file's page", /\/dossiers\/[A-Z0-9]+\/$/);
  },
  // A driving school enrols a student (electronic mandate): from the staff's sign-in, second factor included, to
  // the school's space that lists the student waiting to confirm.
  "auto-ecole": async (k) => {
    const [email, password, code] = spec.accounts.autoecole;
    await k.signIn(email, password, code);
    await k.page.goto(`${spec.base}/permis/auto-ecole/`, { waitUntil: "load" }); // the address typed in the bar
    await k.secondFactorIfAsked(code);
    await k.reach("school space", /\/permis\/auto-ecole\/$/);
    await k.press(k.link("/permis/auto-ecole/eleves/nouveau/"), "Inscrire un nouvel élève");
    await k.reach("new student", /\/permis\/auto-ecole\/eleves\/nouveau\//);
    await k.field("email", spec.student.email);
    await k.field("given_names", spec.student.givenNames);
    await k.field("family_name", spec.student.familyName);
    await k.date("birth_date", spec.student.birthDate);
    await k.radio("consent_method", "electronic");
    await k.press(k.button("Enregistrer le mandat"), "save the mandate");
    await k.reach("school space, the student listed", /\/permis\/auto-ecole\/\?ecole=\d+$/);
    const listed = await k.page.evaluate((name) => document.body.innerText.includes(name), spec.student.familyName);
    if (!listed) throw new Error(`${spec.student.familyName} not listed on the school's space`);
  },
  // A médiateur's session (the citizen already gave the code from their e-mail): from the médiateur's sign-in,
  // second factor included, to a démarche started for the citizen (the banner names whom they help), then the end
  // of the session.
  mediation: async (k) => {
    const [email, password, code] = spec.accounts.mediateur;
    await k.signIn(email, password, code);
    await k.page.goto(`${spec.base}/mediation/`, { waitUntil: "load" }); // the address typed in the bar
    await k.secondFactorIfAsked(code);
    await k.reach("console", /\/mediation\/$/);
    await k.press(k.link(`/mediation/seance/${spec.session.pk}/`), "the running session");
    await k.reach("session", /\/mediation\/seance\/\d+\/$/);
    await k.press(k.link(`/demarches/permis-perte/?seance=${spec.session.pk}`), "a démarche with the citizen");
    await k.reach("start page for the citizen", /\/demarches\/permis-perte\//);
    await k.radio("what", "lost");
    await k.radio("licence_state", "no");
    await k.press(k.button("Commencer"), "start button");
    await k.reach("declaration", /\/etape\/declaration\//);
    const banner = await k.page.evaluate((name) => document.body.innerText.includes(name), spec.session.citizen);
    if (!banner) throw new Error(`the page does not say the démarche is ${spec.session.citizen}'s`);
    await k.date("lost_on", spec.lostOn);
    await k.field("lost_place", "Toulon");
    await k.field("circumstances", "Perdu lors d'un déménagement.");
    await k.check("sworn");
    await k.press(k.button("Continuer"), "next");
    await k.reach("photo", /\/etape\/photo\//);
    await k.page.goto(`${spec.base}/mediation/seance/${spec.session.pk}/`, { waitUntil: "load" });
    await k.press(k.button("Terminer la séance"), "end the session");
    await k.reach("session ended", /\/mediation\/$/);
    const ended = await k.page.evaluate(() => document.body.innerText.includes("La séance est terminée"));
    if (!ended) throw new Error("the console does not say the session is over");
  },
  // Sell a car: from sign-in to the page that shows the code de cession.
  cession: async (k) => {
    await declareCession(k, null);
  },
  // Sell a car and change its holder: the seller declares the sale (the buyer's e-mail given), the buyer signs in
  // on the same computer, opens the acquisition with the code de cession, and files the changement de titulaire.
  "changement-titulaire": async (k) => {
    const [buyerEmail, buyerPassword] = spec.accounts.acquereur;
    const { plate, code } = await declareCession(k, buyerEmail);
    await k.page.deleteCookie(...(await k.page.cookies())); // the seller leaves; the buyer sits down
    await k.signIn(buyerEmail, buyerPassword);
    // The link of the invitation e-mail, typed in the browser's bar.
    await k.page.goto(`${spec.base}/vehicules/acquisition/?immatriculation=${encodeURIComponent(plate)}`,
                      { waitUntil: "load" });
    await k.reach("acquisition", /\/vehicules\/acquisition\//);
    await k.press(k.button("Commencer le changement de titulaire"), "start the changement de titulaire");
    await k.reach("vehicle", /\/etape\/vehicule\//);
    await k.field("code_de_cession", code);
    await k.press(k.button("Continuer"), "next");
    await k.reach("new holder", /\/etape\/titulaire\//);
    await k.fill(spec.titulaire.address);
    await k.press(k.button("Continuer"), "next");
    await k.reach("contrôle technique", /\/etape\/controle\//);
    // A vehicle past its first contrôle: the date of the last one (the demo's vehicles are old enough).
    if (await k.page.$("[name='ct_date']")) await k.date("ct_date", spec.titulaire.ctOn);
    await k.press(k.button("Continuer"), "next");
    await k.reach("documents", /\/pieces\//);
    // Every pièce the page asks for (the CT report among them when the contrôle is due).
    const files = await k.page.$$eval("main input[type=file]", (inputs) => inputs.map((input) => input.name));
    for (const name of files) await k.upload(name, spec.upload);
    await k.press(k.button("Continuer"), "next");
    await payCarteGrise(k);
    await k.reach("filed: the file's page", /\/dossiers\/[A-Z0-9]+\/$/);
  },
};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=fr-FR"],
});
const results = [];
try {
  for (const name of spec.journeys) results.push(await journey(browser, name, JOURNEYS[name]));
} finally {
  await browser.close();
}
process.stdout.write("KEYBOARD_JSON " + JSON.stringify(results) + "\n");

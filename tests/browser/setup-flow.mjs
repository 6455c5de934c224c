// The setup pages as a person uses them, in a real headless Chromium (playwright-core, driving
// Debian's /usr/bin/chromium): open the one-time set-up link, fill the form, approve in (the
// test's fake) Jira, see the success page. Screenshots of each page go to SCREENSHOT_DIR.
//
// Run by crates/jirasync/tests/browser_setup.rs (an ignored test that .ci/run runs with
// --ignored), which starts `jirasync serve` and the fake Jira and passes, in the environment:
//   SETUP_LINK, JIRA_URL, CONSUMER_KEY, PRIVATE_KEY_FILE, SCREENSHOT_DIR, CHROMIUM (optional).
// playwright-core is found through NODE_PATH. Any failure, including a browser that does not
// start, exits with status 1 and says why on standard error.

import { createRequire } from "node:module";
import { readFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

async function main() {
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (error) {
    throw new Error(`cannot load playwright-core (NODE_PATH=${process.env.NODE_PATH ?? ""}): ${error.message}`);
  }
  const link = need("SETUP_LINK");
  const jiraUrl = need("JIRA_URL");
  const consumerKey = need("CONSUMER_KEY");
  const privateKey = readFileSync(need("PRIVATE_KEY_FILE"), "utf8");
  const screenshots = need("SCREENSHOT_DIR");
  mkdirSync(screenshots, { recursive: true });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox"],
    timeout: 30_000,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    page.setDefaultTimeout(15_000);

    // 1. The link: redirected to the form, the token gone from the address bar.
    const opened = await page.goto(link);
    if (!opened || opened.status() !== 200) {
      throw new Error(`the set-up link answered ${opened && opened.status()}`);
    }
    if (page.url().includes("setup_token")) {
      throw new Error(`the token stayed in the address bar: ${page.url()}`);
    }
    await page.getByRole("heading", { name: "Connect Jira Server" }).waitFor();

    // 2. The form, as a person fills it.
    await page.getByLabel("Jira URL").fill(jiraUrl);
    await page.getByLabel("Consumer key").fill(consumerKey);
    await page.getByLabel("Private key").fill(privateKey);
    await page.screenshot({ path: path.join(screenshots, "setup-1-form.png"), fullPage: true });
    await Promise.all([page.waitForURL((url) => url.href.startsWith(jiraUrl)), page.getByRole("button", { name: "Submit" }).click()]);

    // 3. Jira's approval page.
    await page.screenshot({ path: path.join(screenshots, "setup-2-jira-approval.png"), fullPage: true });
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Allow" }).click()]);

    // 4. Back at jirasync: connected.
    await page.getByRole("heading", { name: "Jira Server connected" }).waitFor();
    const text = await page.textContent("body");
    if (!text.includes("jirasync is connected to Jira.") || !text.includes("Issue webhook: created in Jira")) {
      throw new Error(`the success page says: ${text}`);
    }
    await page.screenshot({ path: path.join(screenshots, "setup-3-connected.png"), fullPage: true });

    // 5. The link works once.
    const again = await page.goto(link);
    const againText = await page.textContent("body");
    if (!again || again.status() !== 403 || !againText.includes("already used")) {
      throw new Error(`opening the used link again answered ${again && again.status()}: ${againText}`);
    }
    await page.screenshot({ path: path.join(screenshots, "setup-4-link-used.png"), fullPage: true });
  } finally {
    await browser.close();
  }
}

main().then(
  () => {
    console.log("browser setup flow: passed");
  },
  (error) => {
    console.error(`browser setup flow FAILED: ${error.stack || error}`);
    process.exit(1);
  },
);

// Drives code-server (VS Code 1.139 in the browser) in headless Chromium through one BigPicture
// session, as a person would: try a review without a key (and take the plan it offers), set the
// API key in the masked box, run "Review Workspace" from the
// command palette, confirm the cost, watch the review's progress (then release the fake API's
// held answer), read the Problems panel, apply a quick fix with Ctrl+., ask for an explanation,
// open the usage and the plan, read the status bar; then edit and save a file and run "Review
// Changes"; then turn on bigpicture.reviewOnSave in the Settings editor and check that typing and
// Ctrl+S alone start a review (its progress and result in the status bar, its finding in Problems).
//
// Usage: node drive.mjs <config.json>
// The config (written by tests/e2e/test_vscode.py) names the code-server URL, the workspace, the
// output folder and what to look for. Results go to <out>/results.json, one screenshot per step to
// <out>/NN-step.png. Every wait is on UI state, never a fixed sleep. Exit code 0 when every step passed.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = config.outDir;
mkdirSync(out, { recursive: true });
const TIMEOUT = config.stepTimeoutMs ?? 45000;

const results = {
  steps: [],
  noKey: null,
  dialog: null,
  reviewing: null,
  problems: [],
  editorLine: null,
  explanation: null,
  usage: null,
  plan: null,
  planMessage: null,
  statusBar: null,
  changes: null,
  reviewOnSave: null,
};
const save = () => writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));

const browser = await chromium.launch({
  executablePath: config.chromium ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);

let stepNo = 0;
let current = null;
/** Notes how long a step took to reach each point (to see where time goes). */
function mark(label) {
  if (current) {
    current.marks.push([label, Date.now() - current.started]);
  }
}
async function step(name, fn) {
  stepNo += 1;
  const started = Date.now();
  const shot = `${String(stepNo).padStart(2, '0')}-${name}.png`;
  const record = { name, ok: false, ms: 0, screenshot: shot, marks: [] };
  results.steps.push(record);
  current = { marks: record.marks, started };
  try {
    record.detail = (await fn()) ?? null;
    record.ok = true;
  } catch (err) {
    record.error = String(err && err.stack ? err.stack : err);
  }
  record.ms = Date.now() - started;
  await page.screenshot({ path: join(out, shot) }).catch(() => undefined);
  save();
  if (!record.ok) {
    throw new Error(`step ${name} failed: ${record.error}`);
  }
}

/** The BigPicture status bar item (its text, icons dropped). */
const statusItem = () =>
  page.locator('.statusbar-item').filter({ hasText: /BigPicture/ }).first();

/** Saves a picture of the smallest area holding all `locators` (for the README). */
async function crop(name, locators, pad = 16) {
  const boxes = (await Promise.all(locators.map((l) => l.boundingBox()))).filter(Boolean);
  if (boxes.length === 0) {
    return;
  }
  const view = page.viewportSize();
  const x = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
  const y = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
  const right = Math.min(view.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad);
  const bottom = Math.min(view.height, Math.max(...boxes.map((b) => b.y + b.height)) + pad);
  await page.screenshot({ path: join(out, `readme-${name}.png`), clip: { x, y, width: right - x, height: bottom - y } });
}

/** Runs a command from the palette: F1, type its title, click its row (Enter at once is flaky). */
async function runCommand(title) {
  await page.locator('.monaco-workbench').click({ position: { x: 640, y: 300 } }).catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: title })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/**
 * Opens the code actions of a finding: selects its row in the Problems panel (Enter focuses the
 * editor at the finding), puts the cursor in the range (Ctrl+G), presses Ctrl+. and waits for
 * the action titled `want.title`.
 */
async function codeActions(want) {
  await page.keyboard.press('Control+Shift+M');
  const row = page.locator('.markers-panel .monaco-list-row').filter({ hasText: want.problemText }).first();
  await row.click();
  await page.keyboard.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').filter({ hasText: want.before }).waitFor({ state: 'visible' });
  mark('file opened');
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${want.line}:${want.column}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  // Ctrl+. acts on the focused editor: wait until the focus is back in it.
  await page.waitForFunction(() => document.activeElement?.closest('.editor-instance .monaco-editor'));
  const action = page.locator('.action-widget .monaco-list-row').filter({ hasText: want.title }).first();
  // The key can still be lost while the widget settles: press again (at most three times) when
  // the menu has not appeared.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+.');
    try {
      await action.waitFor({ state: 'visible', timeout: attempt < 3 ? 5000 : TIMEOUT });
      break;
    } catch (err) {
      if (attempt >= 3) {
        throw err;
      }
      mark(`Ctrl+. again (${attempt})`);
      await page.keyboard.press('Escape');
    }
  }
  mark('actions shown');
  return { editor, action };
}

/** Waits for the active editor tab `title` to show `expect`; returns the visible text. */
async function tabText(title, expect) {
  await page.locator('.tab.active').filter({ hasText: title }).waitFor({ state: 'visible' });
  const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await lines.filter({ hasText: expect }).waitFor({ state: 'visible' });
  return (await lines.innerText()).replace(/\u00a0/g, ' ');
}

/** Waits for a notification toast whose text matches and returns that text. */
async function notification(pattern) {
  const toast = page.locator('.notification-toast').filter({ hasText: pattern }).first();
  await toast.waitFor({ state: 'visible' });
  return (await toast.innerText()).trim();
}

/** Opens a workspace file from the palette's "Go to File" and waits for its tab. */
async function openFile(path) {
  await runCommand('Go to File');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(path);
  const name = path.split('/').pop();
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  await page.locator('.tab.active').filter({ hasText: name }).waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.activeElement?.closest('.editor-instance .monaco-editor'));
}

/**
 * Types `text` on a new line after the end of the active file, as keys, then saves with
 * Ctrl+S and waits for the tab to be clean. (Escape closes word suggestions, so the last Enter
 * adds a line instead of taking a suggestion.)
 */
async function appendLineAndSave(text) {
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type(text, { delay: 20 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').filter({ hasText: text }).waitFor({ state: 'visible' });
  await page.locator('.tab.active.dirty').waitFor({ state: 'visible' });
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached' });
}

/** Blocks on the fake API's control endpoint (server-side wait); throws unless it happened. */
async function fakeWait(body) {
  const res = await fetch(`${config.fakeUrl}/_fake/wait`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok || !answer.ok) {
    throw new Error(`fake API wait ${JSON.stringify(body)}: HTTP ${res.status} ${JSON.stringify(answer)}`);
  }
}

async function fakeRelease(name) {
  const res = await fetch(`${config.fakeUrl}/_fake/release`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) {
    throw new Error(`releasing the held reply ${name}: HTTP ${res.status}`);
  }
}

/** Waits until the BigPicture status bar item's text matches `pattern` (a RegExp source). */
async function statusMatches(pattern, timeout) {
  await page.waitForFunction(
    (want) => {
      const items = [...document.querySelectorAll('.statusbar-item')];
      const item = items.find((el) => el.textContent.includes('BigPicture'));
      return item && new RegExp(want).test(item.textContent);
    },
    pattern,
    { timeout: timeout ?? TIMEOUT },
  );
  return (await statusItem().innerText()).trim();
}

/** Shows the Problems panel, waits for a row with `text`, returns every row's text. */
async function problemRows(text) {
  await page.keyboard.press('Control+Shift+M');
  const rows = page.locator('.markers-panel .monaco-list-row');
  await rows.filter({ hasText: text }).first().waitFor({ state: 'visible' });
  return rows.evaluateAll((els) => els.map((el) => el.innerText.replace(/\s+/g, ' ').trim()));
}

let exitCode = 0;
try {
  await step('open-workspace', async () => {
    await page.goto(`${config.url}/?folder=${encodeURIComponent(config.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90000 });
    // The extension is active and its server started once the status item leaves "starting".
    await statusItem().waitFor({ state: 'visible', timeout: 90000 });
    await page.waitForFunction(
      () => {
        const items = [...document.querySelectorAll('.statusbar-item')];
        const item = items.find((el) => el.textContent.includes('BigPicture'));
        return item && !item.querySelector('.codicon-loading');
      },
      null,
      { timeout: 90000 },
    );
    return { status: (await statusItem().innerText()).trim() };
  });

  await step('no-key', async () => {
    // Without a key a review explains how to set one and offers the plan instead.
    await runCommand('BigPicture: Review Workspace');
    const toast = page.locator('.notification-toast').filter({ hasText: /needs an Anthropic API key/ }).first();
    await toast.waitFor({ state: 'visible' });
    const text = (await toast.innerText()).trim();
    await toast.getByRole('button', { name: 'Show Plan and Cost' }).click();
    const plan = await tabText('plan.md', 'Files sent');
    const message = await notification(/would send/);
    results.noKey = { toast: text, plan, message };
    await runCommand('Notifications: Clear All Notifications');
    await page.locator('.notification-toast').first().waitFor({ state: 'detached' });
    return { toast: text };
  });

  await step('set-api-key', async () => {
    await runCommand('BigPicture: Set API Key');
    const box = page.locator('.quick-input-widget input[type="password"]');
    await box.waitFor({ state: 'visible' });
    await box.pressSequentially(config.apiKey);
    await page.keyboard.press('Enter');
    return { message: await notification(/API key stored/) };
  });

  await step('confirm-cost', async () => {
    await runCommand('BigPicture: Review Workspace');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible' });
    results.dialog = (await dialog.innerText()).trim();
    await page.screenshot({ path: join(out, `${String(stepNo).padStart(2, '0')}-confirm-dialog.png`) });
    await crop('confirm', [dialog], 24);
    await dialog.getByRole('button', { name: 'Review', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    return { dialog: results.dialog };
  });

  await step('reviewing', async () => {
    // The fake API holds the model's answer until this step has seen the review in progress.
    // The server's progress: a stage in the status bar, a cancellable notification.
    // (Held after message_start, the review is sending or receiving; each UI part is waited on.)
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll('.statusbar-item')];
      return items.some((el) => /BigPicture: reviewing workspace: (sending|receiving)/.test(el.textContent));
    });
    const toast = await notification(/BigPicture: reviewing the workspace: (sending|receiving)/);
    const status = (await statusItem().innerText()).trim();
    await fakeRelease(config.holdName);
    results.reviewing = { status, toast };
    return results.reviewing;
  });

  await step('review-finished', async () => {
    await page.waitForFunction(
      (want) => {
        const items = [...document.querySelectorAll('.statusbar-item')];
        const item = items.find((el) => el.textContent.includes('BigPicture'));
        return item && new RegExp(want).test(item.textContent);
      },
      config.expectStatus,
      { timeout: config.reviewTimeoutMs ?? 90000 },
    );
    results.statusBar = (await statusItem().innerText()).trim();
    return { statusBar: results.statusBar };
  });

  await step('problems-panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    const panel = page.locator('.markers-panel');
    await panel.waitFor({ state: 'visible' });
    const rows = panel.locator('.monaco-list-row');
    // Wait until every expected finding is listed.
    for (const want of config.expectProblems) {
      await rows.filter({ hasText: want.text }).first().waitFor({ state: 'visible' });
    }
    results.problems = await rows.evaluateAll((els) =>
      els.map((el) => ({
        text: el.innerText.replace(/\s+/g, ' ').trim(),
        aria: el.getAttribute('aria-label') ?? '',
      })),
    );
    return { problems: results.problems.length };
  });

  await step('quick-fix', async () => {
    const fix = config.quickFix;
    // Toasts from the review would cover the editor in the pictures.
    await runCommand('Notifications: Clear All Notifications');
    await page.locator('.notification-toast').first().waitFor({ state: 'detached' });
    const { editor, action } = await codeActions(fix);
    await page.screenshot({ path: join(out, `${String(stepNo).padStart(2, '0')}-quick-fix-menu.png`) });
    await crop('quickfix', [page.locator('.editor-group-container').first(), page.locator('.markers-panel')], 0);
    await action.click();
    await editor.locator('.view-lines').filter({ hasText: fix.after }).waitFor({ state: 'visible' });
    results.editorLine = (await editor.locator('.view-line').filter({ hasText: fix.after }).first().innerText())
      .replace(/\u00a0/g, ' ');
    mark('fix applied');
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached' });
    return { editorLine: results.editorLine };
  });

  await step('explain', async () => {
    const { action } = await codeActions(config.explain);
    await action.click();
    results.explanation = await tabText(config.explain.tab, config.explain.expect);
    return { explanation: results.explanation.slice(0, 200) };
  });

  await step('usage', async () => {
    await runCommand('BigPicture: Show Usage');
    results.usage = await tabText(config.usage.tab, config.usage.expect);
    return { usage: results.usage.slice(0, 200) };
  });

  await step('plan', async () => {
    await runCommand('BigPicture: Show Plan and Cost');
    const choice = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Workspace' }).first();
    await choice.waitFor({ state: 'visible' });
    await choice.click();
    results.plan = await tabText(config.plan.tab, config.plan.expect);
    results.planMessage = await notification(/would send/);
    return { planMessage: results.planMessage };
  });

  await step('status-bar', async () => {
    const item = statusItem();
    results.statusBar = (await item.innerText()).trim();
    await item.hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'review' }).first();
    await hover.waitFor({ state: 'visible' });
    await crop('status', [item, hover], 12);
    return { statusBar: results.statusBar };
  });
  await step('review-changes', async () => {
    // Edit and save a file of the (committed) workspace, then review the uncommitted changes.
    const want = config.changes;
    await runCommand('Notifications: Clear All Notifications');
    await openFile(want.file);
    await appendLineAndSave(want.typed);
    mark('edited and saved');
    await runCommand('BigPicture: Review Changes');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible' });
    const dialogText = (await dialog.innerText()).trim();
    await dialog.getByRole('button', { name: 'Review', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    const status = await statusMatches(want.expectStatus, config.reviewTimeoutMs ?? 90000);
    const problems = await problemRows(want.problemText);
    results.changes = { dialog: dialogText, status, problems };
    return { status };
  });

  await step('enable-review-on-save', async () => {
    // The Settings editor, as a person would: search the setting, pick "changes".
    await runCommand('Preferences: Open User Settings');
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ state: 'visible' });
    await editor.locator('.settings-header .suggest-input-container').click();
    await page.keyboard.type('bigpicture.reviewOnSave');
    const item = editor.locator('.monaco-list-row').filter({ hasText: 'Review On Save' }).first();
    await item.waitFor({ state: 'visible' });
    const select = item.locator('select');
    await select.selectOption('changes');
    // Written to the User settings once the item shows as modified.
    await item.locator('.setting-item-contents.is-configured').waitFor({ state: 'visible' });
    mark('setting written');
    const value = await select.inputValue();
    // The Settings editor opens as a modal over the editors: close it.
    await page.keyboard.press('Escape');
    try {
      await editor.waitFor({ state: 'hidden', timeout: 5000 });
    } catch (err) {
      const html = await page.evaluate(() => {
        const el = document.querySelector('.settings-editor');
        let top = el;
        for (let i = 0; i < 6 && top?.parentElement; i++) top = top.parentElement;
        return [...(top?.querySelectorAll('[class*="close"], .action-label') ?? [])]
          .map((a) => `${a.tagName}.${a.className} ${a.getAttribute('aria-label') ?? ''}`)
          .join('\n');
      });
      throw new Error(`settings editor still open; close candidates:\n${html}`);
    }
    return { value };
  });

  await step('review-on-save', async () => {
    // Typing and Ctrl+S alone start a review of the changes; its answer is held by the fake API
    // until the status bar has shown it in progress.
    const want = config.onSave;
    await openFile(want.file);
    await appendLineAndSave(want.typed);
    mark('saved');
    await fakeWait({ held: want.holdName, event: 'started', timeout: 30 });
    mark('request received');
    const reviewing = await statusMatches('BigPicture: reviewing changes');
    await fakeRelease(want.holdName);
    await fakeWait({ held: want.holdName, event: 'finished', timeout: 30 });
    const status = await statusMatches(`^(?![\\s\\S]*reviewing)[\\s\\S]*${want.expectStatus}`);
    const problems = await problemRows(want.problemText);
    results.reviewOnSave = { reviewing, status, problems };
    return { reviewing, status };
  });
} catch (err) {
  results.error = String(err && err.message ? err.message : err);
  exitCode = 1;
} finally {
  save();
  await browser.close();
}
process.exit(exitCode);

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
import { readFileSync, writeFileSync, mkdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = config.outDir;
mkdirSync(out, { recursive: true });
const TIMEOUT = config.stepTimeoutMs ?? 45000;

const results = {
  steps: [],
  firstStart: null,
  selectInterpreter: null,
  noKey: null,
  overLimit: null,
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
  saveSkipped: null,
  view: null,
  dismiss: null,
  hover: null,
  rateLimited: null,
  reload: null,
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

/** The BigPicture status bar item (its text, icons dropped), found by its id. */
const STATUS_SELECTOR = '.statusbar-item[id$="bigpicture.status"]';
const statusItem = () => page.locator(STATUS_SELECTOR).first();

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
  const editor = await cursorOnFinding(want);
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

/**
 * Shows the hover of a finding from the keyboard (Ctrl+K Ctrl+I with the cursor in its range,
 * reached as in codeActions) and waits for one that holds `want.expect`: the diagnostic's
 * message and the server's Markdown (title, severity, category, confidence, the fix preview).
 */
async function hoverOf(want) {
  await cursorOnFinding(want);
  const hover = page.locator('.monaco-editor .monaco-hover').filter({ hasText: want.expect }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    try {
      await hover.waitFor({ state: 'visible', timeout: attempt < 3 ? 5000 : TIMEOUT });
      break;
    } catch (err) {
      if (attempt >= 3) {
        throw err;
      }
      mark(`hover again (${attempt})`);
      await page.keyboard.press('Escape');
    }
  }
  // Both parts are in: the marker (the diagnostic) and the server's hover.
  await hover.filter({ hasText: want.title }).waitFor({ state: 'visible' });
  const info = {
    text: (await hover.innerText()).trim(),
    headings: (await hover.locator('h3').allInnerTexts()).map((t) => t.trim()),
    strong: (await hover.locator('strong').allInnerTexts()).map((t) => t.trim()),
  };
  if (want.picture) {
    await crop(want.picture, [hover, page.locator('.editor-instance .view-line').filter({ hasText: want.before }).first()], 10);
  }
  await page.keyboard.press('Escape');
  return info;
}

/**
 * Opens the editor at a finding from its row in the Problems panel (Enter focuses the editor
 * at the finding) and puts the cursor in its range (Ctrl+G); returns the editor.
 */
async function cursorOnFinding(want) {
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
  // Keys act on the focused editor: wait until the focus is back in it.
  await page.waitForFunction(() => document.activeElement?.closest('.editor-instance .monaco-editor'));
  return editor;
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

/**
 * Waits until VS Code has written `key: value` to the User settings file (the Settings editor
 * debounces typed values). Checked each time the file changes, or at most every 250 ms.
 */
async function settingWritten(key, value) {
  const file = config.userSettings;
  const deadline = Date.now() + TIMEOUT;
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'))[key];
    } catch {
      return undefined; // (being rewritten)
    }
  };
  while (read() !== value) {
    if (Date.now() > deadline) {
      throw new Error(`${key} is ${JSON.stringify(read())} in ${file}, not ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => {
      const watcher = watch(file, () => done());
      const timer = setTimeout(() => done(), 250);
      function done() {
        watcher.close();
        clearTimeout(timer);
        resolve();
      }
    });
  }
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
    ([selector, want]) => {
      const item = document.querySelector(selector);
      return item && new RegExp(want).test(item.textContent);
    },
    [STATUS_SELECTOR, pattern],
    { timeout: timeout ?? TIMEOUT },
  );
  return (await statusItem().innerText()).trim();
}

/** The text of the tooltip of the status item (hovering it). */
async function statusTooltip(expect) {
  await page.mouse.move(10, 10);
  await statusItem().hover();
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: expect }).first();
  await hover.waitFor({ state: 'visible' });
  return { hover, text: (await hover.innerText()).trim() };
}

/** The texts of every visible notification toast. */
async function toastTexts() {
  return page.locator('.notification-toast').evaluateAll((els) => els.map((el) => el.innerText.trim()));
}

/** The rendered text of the active Markdown preview (a webview in two nested iframes). */
async function previewText(expect) {
  const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
  const body = frame.locator('body');
  await body.filter({ hasText: expect }).waitFor({ state: 'visible' });
  return {
    text: (await body.innerText()).trim(),
    h1: (await frame.locator('h1').first().innerText()).trim(),
    h2: await frame.locator('h2').allInnerTexts(),
  };
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
    // The extension is active once its status item shows; its first start fails (pythonPath
    // names no interpreter), which the status item says.
    await statusItem().waitFor({ state: 'visible', timeout: 90000 }).catch(async (err) => {
      const ids = await page.locator('.statusbar-item').evaluateAll((els) => els.map((el) => el.id));
      throw new Error(`${err}\nstatus bar item ids: ${ids.join(', ')}`);
    });
    return { status: await statusMatches('server not running', 90000) };
  });

  await step('first-start', async () => {
    // One message, with what to do; none of vscode-languageclient's own.
    const toast = page.locator('.notification-toast').filter({ hasText: /did not start/ }).first();
    await toast.waitFor({ state: 'visible' });
    const text = (await toast.innerText()).trim();
    const buttons = await toast.locator('.monaco-button').allInnerTexts();
    const status = (await statusItem().innerText()).trim();
    await crop('first-start', [toast, statusItem()], 12);
    // Open Settings: the Settings editor at the setting, in the scope where it takes effect.
    await toast.getByRole('button', { name: 'Open Settings' }).click();
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ state: 'visible' });
    const row = editor.locator('.monaco-list-row').filter({ hasText: 'Python Path' }).first();
    await row.waitFor({ state: 'visible' });
    const scope = (await editor.locator('.settings-tabs-widget .action-item.checked, .settings-tabs-widget .action-label.checked').first().innerText()).trim();
    const query = await editor.locator('.settings-header .suggest-input-container .view-lines').innerText();
    await page.screenshot({ path: join(out, `${String(stepNo).padStart(2, '0')}-open-settings.png`) });
    const toasts = await toastTexts();
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'hidden' }).catch(() => undefined);
    results.firstStart = { toast: text, buttons, status, scope, query: query.replace(/\u00a0/g, ' '), toasts };
    return results.firstStart;
  });

  await step('select-interpreter', async () => {
    // Without the Python extension, a file picker (VS Code's simple dialog in the browser);
    // the chosen interpreter is written to bigpicture.pythonPath, which starts the server.
    await runCommand('BigPicture: Select Python Interpreter');
    const input = page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible' });
    // The dialog fills in the workspace folder once it has listed it; type after that.
    await page.waitForFunction(() => /\/$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''));
    for (let attempt = 1; ; attempt++) {
      await input.fill(config.interpreter);
      try {
        await page.waitForFunction(
          (want) => document.querySelector('.quick-input-widget input')?.value === want,
          config.interpreter,
          { timeout: 3000 },
        );
        await page.keyboard.press('Enter');
        await input.waitFor({ state: 'hidden', timeout: attempt < 3 ? 5000 : TIMEOUT });
        break;
      } catch (err) {
        if (attempt >= 3) {
          throw err;
        }
        mark(`path typed again (${attempt})`);
      }
    }
    const status = await statusMatches('^(?![\\s\\S]*not running)[\\s\\S]*BigPicture', 90000);
    await runCommand('Notifications: Clear All Notifications');
    results.selectInterpreter = { status };
    return results.selectInterpreter;
  });

  await step('no-key', async () => {
    // Without a key a review explains how to set one and offers the plan instead.
    await runCommand('BigPicture: Review Workspace');
    const toast = page.locator('.notification-toast').filter({ hasText: /needs an Anthropic API key/ }).first();
    await toast.waitFor({ state: 'visible' });
    const text = (await toast.innerText()).trim();
    await toast.getByRole('button', { name: 'Show Plan and Cost' }).click();
    const plan = await tabText(config.plan.tab, config.plan.expect);
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
    const toast = await notification(/BigPicture: reviewing the workspace: (sending|receiving)/);
    const status = await statusMatches('reviewing workspace');
    const { text: tooltip } = await statusTooltip('reviewing');
    // Every progress indicator on screen: notifications and status bar items about the review.
    const progressToasts = (await toastTexts()).filter((t) => /reviewing/.test(t));
    const progressItems = await page
      .locator('.statusbar-item')
      .evaluateAll((els) => els.map((el) => el.textContent.trim()).filter((t) => /reviewing|BigPicture/i.test(t)));
    // Another review asked for meanwhile: a server with ifRunning answers "busy" and the
    // extension asks what to do with the running one; dismissing it sends nothing.
    let busy = null;
    if (config.busy) {
      await runCommand('BigPicture: Review Workspace');
      const confirm = page.locator('.monaco-dialog-box').filter({ hasText: 'Review workspace for about' });
      await confirm.waitFor({ state: 'visible' });
      await confirm.getByRole('button', { name: 'Review', exact: true }).click();
      const question = page.locator('.monaco-dialog-box').filter({ hasText: 'is running' });
      await question.waitFor({ state: 'visible' });
      busy = {
        text: (await question.innerText()).trim(),
        buttons: await question.locator('.monaco-button').allInnerTexts(),
      };
      await crop('busy', [question], 24);
      await question.getByRole('button', { name: 'Cancel', exact: true }).click();
      await question.waitFor({ state: 'hidden' });
      busy.status = (await statusItem().innerText()).trim();
      mark('busy question answered');
    }
    await fakeRelease(config.holdName);
    results.reviewing = { status, toast, tooltip, progressToasts, progressItems, busy };
    return results.reviewing;
  });

  await step('review-finished', async () => {
    results.statusBar = await statusMatches(config.expectStatus, config.reviewTimeoutMs ?? 90000);
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

  await step('view', async () => {
    // The BigPicture view in the activity bar: the review's summary on top, then the findings
    // by severity and file (a server without bigpicture.findings: a message saying where they are).
    await runCommand('View: Show BigPicture');
    const sidebar = page.locator('.part.sidebar');
    const rows = sidebar.locator('.monaco-list-row');
    await rows.filter({ hasText: 'Workspace review' }).first().waitFor({ state: 'visible' });
    const want = config.view;
    if (want.listed) {
      for (const text of want.listed) {
        await rows.filter({ hasText: text }).first().waitFor({ state: 'visible' });
      }
    } else {
      await sidebar.locator('.message').filter({ hasText: 'cannot list its findings' }).first().waitFor({ state: 'visible' });
    }
    const rowTexts = await rows.evaluateAll((els) =>
      els.map((el) => ({ text: el.innerText.replace(/\s+/g, ' ').trim(), aria: el.getAttribute('aria-label') ?? '' })),
    );
    const message = (await sidebar.locator('.message').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    const toasts = await toastTexts();
    await crop('view', [sidebar.locator('.composite.title').first(), rows.last()], 6);
    results.view = { rows: rowTexts, message, toasts };
    if (want.filterOnly) {
      // Filter by Severity: check one severity in the list (none checked: all); the view hides
      // the others and says how many it shows. Clear Filters shows them all again.
      await sidebar.locator('.action-label[aria-label="Filter by Severity..."]').first().click();
      const pick = page.locator('.quick-input-widget');
      await pick.waitFor({ state: 'visible' });
      const choices = pick.locator('.quick-input-list .monaco-list-row');
      await choices.filter({ hasText: want.filterOnly }).first().waitFor({ state: 'visible' });
      const offered = await choices.evaluateAll((els) => els.map((el) => el.innerText.replace(/\s+/g, ' ').trim()));
      await choices.filter({ hasText: want.filterOnly }).first().click();
      await page.keyboard.press('Enter');
      await pick.waitFor({ state: 'hidden' });
      const note = sidebar.locator('.message').filter({ hasText: 'Filtered' }).first();
      await note.waitFor({ state: 'visible' });
      // the note can show before the tree has redrawn its rows: wait for the hidden one to go
      // (a filter that never hides it fails this step by the timeout)
      await rows.filter({ hasText: want.hiddenRow }).first().waitFor({ state: 'hidden' });
      const filtered = {
        offered,
        message: (await note.innerText()).trim(),
        rows: await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.trim())),
      };
      await sidebar.locator('.action-label[aria-label="Clear Filters"]').first().click();
      await note.waitFor({ state: 'hidden' });
      await rows.filter({ hasText: want.hiddenRow }).first().waitFor({ state: 'visible' });
      results.view.filtered = filtered;
    }
    if (want.open) {
      // A click on a finding opens its file with the finding's range selected.
      await rows.filter({ hasText: want.open.row }).first().click();
      await page.locator('.tab.active').filter({ hasText: want.open.tab }).waitFor({ state: 'visible' });
      const selection = page.locator('.statusbar-item[id="status.editor.selection"]');
      await page.waitForFunction(
        ([sel, text]) => document.querySelector(sel)?.textContent?.includes(text),
        ['.statusbar-item[id="status.editor.selection"]', want.open.selection],
      );
      results.view.opened = { selection: (await selection.innerText()).trim() };
    }
    return { rows: rowTexts.length, message };
  });

  if (config.hover) {
    await step('hover', async () => {
      // The hover on each finding: its severity, category and confidence, the message, and a
      // preview of the suggested fix (the server's Markdown under the diagnostic's message).
      results.hover = [];
      // (Ctrl+Shift+M toggles the Problems panel when it has the focus: start from the editor.)
      await page.locator('.part.editor').click({ position: { x: 400, y: 300 } });
      for (const want of config.hover) {
        results.hover.push(await hoverOf(want));
      }
      return { hovers: results.hover.length };
    });
  }

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
    // A progress notification while the model answers, then a rendered Markdown preview.
    const progress = await notification(/explaining/);
    const tab = page.locator('.tab.active').filter({ hasText: config.explain.tab });
    await tab.waitFor({ state: 'visible' });
    const preview = await previewText(config.explain.expect);
    results.explanation = { progress, tab: (await tab.innerText()).trim(), ...preview };
    return { tab: results.explanation.tab };
  });

  if (config.dismiss) {
    await step('dismiss-restore', async () => {
      // Dismiss a finding from the light bulb (a toast with Undo), see it under "Show
      // Dismissed" in the view, and restore it from there: it is back in Problems and the view.
      const want = config.dismiss;
      await runCommand('Notifications: Clear All Notifications');
      const { action } = await codeActions(want);
      await action.click();
      const toast = page.locator('.notification-toast').filter({ hasText: 'dismissed' }).first();
      await toast.waitFor({ state: 'visible' });
      const dismissed = {
        text: (await toast.innerText()).trim(),
        buttons: await toast.locator('.monaco-button').allInnerTexts(),
      };
      await runCommand('Notifications: Clear All Notifications');
      await runCommand('View: Show BigPicture');
      const sidebar = page.locator('.part.sidebar');
      const rows = sidebar.locator('.monaco-list-row');
      await rows.filter({ hasText: 'Workspace review' }).first().waitFor({ state: 'visible' });
      await rows.filter({ hasText: want.problemText }).waitFor({ state: 'detached' });
      const before = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.replace(/\s+/g, ' ').trim()));
      await sidebar.locator('.action-label[aria-label="Show Dismissed"]').first().click();
      const row = rows.filter({ hasText: want.problemText }).first();
      await row.waitFor({ state: 'visible' });
      const shown = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.replace(/\s+/g, ' ').trim()));
      await crop('dismissed', [sidebar.locator('.composite.title').first(), rows.last()], 6);
      await row.hover();
      await row.locator('.action-label[aria-label="Restore Finding"]').click();
      // Back among the findings (its severity group) and in the Problems panel.
      await sidebar.locator(`.monaco-list-row[aria-label="${want.restoredRow}"]`).first().waitFor({ state: 'visible' });
      const after = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.replace(/\s+/g, ' ').trim()));
      await sidebar.locator('.action-label[aria-label="Hide Dismissed"]').first().click();
      const problems = await problemRows(want.problemText);
      results.dismiss = { dismissed, before, shown, after, problems };
      return { dismissed };
    });
  }

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
    // Read-only: typing into it changes nothing (the tab never becomes dirty).
    const tab = page.locator('.tab.active').first();
    results.planTab = { html: await tab.evaluate((el) => el.outerHTML), aria: await tab.getAttribute('aria-label') };
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.type('xyz');
    results.planTab.dirty = await page.locator('.tab.active.dirty').count();
    results.planTab.typed = (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).includes('xyz');
    return { planMessage: results.planMessage, planTab: results.planTab };
  });

  await step('status-bar', async () => {
    const item = statusItem();
    results.statusBar = (await item.innerText()).trim();
    const { hover, text } = await statusTooltip('review');
    results.statusTooltip = text;
    await crop('status', [item, hover], 12);
    return { statusBar: results.statusBar, tooltip: text };
  });
  await step('review-changes', async () => {
    // Edit and save a file of the (committed) workspace, then review the uncommitted changes.
    const want = config.changes;
    await runCommand('Notifications: Clear All Notifications');
    await openFile(want.file);
    await appendLineAndSave(want.typed);
    mark('edited and saved');
    // From the Source Control view's title bar.
    await page.keyboard.press('Control+Shift+G');
    const button = page.locator('.part.sidebar .title-actions a.action-label[aria-label="Review Changes"], .part.sidebar a.action-label[aria-label="Review Changes"]').first();
    await button.waitFor({ state: 'visible' });
    await crop('scm', [page.locator('.part.sidebar .composite.title').first()], 8);
    await button.click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible' });
    const dialogText = (await dialog.innerText()).trim();
    await dialog.getByRole('button', { name: 'Review', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Its finding first (the status bar still shows the last review until this one starts),
    // then the status bar once it no longer says it is reviewing.
    const problems = await problemRows(want.problemText);
    const status = await statusMatches(`^(?![\\s\\S]*reviewing)[\\s\\S]*${want.expectStatus}`, config.reviewTimeoutMs ?? 90000);
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

  await step('save-skipped', async () => {
    // With confirmAbove at 0 (every review above it), a save does not send the review: the
    // status bar says it was skipped and why; no dialog, nothing sent.
    const want = config.saveSkipped;
    await openFile(want.file);
    await appendLineAndSave(want.typed);
    mark('saved');
    const status = await statusMatches('save review skipped');
    const { text: tooltip } = await statusTooltip('skipped');
    const dialogs = await page.locator('.monaco-dialog-box').count();
    await page.mouse.move(10, 10);
    results.saveSkipped = { status, tooltip, dialogs };
    // Raise confirmAbove in the Settings editor; it is in force once the settings file has it.
    await runCommand('Preferences: Open User Settings');
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ state: 'visible' });
    await editor.locator('.settings-header .suggest-input-container').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('bigpicture.confirmAbove');
    const item = editor.locator('.monaco-list-row').filter({ hasText: 'Confirm Above' }).first();
    await item.waitFor({ state: 'visible' });
    await item.locator('input').first().fill(String(want.raiseTo));
    // The Settings editor writes a typed value after a pause, and drops it when closed first:
    // close it once the User settings file holds the value.
    await settingWritten('bigpicture.confirmAbove', want.raiseTo);
    mark('confirmAbove raised');
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'hidden' });
    return results.saveSkipped;
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

  if (config.allShards) {
    await step('all-shards', async () => {
      // "Review Whole Repository (all shards)": progress per shard in the notification and the
      // status bar while the fake holds the shard's answer. (confirmAbove was raised to 5 by
      // the save-skipped step: under it no confirmation is asked.)
      const want = config.allShards;
      await runCommand('Notifications: Clear All Notifications');
      await runCommand('BigPicture: Review Whole Repository (all shards)');
      await fakeWait({ held: want.holdName, event: 'started', timeout: 60 });
      const toast = await notification(/reviewing the whole repository \(all shards\): shard 1\/1: sending/);
      const reviewing = await statusMatches('BigPicture: reviewing whole repository \\(all shards\\)');
      await fakeRelease(want.holdName);
      await fakeWait({ held: want.holdName, event: 'finished', timeout: 30 });
      const status = await statusMatches(`^(?![\\s\\S]*reviewing)[\\s\\S]*${want.expectStatus}`);
      results.allShards = { toast, reviewing, status };
      return results.allShards;
    });
  }

  if (config.rateLimited) {
    await step('rate-limited', async () => {
      // The API answers 429 (with retry-after) to every attempt: one message says what
      // happened, with Retry; the findings shown stay. Retry runs the review again, which the
      // API now answers.
      const want = config.rateLimited;
      await runCommand('Notifications: Clear All Notifications');
      await runCommand('BigPicture: Review Workspace');
      const toast = page.locator('.notification-toast').filter({ hasText: /rate limited/ }).first();
      await toast.waitFor({ state: 'visible', timeout: config.reviewTimeoutMs ?? 90000 });
      const text = (await toast.innerText()).trim();
      const buttons = await toast.locator('.monaco-button').allInnerTexts();
      const status = await statusMatches('failed');
      const problems = await problemRows(want.keptText);
      const errorToasts = (await toastTexts()).filter((t) => /BigPicture|rate/i.test(t));
      await crop('rate-limited', [toast], 12);
      // The view's summary: the failure, and what is still shown (never "Findings: 0").
      await runCommand('View: Show BigPicture');
      const viewRows = page.locator('.part.sidebar .monaco-list-row');
      await viewRows.filter({ hasText: 'No new findings' }).first().waitFor({ state: 'visible' });
      const view = await viewRows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.trim()));
      await toast.getByRole('button', { name: 'Retry' }).click();
      const retried = await problemRows(want.retriedText);
      const after = await statusMatches(`^(?![\\s\\S]*(reviewing|failed))[\\s\\S]*${want.expectStatus}`, config.reviewTimeoutMs ?? 90000);
      results.rateLimited = { text, buttons, status, problems, errorToasts, view, retried, after };
      return { text, buttons, status, after };
    });
  }

  if (config.reload) {
    await step('reload-window', async () => {
      // "Developer: Reload Window" restarts the extension and its server: the last review's
      // findings come back without a request, and the status says which review they are from.
      const want = config.reload;
      await runCommand('Developer: Reload Window');
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90000 });
      await statusItem().waitFor({ state: 'visible', timeout: 90000 });
      // (A tooltip keeps the text it opened with: hover once the restored count is shown.)
      const status = await statusMatches(want.expectStatus, 90000);
      const { text: tooltip } = await statusTooltip('kept across the restart');
      await page.mouse.move(10, 10);
      const problems = await problemRows(want.problemText);
      await runCommand('View: Show BigPicture');
      const rows = page.locator('.part.sidebar .monaco-list-row');
      await rows.filter({ hasText: want.problemText }).first().waitFor({ state: 'visible' });
      const view = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.innerText.replace(/\s+/g, ' ').trim()));
      results.reload = { status, tooltip, problems, view };
      return { status, tooltip };
    });
  }

  await step('over-limit', async () => {
    // A limit below any estimate, set in the Settings editor: the confirmation says the limit
    // blocks the review and offers what can be done instead of "Review".
    await runCommand('Notifications: Clear All Notifications');
    await runCommand('Preferences: Open User Settings');
    const settingsEditor = page.locator('.settings-editor');
    await settingsEditor.waitFor({ state: 'visible' });
    await settingsEditor.locator('.settings-header .suggest-input-container').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('bigpicture.maxCostPerReview');
    const item = settingsEditor.locator('.monaco-list-row').filter({ hasText: 'Max Cost Per Review' }).first();
    await item.waitFor({ state: 'visible' });
    const box = item.locator('input').first();
    await box.fill('0.000001');
    await item.locator('.setting-item-contents.is-configured').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await settingsEditor.waitFor({ state: 'hidden' });
    mark('limit set');
    // (The server and the extension read the new value once VS Code has written it: the
    // dialog is asked for again until it reflects it.)
    const dialog = page.locator('.monaco-dialog-box');
    let text = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      await runCommand('BigPicture: Review Workspace');
      await dialog.waitFor({ state: 'visible' });
      text = (await dialog.innerText()).trim();
      if (/maxCostPerReview/.test(text)) {
        break;
      }
      mark(`dialog without the limit (${attempt})`);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
    }
    const buttons = await dialog.locator('.monaco-button').allInnerTexts();
    await crop('over-limit', [dialog], 24);
    await dialog.getByRole('button', { name: 'Open Settings' }).click();
    const editor = page.locator('.settings-editor');
    await editor.waitFor({ state: 'visible' });
    const row = editor.locator('.monaco-list-row').filter({ hasText: 'Max Cost Per Review' }).first();
    await row.waitFor({ state: 'visible' });
    results.overLimit = { dialog: text, buttons };
    return results.overLimit;
  });
} catch (err) {
  results.error = String(err && err.message ? err.message : err);
  exitCode = 1;
} finally {
  save();
  await browser.close();
}
process.exit(exitCode);

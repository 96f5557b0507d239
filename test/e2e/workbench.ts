// Driving the VS Code workbench (1.100 web) with playwright-core: the command palette, quick picks, notifications,
// tree rows and webviews. Selectors are VS Code's own DOM classes; each helper retries where the workbench is
// known to lag behind the extension host (commands registered late, quick picks replaced while typing).
import type { Frame, Locator, Page } from 'playwright-core';

const QUICK_INPUT = '.quick-input-widget';

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90_000 });
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 90_000 });
}

/**
 * Runs a command by its palette title. The palette's list is computed when the text changes and does not refresh
 * when the extension host registers a command later, so re-open and re-type until the exact title is listed.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('>' + title);
    const row = page
      .locator(`${QUICK_INPUT} .monaco-list-row`)
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout: 1500 });
      await row.click();
      await input.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
    }
  }
  throw new Error(`command "${title}" never appeared in the command palette`);
}

/** Waits for a quick pick whose title (or placeholder) matches, then picks the row whose text matches. */
export async function pickQuickItem(page: Page, title: RegExp, item: RegExp, timeoutMs = 30_000): Promise<void> {
  const widget = page.locator(QUICK_INPUT).filter({ visible: true });
  await widget.waitFor({ timeout: timeoutMs });
  await waitUntil(async () => title.test(await quickInputHeading(page)), timeoutMs, `quick pick ${title}`);
  const row = widget.locator('.monaco-list-row').filter({ hasText: item }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/** The quick input's title bar text plus the input's placeholder (VS Code shows one or the other). */
async function quickInputHeading(page: Page): Promise<string> {
  const title = await page
    .locator(`${QUICK_INPUT} .quick-input-title`)
    .innerText()
    .catch(() => '');
  const placeholder =
    (await page
      .locator(`${QUICK_INPUT} .quick-input-box input`)
      .getAttribute('placeholder')
      .catch(() => '')) ?? '';
  return `${title}\n${placeholder}`;
}

/**
 * VS Code's simple file dialog (remote files), opened in `from`: walk down to `to` by clicking one folder row per
 * path component (typing a path races with the dialog's own completion), then press the accept button.
 */
export async function chooseInFileDialog(page: Page, from: string, to: string, accept: string): Promise<void> {
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  const norm = (p: string) => p.replace(/\/+$/, '');
  await waitUntil(
    async () => norm(await input.inputValue()) === norm(from),
    15_000,
    `the file dialog to open in ${from}`,
  );
  let here = norm(from);
  for (const part of norm(to)
    .slice(here.length + 1)
    .split('/')
    .filter(Boolean)) {
    const row = page
      .locator(`${QUICK_INPUT} .monaco-list-row`)
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(part)}$`) }) })
      .first();
    await row.click({ timeout: 15_000 });
    here = `${here}/${part}`;
    const want = here;
    await waitUntil(async () => norm(await input.inputValue()) === want, 15_000, `the file dialog to enter ${want}`);
  }
  // A click while the dialog is still listing the folder is lost: click until the dialog is gone (the caller's next
  // quick pick may reuse the same widget at once, so look at the input's value, not at the widget).
  const button = page.locator(`${QUICK_INPUT} .monaco-button`).filter({ hasText: accept }).first();
  const gone = async () => !(await button.isVisible()) || norm(await input.inputValue().catch(() => '')) !== here;
  for (let attempt = 0; !(await gone()); attempt++) {
    if (attempt === 10) throw new Error(`the file dialog did not accept ${here}`);
    await page.waitForTimeout(300);
    await button.click().catch(() => undefined);
    await waitUntil(gone, 2000, 'the file dialog to close').catch(() => undefined);
  }
}

/** A notification toast whose message matches. */
export function notification(page: Page, text: RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
}

/** Any error toast (the extension reports failures with showErrorMessage). */
export function errorNotification(page: Page): Locator {
  return page
    .locator('.notifications-toasts .notification-toast')
    .filter({ has: page.locator('.codicon-error') })
    .first();
}

/** Rows of the tree in the side bar whose text matches. */
export function sideBarRow(page: Page, text: RegExp): Locator {
  return page.locator('.part.sidebar .monaco-list-row').filter({ hasText: text });
}

/** Expands a tree row by clicking its twistie (a click on the label would also run the item's command). */
export async function expandRow(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) === 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  await waitUntil(async () => (await row.getAttribute('aria-expanded')) === 'true', 10_000, 'tree row to expand');
}

/**
 * The frame of a webview whose document has `selector`. Webviews are an outer iframe (VS Code's host page) holding
 * iframe#active-frame (the extension's HTML); every open webview has its own, so look for the content.
 */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  let found: Frame | undefined;
  await waitUntil(
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame() || (f.name() === '' && !f.url().includes('webview'))) continue;
        if (
          await f
            .locator(selector)
            .count()
            .catch(() => 0)
        )
          return !!(found = f);
      }
      return false;
    },
    timeoutMs,
    `a webview containing ${selector}`,
  );
  return found!;
}

export async function waitUntil(
  cond: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

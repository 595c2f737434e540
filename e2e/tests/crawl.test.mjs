// Issue 17: every page of the demo, as each role, at a phone's width (390 px):
// - no developer text (snake_case or kebab-case words) in what a user reads, outside code samples;
// - no horizontal overflow (the page is as wide as the phone);
// - axe-core finds no serious or critical accessibility violation (WCAG 2 A and AA).
// And on a laptop (1366 px) the header's menu fits one line for every role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer, launchBrowser } from '../harness.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const password = 'Zijin-demo-2026';
const roles = [null, 'admin', 'reviewer', 'district', 'university', 'enterprise', 'manager', 'expert1', 'registrar'];
// At most this many pages of one shape (path with numbers replaced) and in all, per role.
const perShape = 2;
const perRole = 90;

let server;
let browser;

before(async () => {
  server = await startServer({ demo: true });
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(username, viewport) {
  // axe-core is injected as an inline script, which the platform's CSP refuses.
  const context = await browser.newContext({ viewport, bypassCSP: true, acceptDownloads: false });
  const page = await context.newPage();
  if (username) {
    await page.goto(`${server.url}/login`);
    await page.fill('#f-username', username);
    await page.fill('#f-password', password);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('#login-submit')]);
  } else {
    await page.goto(`${server.url}/`);
  }
  return page;
}

function shapeOf(url) {
  return url.pathname.replace(/\d+/g, 'N');
}

function crawlable(url) {
  if (url.origin !== new URL(server.url).origin) return false;
  const path = url.pathname;
  if (/\.(xlsx|pdf|csv|png|jpg|css|js|json)$/.test(path)) return false;
  if (/^\/(api|static|files|attachments|application-files)\//.test(path)) return false;
  if (path === '/logout' || path.includes('/download') || path.endsWith('/file')) return false;
  return true;
}

// The words of visible text that look like code: snake_case or kebab-case identifiers.
async function developerWords(page) {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    for (const sample of copy.querySelectorAll('code, pre, kbd, samp, script, style, template, .hash')) sample.remove();
    const holder = document.createElement('div');
    holder.style.cssText = 'position:absolute;left:-99999px;top:0;width:800px';
    holder.appendChild(copy);
    document.documentElement.appendChild(holder);
    const text = copy.innerText;
    holder.remove();
    return [...new Set(text.match(/\b[a-z][a-z0-9]*(?:[_-][a-z][a-z0-9]*)+\b/g) ?? [])];
  });
}

async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = document.documentElement.scrollWidth;
    if (wide <= width + 1) return null;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'fixed')
      .filter((el) => !el.closest('.table-wrap'))
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}`);
    return `${wide}px > ${width}px (${culprits.join(', ')})`;
  });
}

async function accessibility(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ content: axeSource });
  }
  const result = await page.evaluate(async () => {
    const outcome = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] });
    return outcome.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return result;
}

test('every page of the demo, as each role, reads as Chinese, fits a phone and passes axe-core', { timeout: 25 * 60_000 }, async () => {
  const problems = [];
  let visited = 0;
  for (const role of roles) {
    const who = role ?? '访客';
    const page = await signedIn(role, { width: 390, height: 844 });
    const origin = new URL(server.url).origin;
    const queue = ['/'];
    const seen = new Set(queue);
    const shapes = new Map();
    let count = 0;
    while (queue.length && count < perRole) {
      const path = queue.shift();
      let response;
      try {
        response = await page.goto(`${origin}${path}`);
      } catch (error) {
        // A link that downloads a file (an attachment, an export) is not a page.
        if (String(error).includes('Download is starting')) continue;
        throw error;
      }
      const status = response?.status() ?? 0;
      if (status >= 500) problems.push(`${who} ${path}: status ${status}`);
      if (!(response?.headers()['content-type'] ?? '').includes('text/html')) continue;
      count += 1;
      const words = await developerWords(page);
      if (words.length) problems.push(`${who} ${path}: developer text ${words.slice(0, 8).join(' ')}`);
      const wide = await overflow(page);
      if (wide) problems.push(`${who} ${path}: wider than a phone ${wide}`);
      const violations = await accessibility(page);
      for (const violation of violations) problems.push(`${who} ${path}: axe ${violation}`);
      const links = await page.$$eval('a[href]', (anchors) => anchors.map((a) => a.href));
      for (const href of links) {
        let url;
        try { url = new URL(href); } catch { continue; }
        if (!crawlable(url)) continue;
        const key = url.pathname + url.search;
        if (seen.has(key)) continue;
        const shape = shapeOf(url);
        const taken = shapes.get(shape) ?? 0;
        if (taken >= perShape) continue;
        shapes.set(shape, taken + 1);
        seen.add(key);
        queue.push(key);
      }
    }
    visited += count;
    // Each role reached more than its home page.
    assert.ok(count > 3, `${who} reached only ${count} pages`);
    await page.context().close();
  }
  assert.deepEqual(problems, [], `${problems.length} problems on ${visited} pages:\n${problems.join('\n')}`);
});

test('on a laptop the header fits one line for every role', async () => {
  for (const role of roles) {
    const page = await signedIn(role, { width: 1366, height: 768 });
    const lines = await page.evaluate(() => {
      // Items whose vertical centres lie within 12 px of each other stand on one line.
      const items = [...document.querySelectorAll('header nav > a, header nav > details > summary, header nav form button')];
      const centres = items.map((el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; }).sort((a, b) => a - b);
      let lines = 0;
      let last = -Infinity;
      for (const centre of centres) { if (centre - last > 12) lines += 1; last = centre; }
      return items.length ? lines : 0;
    });
    assert.equal(lines, 1, `${role ?? '访客'}: the header's menu takes ${lines} lines`);
    await page.context().close();
  }
});

test('the header menus open and are followed with the keyboard alone', async () => {
  const page = await signedIn('admin', { width: 1366, height: 768 });
  const menu = page.locator('header nav details.menu', { hasText: '系统管理' });
  const summary = menu.locator('summary');
  await summary.focus();
  assert.equal(await menu.evaluate((el) => el.open), false);
  await page.keyboard.press('Enter');
  assert.equal(await menu.evaluate((el) => el.open), true, 'Enter opens the menu');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert.equal(focused, '技术领域', 'Tab moves into the open menu');
  await Promise.all([page.waitForURL(/\/admin\/fields$/), page.keyboard.press('Enter')]);
  // The page reached through the menu marks the menu as the current section.
  assert.equal(await page.locator('header nav details.menu summary.current').textContent(), '系统管理');
  await page.context().close();
});

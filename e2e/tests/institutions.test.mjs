// Issue 2: an admin logs in, registers an institution with a valid credit code, gets a clear
// Chinese error for an invalid one, and logs out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, screenshot } from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  server.run(['user', 'add', '--role', 'admin', '--username', 'admin', '--password-stdin'], 'E2e-admin-2026\n');
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('admin registers an institution, is told why a bad credit code is refused, and logs out', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#f-username', 'admin');
  await page.fill('#f-password', 'E2e-admin-2026');
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('#login-submit')]);
  assert.match(await page.textContent('nav.site-nav'), /用户管理/);
  await screenshot(page, '01-admin-home');

  await page.goto(`${server.url}/admin/institutions/new`);
  await page.fill('#f-name', '南京紫峰智能装备有限公司');
  await page.selectOption('#f-kind', { label: '企业' });
  await page.fill('#f-credit_code', '91350100M000100Y43');
  await page.selectOption('#f-district', { label: '江宁区' });
  await page.check('input[name="tags"][value="high-tech"]');
  await page.fill('#f-contact_phone', '025-52000000');
  await screenshot(page, '02-new-institution-form');
  await Promise.all([page.waitForURL(/\/institutions\/\d+\?saved=1$/), page.click('#save')]);
  assert.equal(await page.textContent('#saved'), '已保存');
  assert.match(await page.textContent('h1'), /南京紫峰智能装备有限公司/);
  assert.equal(await page.textContent('#credit-code'), '91350100M000100Y43');
  await screenshot(page, '03-institution-saved');

  await page.goto(`${server.url}/admin/institutions/new`);
  await page.fill('#f-name', '南京错误代码科技有限公司');
  await page.selectOption('#f-kind', { label: '企业' });
  await page.fill('#f-credit_code', '91350100M000100Y44');
  await page.selectOption('#f-district', { label: '玄武区' });
  await page.click('#save');
  await page.waitForSelector('#form-errors');
  const fieldError = await page.textContent('.field-error[data-field="credit_code"]');
  assert.match(fieldError, /校验位错误/);
  assert.match(fieldError, /应为“3”/);
  assert.equal(await page.inputValue('#f-name'), '南京错误代码科技有限公司', 'the form keeps what was typed');
  await screenshot(page, '04-invalid-credit-code');

  await page.goto(`${server.url}/manage/institutions?q=南京`);
  const rows = await page.locator('#institution-list tbody tr').count();
  assert.equal(rows, 1, 'only the valid institution was saved');

  await Promise.all([page.waitForURL(`${server.url}/`), page.click('#logout')]);
  assert.equal(await page.isVisible('#login-link'), true);
  const response = await page.goto(`${server.url}/admin/institutions/new`);
  assert.match(page.url(), /\/login$/, 'after logout the admin pages ask for a login');
  assert.equal(response.ok(), true);
  await screenshot(page, '05-logged-out');
});

test('the site works on a phone-sized screen', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/institutions`);
  assert.equal(await page.isVisible('.nav-toggle-label'), true, 'the menu folds into a button');
  await page.click('.nav-toggle-label');
  assert.equal(await page.isVisible('#login-link'), true);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (page is ${width}px wide)`);
  await screenshot(page, '06-phone-directory');
  await context.close();
});

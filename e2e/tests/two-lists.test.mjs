// Issue 3: an enterprise submits a demand, a university submits an achievement, a reviewer
// returns it with a comment and approves it after the edit, the admin publishes an issue, and an
// anonymous visitor finds both in the public lists and downloads the .xlsx, whose rows we read,
// and the PDF, whose text we read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, screenshot } from '../harness.mjs';

let server;
let browser;
const password = 'E2e-pass-2026';
const university = '123201134660012346';
const enterprise = '91350100M000100Y43';

before(async () => {
  server = await startServer();
  server.run(['institution', 'add', '--name', '南京测试大学', '--type', '高校', '--credit-code', university, '--district', '栖霞区']);
  server.run(['institution', 'add', '--name', '南京测试新能源有限公司', '--type', '企业', '--credit-code', enterprise, '--district', '江宁区']);
  server.run(['user', 'add', '--role', 'admin', '--username', 'admin', '--password-stdin'], password);
  server.run(['user', 'add', '--role', 'reviewer', '--responsible-unit', '市科技局', '--username', 'reviewer', '--password-stdin'], password);
  server.run(['user', 'add', '--role', 'institution', '--institution-credit-code', university, '--username', 'teacher', '--password-stdin'], password);
  server.run(['user', 'add', '--role', 'institution', '--institution-credit-code', enterprise, '--username', 'manager', '--password-stdin'], password);
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function logIn(username) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', password);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('#login-submit')]);
  return page;
}

async function saveAndSubmit(page) {
  await Promise.all([page.waitForURL(/\/records\/\w+\/\d+\?saved=1$/), page.click('#save')]);
  await Promise.all([page.waitForURL(/saved=1$/), page.click('#submit')]);
  assert.equal(await page.textContent('#record-status'), '待审核');
}

test('the two lists from drafting to a downloaded spreadsheet', async () => {
  const manager = await logIn('manager');
  await manager.goto(`${server.url}/my/demands/new`);
  await manager.fill('#f-title', '冬季电动车续航提升');
  await manager.selectOption('#f-field', { label: '新能源' });
  await manager.fill('#f-description', '冬季低温下电池续航下降明显，希望与高校合作开发低温电池技术。');
  await manager.check('input[name="cooperation_modes"][value="joint-development"]');
  await manager.fill('#f-budget_min', '300000');
  await manager.fill('#f-budget_max', '1000000');
  await manager.fill('#f-contact_name', '李经理');
  await manager.fill('#f-contact_phone', '13900001111');
  await saveAndSubmit(manager);
  await screenshot(manager, '11-demand-submitted');

  const teacher = await logIn('teacher');
  await teacher.goto(`${server.url}/my/achievements/new`);
  await teacher.fill('#f-title', '宽温域锂离子电池电解液');
  await teacher.selectOption('#f-field', { label: '新能源' });
  await teacher.fill('#f-summary', '可在零下40摄氏度稳定工作的电解液配方。');
  await teacher.selectOption('#f-trl', '6');
  await teacher.fill('#f-ip_items', 'ZL202110123456.7');
  await teacher.check('input[name="transfer_modes"][value="licence"]');
  await teacher.fill('#f-price', '1500000');
  await teacher.fill('#f-contact_name', '王老师');
  await teacher.fill('#f-contact_phone', '13812345678');
  await saveAndSubmit(teacher);
  const achievementUrl = teacher.url().split('?')[0];

  const reviewer = await logIn('reviewer');
  await reviewer.goto(`${server.url}/review`);
  assert.match(await reviewer.textContent('main'), /宽温域锂离子电池电解液/);
  await reviewer.goto(achievementUrl);
  await reviewer.fill('#f-comment', '请补充专利权属和许可范围说明');
  await Promise.all([reviewer.waitForURL(/saved=1$/), reviewer.click('#return')]);
  assert.equal(await reviewer.textContent('#record-status'), '已退回');

  await teacher.goto(achievementUrl);
  assert.match(await teacher.textContent('#review-comment'), /请补充专利权属和许可范围说明/);
  await screenshot(teacher, '12-achievement-returned');
  await Promise.all([teacher.waitForURL(/\/edit$/), teacher.click('#edit')]);
  await teacher.fill('#f-summary', '可在零下40摄氏度稳定工作的电解液配方。专利权属本校，可普通许可。');
  await saveAndSubmit(teacher);

  for (const url of [achievementUrl]) {
    await reviewer.goto(url);
    await Promise.all([reviewer.waitForURL(/saved=1$/), reviewer.click('#approve')]);
    assert.equal(await reviewer.textContent('#record-status'), '审核通过');
  }
  await reviewer.goto(`${server.url}/review`);
  await reviewer.click('.review-list a:has-text("冬季电动车续航提升")');
  await Promise.all([reviewer.waitForURL(/saved=1$/), reviewer.click('#approve')]);

  const admin = await logIn('admin');
  await admin.goto(`${server.url}/lists`);
  assert.equal(await admin.textContent('#preview-achievements'), '1');
  assert.equal(await admin.textContent('#preview-demands'), '1');
  await admin.fill('#f-issue-title', '2026年第4期');
  await Promise.all([admin.waitForURL(/saved=1$/), admin.click('#open-issue-button')]);
  // The draft shows what goes in; 发布 needs the confirmation ticked.
  await admin.click('a[id^="publish-"]');
  assert.equal(await admin.textContent('#draft-total'), '2');
  await admin.click('#tab-demand');
  assert.match(await admin.textContent('#draft-records'), /冬季电动车续航提升/);
  await Promise.all([admin.waitForURL(/\/lists\/\d+$/), admin.click('#publish-button')]);
  assert.match(await admin.textContent('#list-error'), /勾选“确认发布”/);
  await admin.check('#f-publish-confirm');
  await Promise.all([admin.waitForURL(/published=1$/), admin.click('#publish-button')]);
  assert.match(await admin.textContent('#published'), /已发布/);
  await screenshot(admin, '13-issue-published');

  const visitor = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await visitor.goto(`${server.url}/lists`);
  await visitor.click('#issue-list a:has-text("2026年第4期")');
  await visitor.selectOption('select[name="field"]', { label: '新能源' });
  await visitor.click('form.filters button[type="submit"]');
  assert.match(await visitor.textContent('#entry-list'), /宽温域锂离子电池电解液/);
  assert.match(await visitor.textContent('#entry-list'), /南京测试大学/);
  await visitor.click('#tab-demand');
  assert.match(await visitor.textContent('#entry-list'), /冬季电动车续航提升/);
  await screenshot(visitor, '14-public-demand-list');

  const [download] = await Promise.all([visitor.waitForEvent('download'), visitor.click('#export-xlsx')]);
  const path = await download.path();
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const achievements = workbook.getWorksheet('科技成果清单');
  const demands = workbook.getWorksheet('技术需求清单');
  assert.equal(achievements.getRow(1).getCell(2).value, '成果名称');
  assert.equal(achievements.rowCount, 2);
  assert.equal(achievements.getRow(2).getCell(2).value, '宽温域锂离子电池电解液');
  assert.equal(achievements.getRow(2).getCell(8).value, '1500000.00');
  assert.equal(achievements.getRow(2).getCell(13).value, '138****5678', 'contacts are masked in the public file');
  assert.equal(demands.rowCount, 2);
  assert.equal(demands.getRow(2).getCell(2).value, '冬季电动车续航提升');
  assert.equal(demands.getRow(2).getCell(9).value, '南京测试新能源有限公司');

  // The same issue as PDF for official publication, read back with poppler's pdftotext.
  const [pdfDownload] = await Promise.all([visitor.waitForEvent('download'), visitor.click('#export-pdf')]);
  assert.match(pdfDownload.suggestedFilename(), /\.pdf$/);
  const pdfPath = await pdfDownload.path();
  assert.equal(readFileSync(pdfPath).subarray(0, 5).toString(), '%PDF-');
  const pdfText = execFileSync('pdftotext', [pdfPath, '-']).toString().replace(/\s+/g, '');
  for (const expected of ['2026年第4期', '宽温域锂离子电池电解液', '1,500,000.00', '138****5678', '冬季电动车续航提升']) {
    assert.ok(pdfText.includes(expected), `${expected} in the PDF`);
  }
  assert.ok(!pdfText.includes('13812345678'), 'contacts are masked in the PDF');
});

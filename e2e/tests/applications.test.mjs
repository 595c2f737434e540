// Issue 16: the whole path of an application in a browser — the bureau opens a call with expert
// review, a university applies with an attachment, the district recommends, the responsible
// unit approves, three experts score, the bureau fixes the amount, publishes the 拟支持名单,
// rules an objection, makes the payment batch, and the exported 拨付清单 is read back. The
// server is restarted at later days (ZIJIN_CLOCK_START) for the notice period to pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { startServer, launchBrowser, screenshot } from '../harness.mjs';

const PASSWORD = 'E2e-pass-2026';
let server;
let browser;

/** A unified social credit code with its check character (GB 32100-2015). */
function creditCode(first17) {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = [...first17].reduce((s, c, i) => s + alphabet.indexOf(c) * weights[i], 0);
  return first17 + alphabet[(31 - (sum % 31)) % 31];
}

/** A one-page PDF, as a scanned agreement would be. */
function samplePdf() {
  const body = '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
    + '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n'
    + '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n'
    + 'trailer << /Root 1 0 R >>\n%%EOF\n';
  return Buffer.from(body, 'latin1');
}

before(async () => {
  server = await startServer();
  assert.equal(creditCode('91350100M000100Y4'), '91350100M000100Y43', 'the check character is right');
  const university = creditCode('12320000466007TE5');
  const other = creditCode('12320000466007TF5');
  server.run(['user', 'add', '--role', 'admin', '--username', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  server.run(['institution', 'add', '--name', '南京江宁理工大学', '--type', '高校', '--credit-code', university, '--district', '江宁区', '--tags', '赋权改革试点单位']);
  server.run(['institution', 'add', '--name', '南京鼓楼医学研究院', '--type', '科研院所', '--credit-code', other, '--district', '鼓楼区']);
  const users = [
    ['applicant', 'institution', ['--institution-credit-code', university]],
    ['officer', 'district', ['--district', '江宁区']],
    ['checker', 'reviewer', ['--responsible-unit', '市科技局']],
    ['expert-one', 'institution', ['--institution-credit-code', other]],
    ['expert-two', 'reviewer', ['--responsible-unit', '市发改委']],
    ['expert-three', 'reviewer', ['--responsible-unit', '市商务局']],
    ['colleague', 'institution', ['--institution-credit-code', university]],
  ];
  for (const [name, role, extra] of users) {
    server.run(['user', 'add', '--role', role, '--username', name, '--display-name', name, ...extra, '--password-stdin'], `${PASSWORD}\n`);
  }
  await server.start({ ZIJIN_CLOCK_START: '2026-11-02T09:00:00+08:00' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A signed-in page of its own browser context. */
async function as(username) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', PASSWORD);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('#login-submit')]);
  return page;
}

async function decide(page, path, decision, comment = '') {
  await page.goto(`${server.url}${path}`);
  await page.check(`#decide input[name="decision"][value="${decision}"]`);
  if (comment) await page.fill('#f-comment', comment);
  await page.check('#decide input[name="confirm"]');
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click('#decide button[type="submit"]')]);
  return page.textContent('#notice');
}

test('a call, an application with its document, every review step, 公示 with an objection, and the payment list', async () => {
  // The bureau registers its experts and opens a call with expert review.
  let admin = await as('admin');
  for (const name of ['expert-one', 'expert-two', 'expert-three', 'colleague']) {
    await admin.goto(`${server.url}/admin/users`);
    await Promise.all([admin.waitForURL(/\/admin\/users\/\d+$/), admin.locator('tr', { hasText: name }).locator('a', { hasText: '管理' }).click()]);
    await admin.check('#f-is_expert');
    await Promise.all([admin.waitForURL(/done=expert-on/), admin.click('#expert-submit')]);
  }
  await admin.goto(`${server.url}/calls/new`);
  await admin.fill('#f-title', '2026年度职务科技成果赋权改革资助申报');
  await admin.fill('#f-opens', '2026-11-02T08:00');
  await admin.fill('#f-closes', '2026-11-06T17:00');
  await admin.check('input[name="measure"][value="a18-empowerment"]');
  await admin.fill('input[name="budget_a18-empowerment"]', '100');
  await admin.fill('#f-attachments', '赋权协议');
  await admin.check('#f-expert_review');
  await admin.fill('#f-rubric', '技术先进性 60\n转化前景 四十');
  await Promise.all([admin.waitForLoadState(), admin.click('#call-form button[type="submit"]')]);
  assert.match(await admin.textContent('#error-summary'), /评分标准第 2 项：分值应为 1 至 100 的整数/);
  await admin.fill('#f-rubric', '技术先进性 60\n转化前景 40');
  await Promise.all([admin.waitForURL(/\/calls\/\d+$/), admin.click('#call-form button[type="submit"]')]);
  const callPath = new URL(admin.url()).pathname;
  assert.match(await admin.textContent('main'), /技术先进性（60 分）/);
  await screenshot(admin, 'applications-01-call');

  // The university applies: the amount is computed as it saves; the document and the account
  // are asked for by name before it can submit.
  const applicant = await as('applicant');
  await applicant.goto(`${server.url}${callPath}`);
  await Promise.all([applicant.waitForURL(/\/applications\/new/), applicant.click('#apply-a18-empowerment')]);
  await applicant.selectOption('#f-pilot_unit', 'true');
  await applicant.fill('#f-empowered_count', '2');
  await applicant.check('input[name="integrity_accepted"]');
  await Promise.all([applicant.waitForURL(/\/applications\/\d+$/), applicant.click('#application-form button[type="submit"]')]);
  const applicationPath = new URL(applicant.url()).pathname;
  assert.match(await applicant.textContent('#amount'), /100,000\.00 元/);
  await applicant.check('#submit-form input[name="confirm"]');
  await applicant.click('#submit-form button');
  await applicant.waitForSelector('#error-summary');
  const missing = await applicant.textContent('#error-summary');
  assert.match(missing, /缺少附件“赋权协议”/);
  assert.match(missing, /请填写开户银行/);
  await screenshot(applicant, 'applications-02-missing-document');
  await applicant.goto(`${server.url}${applicationPath}`);
  await applicant.fill('#edit #f-account_name', '南京江宁理工大学');
  await applicant.fill('#edit #f-bank_name', '中国工商银行南京江宁支行');
  await applicant.fill('#edit #f-bank_account', '4301 0112 0900 0012 345');
  await Promise.all([applicant.waitForURL(/\/applications\/\d+$/), applicant.click('#edit-form button[type="submit"]')]);
  assert.match(await applicant.textContent('#payee'), /4301 0112 0900 0012 345/);
  await applicant.goto(`${server.url}${applicationPath}`);
  await applicant.selectOption('#f-requirement', '赋权协议');
  await applicant.setInputFiles('#f-file', { name: '赋权协议.pdf', mimeType: 'application/pdf', buffer: samplePdf() });
  await Promise.all([applicant.waitForURL(/\/applications\/\d+$/), applicant.click('#upload-form button')]);
  assert.match(await applicant.textContent('#notice'), /已上传“赋权协议”/);
  assert.match(await applicant.textContent('#files'), /赋权协议\.pdf/);
  await applicant.goto(`${server.url}${applicationPath}`);
  await applicant.check('#submit-form input[name="confirm"]');
  await Promise.all([applicant.waitForURL(/\/applications\/\d+$/), applicant.click('#submit-form button')]);
  assert.match(await applicant.textContent('#notice'), /已提交，请等待区级初审推荐/);
  await screenshot(applicant, 'applications-03-submitted');

  // The district officer is told, and recommends; the unit approves.
  const officer = await as('officer');
  assert.match(await officer.textContent('#unread'), /^[1-9]/, 'an unread message waits in the header');
  await officer.goto(`${server.url}/notifications`);
  assert.match(await officer.textContent('#todo'), /待区级初审推荐/);
  assert.match(await decide(officer, applicationPath, 'approve'), /已通过，已转责任单位审核/);
  const checker = await as('checker');
  assert.match(await decide(checker, applicationPath, 'approve'), /已转专家评审/);

  // The bureau assigns three experts; the applicant's own colleague cannot be one of them.
  await admin.goto(`${server.url}${applicationPath}`);
  const colleagueBox = admin.locator('#assign-form label', { hasText: 'colleague' });
  assert.match(await colleagueBox.textContent(), /应当回避/);
  assert.equal(await colleagueBox.locator('input').isDisabled(), true);
  for (const name of ['expert-one', 'expert-two', 'expert-three']) {
    await admin.locator('#assign-form label', { hasText: name }).locator('input').check();
  }
  await Promise.all([admin.waitForURL(/\/applications\/\d+$/), admin.click('#assign-form button')]);
  assert.match(await admin.textContent('#notice'), /已指派 3 位专家/);

  // Each expert scores against the rubric; a score above an item's points is refused.
  const points = { 'expert-one': ['50', '30'], 'expert-two': ['45', '35'], 'expert-three': ['55', '38'] };
  for (const [name, [a, b]] of Object.entries(points)) {
    const expert = await as(name);
    await expert.goto(`${server.url}/applications`);
    assert.match(await expert.textContent('#expert-applications'), /南京江宁理工大学/);
    await expert.goto(`${server.url}${applicationPath}`);
    if (name === 'expert-one') {
      await expert.fill('#f-score_0', '61');
      await expert.fill('#f-score_1', b);
      await expert.click('#score-form button');
      await expert.waitForSelector('#error-summary');
      assert.match(await expert.textContent('#error-summary'), /“技术先进性”最多 60 分/);
    }
    await expert.fill('#f-score_0', a);
    await expert.fill('#f-score_1', b);
    await Promise.all([expert.waitForURL(/\/applications\/\d+$/), expert.click('#score-form button')]);
    assert.match(await expert.textContent('#notice'), /评分已提交/);
    await expert.context().close();
  }
  await admin.goto(`${server.url}${applicationPath}`);
  assert.equal(await admin.textContent('#expert-mean'), '84.3', '(80 + 80 + 93) / 3');
  await screenshot(admin, 'applications-04-expert-scores');
  assert.match(await decide(admin, applicationPath, 'approve'), /已转市级核定/);
  // 核定: never above the computed amount.
  await admin.goto(`${server.url}${applicationPath}`);
  await admin.check('#decide input[name="decision"][value="approve"]');
  await admin.fill('#f-amount', '20万');
  await admin.check('#decide input[name="confirm"]');
  await admin.click('#decide button[type="submit"]');
  await admin.waitForSelector('#error-summary');
  assert.match(await admin.textContent('#error-summary'), /核定金额不能高于按政策计算的 100,000\.00 元/);
  assert.match(await decide(admin, applicationPath, 'approve'), /已核定/);
  assert.match(await admin.textContent('#approved'), /100,000\.00 元/);

  // A week later (the call has closed): the 拟支持名单 is published; an objection is raised by
  // name and phone, an anonymous one is refused; the bureau rules it.
  await server.halt();
  await server.start({ ZIJIN_CLOCK_START: '2026-11-09T10:00:00+08:00' });
  // (A week on, yesterday's sessions have expired: the bureau signs in again.)
  admin = await as('admin');
  await admin.goto(`${server.url}${callPath}`);
  await admin.check('#publish input[name="confirm"]');
  await Promise.all([admin.waitForURL(/\/notices\/\d+/), admin.click('#publish button')]);
  const noticePath = new URL(admin.url()).pathname;
  assert.match(await admin.textContent('#entries'), /南京江宁理工大学/);
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${server.url}${noticePath}`);
  await visitor.fill('#f-reason', '该单位的一项赋权协议签订于上一年度，请核实。');
  // Past the browser's own check of the required fields, the server refuses it in words.
  await visitor.$eval('#object form', (form) => { form.noValidate = true; });
  await visitor.click('#object button');
  await visitor.waitForSelector('#error-summary');
  assert.match(await visitor.textContent('#error-summary'), /匿名异议不予受理/);
  await visitor.fill('#f-name', '赵立新');
  await visitor.fill('#f-phone', '13905170000');
  await visitor.click('#object button');
  await visitor.waitForSelector('#notice');
  assert.match(await visitor.textContent('#notice'), /异议已收到/);
  assert.doesNotMatch(await visitor.textContent('main'), /13905170000/, 'the objector stays confidential');
  await admin.goto(`${server.url}${noticePath}`);
  await admin.check('#objections input[value="dismissed"]');
  await admin.fill('#objections textarea', '经核实，赋权协议签订于本年度，异议不成立。');
  await admin.click('#objections button');
  await admin.waitForSelector('#notice');
  assert.match(await admin.textContent('#notice'), /已认定异议不成立/);
  assert.match(await admin.textContent('#objections'), /认定：不成立/);
  // Payment is refused while the notice runs.
  assert.equal(await admin.isVisible('#pay'), false);

  // After the notice ended: the payment batch, its .xlsx read back.
  await server.halt();
  await server.start({ ZIJIN_CLOCK_START: '2026-11-17T10:00:00+08:00' });
  admin = await as('admin');
  await admin.goto(`${server.url}${noticePath}`);
  assert.match(await admin.textContent('#closed'), /公示已结束/);
  await admin.check('#pay input[name="confirm"]');
  await Promise.all([admin.waitForURL(/\/payment-batches\/\d+/), admin.click('#pay button')]);
  assert.match(await admin.textContent('#payments'), /4301 0112 0900 0012 345/);
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#export')]);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await download.path());
  const sheet = workbook.getWorksheet('拨付清单');
  const header = sheet.getRow(1).values.slice(1);
  const row = sheet.getRow(2).values.slice(1);
  assert.deepEqual(header.slice(0, 6), ['序号', '收款单位', '统一社会信用代码', '账户名称', '开户银行', '银行账号']);
  assert.equal(row[1], '南京江宁理工大学');
  assert.equal(row[5], '4301011209000012345');
  assert.equal(row[8], '100,000.00');
  await screenshot(admin, 'applications-05-payment-batch');
});

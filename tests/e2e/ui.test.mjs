/*
 * tests/e2e/ui.test.mjs — browser tests of the web pages in headless Debian chromium via playwright-core:
 * generation UI (flashcards flip, podcast script segments, download, history, error shape), dashboard (no console
 * errors or failed requests, live figures, auto refresh), API docs page. Run: node --test ui.test.mjs
 * Env: LF_BASE_URL (else a mock server is started), LF_API_KEY, LF_ARTIFACT_DIR (default ./artifacts),
 *      LF_CHROMIUM (default /usr/bin/chromium).
 * SPDX-License-Identifier: MIT
 */
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(process.env.LF_ARTIFACT_DIR || 'artifacts');
const chromiumPath = process.env.LF_CHROMIUM || '/usr/bin/chromium';
const GEN_TIMEOUT = parseInt(process.env.LF_GEN_TIMEOUT_MS || '90000', 10);
let base = process.env.LF_BASE_URL ? process.env.LF_BASE_URL.replace(/\/+$/, '') : '';
let key = process.env.LF_API_KEY || '';
let mock = null;
let ctx = null;
let profile = null;

async function startMock() {
    key = key || 'test-key';
    mock = spawn(process.execPath, [path.join(here, 'mock_server.mjs'), '0'], {env: {...process.env, LF_API_KEY: key}, stdio: ['ignore', 'pipe', 'inherit']});
    base = await new Promise((resolve, reject) => {
        let out = '';
        mock.stdout.on('data', (d) => {
            out += d;
            const m = /listening (\S+)/.exec(out);
            if (m) {
                resolve(m[1]);
            }
        });
        mock.on('exit', (c) => reject(new Error('mock server exited with ' + c)));
    });
}

/* A page that records console errors, uncaught exceptions, failed requests and HTTP errors */
async function watchedPage() {
    const page = await ctx.newPage();
    const problems = [];
    page.on('console', (m) => {
        if (m.type() === 'error') {
            problems.push('console error: ' + m.text());
        }
    });
    page.on('pageerror', (e) => problems.push('uncaught exception: ' + e.message));
    page.on('requestfailed', (r) => problems.push('request failed: ' + r.method() + ' ' + r.url() + ' ' + (r.failure() || {}).errorText));
    page.on('response', (r) => {
        if (r.status() >= 400) {
            problems.push('http ' + r.status() + ': ' + r.request().method() + ' ' + r.url());
        }
    });
    return {page, problems};
}

async function shot(page, name) {
    fs.mkdirSync(artifacts, {recursive: true});
    await page.screenshot({path: path.join(artifacts, name + '.png'), fullPage: true});
}

async function saveKey(page, value) {
    await page.fill('#api-key', value);
    await page.click('#key-save');
}

/* Picks the type, pins the offline provider when the key lists it, generates and waits for the result */
async function generate(page, type, topic) {
    await page.waitForSelector(`#content-type option[value="${type}"]`, {state: 'attached'});
    await page.selectOption('#content-type', type);
    await page.fill('#topic', topic);
    await page.selectOption('#age-group', 'high_school');
    const offline = await page.$('#provider option[value="offline"]:not([disabled])');
    if (offline) {
        await page.selectOption('#provider', 'offline');
    }
    await page.click('#generate-btn');
    await page.waitForSelector(`.result-view[data-content-type="${type}"], #gen-error .error-box`, {timeout: GEN_TIMEOUT});
    const err = await page.$('#gen-error .error-box');
    assert.equal(err, null, 'generation failed: ' + (err ? await err.innerText() : ''));
    return {pinned: !!offline};
}

before(async () => {
    if (!base) {
        await startMock();
    }
    assert.ok(key, 'LF_API_KEY must be set when LF_BASE_URL is');
    assert.ok(fs.existsSync(chromiumPath), `chromium not found at ${chromiumPath} (apt-get install -y chromium)`);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-e2e-profile-'));
    ctx = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath, headless: true, acceptDownloads: true, viewport: {width: 1400, height: 1000},
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync']
    });
});

after(async () => {
    if (ctx) {
        await ctx.close();
    }
    if (profile) {
        fs.rmSync(profile, {recursive: true, force: true});
    }
    if (mock) {
        mock.kill();
    }
});

test('generation UI: flashcards are rendered as cards that flip, with quality, provider, downloads', async () => {
    const {page, problems} = await watchedPage();
    await page.goto(base + '/');
    await saveKey(page, key);
    /* every content type of the API is offered */
    const types = await (await fetch(base + '/api/v1/content-types')).json();
    await page.waitForSelector('#content-type option[value="flashcards"]', {state: 'attached'});
    const offered = await page.$$eval('#content-type option', (os) => os.map((o) => o.value));
    assert.deepEqual(offered.sort(), types.content_types.map((t) => t.id).sort());
    /* learning objective rows can be added and removed */
    await page.click('#add-objective');
    await page.click('#add-objective');
    assert.equal(await page.locator('#objectives .objective').count(), 2);
    await page.locator('#objectives .objective .remove').first().click();
    assert.equal(await page.locator('#objectives .objective').count(), 1);
    const row = page.locator('#objectives .objective').first();
    await row.locator('[name=cognitive_level]').selectOption('applying');
    await row.locator('[name=subject_area]').fill('Biology');
    await row.locator('[name=specific_skill]').fill('Explain how light energy becomes chemical energy');
    await row.locator('[name=measurable_outcome]').fill('Labels the inputs and outputs of photosynthesis correctly');

    const {pinned} = await generate(page, 'flashcards', 'Photosynthesis in Plants');
    const cards = page.locator('.flashcard');
    const n = await cards.count();
    assert.ok(n >= 1, 'no flashcards rendered');
    const term = (await cards.first().locator('.flashcard-term').innerText()).trim();
    assert.ok(term.length > 0, 'first card has no term');
    assert.ok((await cards.first().locator('.flashcard-definition').textContent()).trim().length > 0, 'first card has no definition');
    /* flip on click, and back */
    assert.equal(await cards.first().getAttribute('aria-pressed'), 'false');
    await cards.first().click();
    assert.match(await cards.first().getAttribute('class'), /\bflipped\b/);
    assert.equal(await cards.first().getAttribute('aria-pressed'), 'true');
    await page.waitForTimeout(600); /* let the flip animation finish for the screenshot */
    await shot(page, 'ui-flashcards-flipped');
    await cards.first().click();
    assert.doesNotMatch(await cards.first().getAttribute('class'), /\bflipped\b/);
    /* quality bars and generation facts */
    assert.ok(await page.locator('.quality .score').count() >= 1, 'no quality score bars');
    const provider = (await page.locator('.meta-list dd[data-field="provider"]').innerText()).trim();
    assert.notEqual(provider, '—');
    if (pinned) {
        assert.equal(provider, 'offline');
    }
    assert.match(await page.locator('.meta-list dd[data-field="attempts"]').innerText(), /^\d+$/);
    /* Markdown and JSON downloads hold the content */
    const [md] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="download-md"]')]);
    const mdText = fs.readFileSync(await md.path(), 'utf8');
    assert.match(mdText, /^# /);
    assert.ok(mdText.includes(term), 'markdown lacks the first term');
    const [js] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="download-json"]')]);
    const saved = JSON.parse(fs.readFileSync(await js.path(), 'utf8'));
    assert.equal(saved.content_type, 'flashcards');
    assert.ok(saved.id);
    assert.deepEqual(problems, []);
    await page.close();
});

test('generation UI: a podcast script is rendered as a script with speakers; history reloads it', async () => {
    const {page, problems} = await watchedPage();
    await page.goto(base + '/');
    await saveKey(page, key);
    await generate(page, 'podcast_script', 'The Water Cycle');
    const segs = page.locator('.podcast .script-segment');
    assert.ok(await segs.count() >= 2, 'fewer than 2 script segments');
    const speakers = await page.locator('.podcast .script-segment .speaker').allInnerTexts();
    assert.ok(speakers.length >= 1 && speakers.every((s) => s.trim().length > 0), 'segments without speakers');
    assert.ok((await segs.first().locator('.script-text').innerText()).trim().length > 0);
    const id = await page.evaluate(() => JSON.parse(document.querySelector('.result-view pre').textContent).id);
    await shot(page, 'ui-podcast-script');
    /* history lists the stored content; clicking loads it through GET /api/v1/content/{id} */
    await page.waitForSelector(`.history-item[data-id="${id}"]`, {timeout: 15000});
    await page.click('#history-refresh');
    await page.waitForSelector(`.history-item[data-id="${id}"]`);
    const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/content/' + id) && r.status() === 200);
    await page.click(`.history-item[data-id="${id}"]`);
    await loaded;
    await page.waitForSelector('.result-view[data-content-type="podcast_script"] .script-segment');
    assert.deepEqual(problems, []);
    await page.close();
});

test('generation UI: API errors are shown from the error shape (401 with a hint, 400 naming the field)', async () => {
    const {page} = await watchedPage();
    await page.goto(base + '/');
    await saveKey(page, 'definitely-not-a-valid-key');
    await page.waitForSelector('#content-type option[value="flashcards"]', {state: 'attached'});
    await page.selectOption('#content-type', 'flashcards');
    await page.fill('#topic', 'Photosynthesis');
    await page.click('#generate-btn');
    const box = page.locator('#gen-error .error-box');
    await box.waitFor();
    const text = await box.innerText();
    assert.match(text, /401/);
    assert.match(text, /UNAUTHORIZED/);
    assert.match(text, /API key/);
    await shot(page, 'ui-error-401');
    /* a server-side validation error names the field (the textarea's maxlength is bypassed on purpose) */
    await saveKey(page, key);
    await page.evaluate(() => {
        document.getElementById('requirements').value = 'x'.repeat(1001);
    });
    const resp = page.waitForResponse((r) => r.url().includes('/api/v1/generate/'));
    await page.click('#generate-btn');
    const r = await resp;
    assert.equal(r.status(), 400);
    await page.waitForSelector('#gen-error .error-box');
    const t2 = await page.locator('#gen-error .error-box').innerText();
    assert.match(t2, /INVALID_REQUEST/);
    assert.match(t2, /additional_requirements/);
    await page.close();
});

test('generation UI: batch mode renders FAQ, outline tree and reading questions per type', async () => {
    const {page, problems} = await watchedPage();
    await page.goto(base + '/');
    await saveKey(page, key);
    await page.waitForSelector('input[name="batch-type"][value="faq_collection"]', {state: 'attached'});
    await page.check('#batch-mode');
    const types = ['faq_collection', 'master_content_outline', 'reading_guide_questions'];
    for (const t of types) {
        await page.check(`input[name="batch-type"][value="${t}"]`);
    }
    await page.fill('#topic', 'Fractions');
    const offline = await page.$('#provider option[value="offline"]:not([disabled])');
    if (offline) {
        await page.selectOption('#provider', 'offline');
    }
    await page.click('#generate-btn');
    await page.waitForSelector('#batch-tabs .tab, #gen-error .error-box', {timeout: GEN_TIMEOUT});
    assert.equal(await page.locator('#gen-error .error-box').count(), 0);
    assert.equal(await page.locator('#batch-tabs .tab').count(), types.length);
    assert.match(await page.locator('.batch-summary').innerText(), /of 3 succeeded/);
    const expect = {faq_collection: '.faq details.faq-item', master_content_outline: '.outline ul.tree li details', reading_guide_questions: 'ol.questions li'};
    for (const t of types) {
        await page.click(`#batch-tabs .tab[data-type="${t}"]`);
        const failed = await page.locator(`#batch-tabs .tab[data-type="${t}"].failed`).count();
        assert.equal(failed, 0, `batch type ${t} failed: ` + (await page.locator('#result').innerText()));
        await page.waitForSelector(`.result-view[data-content-type="${t}"] ${expect[t]}`);
        if (t === 'faq_collection') {
            const item = page.locator('.faq details.faq-item').first();
            await item.locator('summary').click();
            assert.equal(await item.evaluate((d) => d.open), true);
            assert.match(await item.locator('summary').innerText(), /\?/);
            await shot(page, 'ui-batch-faq');
        }
    }
    assert.deepEqual(problems, []);
    await page.close();
});

test('dashboard: loads with no console errors or failed requests, shows live figures, refreshes', async () => {
    const {page, problems} = await watchedPage();
    await page.clock.install();
    /* the key is in place before the first load (a reload would abort that load's requests itself) */
    await page.addInitScript((k) => localStorage.setItem('lafactoria.apiKey', k), key);
    let healthCalls = 0;
    page.on('request', (r) => {
        if (r.url().endsWith('/api/v1/health/detailed')) {
            healthCalls++;
        }
    });
    await page.goto(base + '/static/monitor.html');
    await page.waitForFunction(() => document.getElementById('last-update').textContent !== 'never');
    const status = (await page.locator('#overall-status').innerText()).trim();
    assert.match(status, /^(healthy|degraded|unhealthy)$/);
    /* resources: gauges drawn from /proc figures */
    assert.equal(await page.locator('#gauge-cpu svg').count(), 1);
    assert.equal(await page.locator('#gauge-mem svg').count(), 1);
    assert.match(await page.locator('#gauge-cpu svg').getAttribute('aria-label'), /CPU: \d+(\.\d)?%/);
    /* providers table, with spend vs budget column from /api/v1/providers */
    assert.ok(await page.locator('#providers tbody tr').count() >= 1, 'no provider rows');
    assert.match(await page.locator('#providers-source').innerText(), /\/api\/v1\/providers/);
    /* educational metrics charts, alerts, request metrics */
    assert.equal(await page.locator('#chart-quality svg').count(), 1);
    assert.ok(await page.locator('#chart-hourly svg, #chart-hourly p').count() >= 1);
    assert.ok(await page.locator('#alerts table tbody tr').count() >= 1, 'no alert rules shown');
    const m = await (await fetch(base + '/api/v1/metrics')).json();
    if (m.history) {
        assert.equal(await page.locator('#chart-history svg').count() >= 1, true, 'metrics history not charted');
    }
    const kpis = await page.locator('#requests .kpi').allInnerTexts();
    const total = kpis.find((t) => /Requests$/.test(t.trim()));
    assert.ok(total, 'no requests figure');
    const before1 = parseInt(total.replace(/[^0-9]/g, ''), 10);
    assert.ok(before1 > 0, 'request total is not a live figure: ' + total);
    await shot(page, 'dashboard');
    /* "refresh now" fetches again and the request counter moves */
    const callsBefore = healthCalls;
    await page.click('#refresh-now');
    await page.waitForFunction(() => !document.getElementById('refresh-now').disabled);
    assert.ok(healthCalls > callsBefore, 'refresh now did not fetch');
    /* the 30 s timer refreshes by itself */
    const callsTimer = healthCalls;
    await page.clock.runFor(30500);
    await page.waitForFunction(() => !document.getElementById('refresh-now').disabled);
    await page.waitForTimeout(300);
    assert.ok(healthCalls > callsTimer, 'no automatic refresh after 30 s');
    const after1 = parseInt((await page.locator('#requests .kpi').allInnerTexts()).find((t) => /Requests$/.test(t.trim())).replace(/[^0-9]/g, ''), 10);
    assert.ok(after1 > before1, `request total did not move (${before1} -> ${after1})`);
    assert.deepEqual(problems, []);
    await page.close();
});

test('dashboard: without a key it uses public endpoints only and still has no errors', async () => {
    const {page, problems} = await watchedPage();
    /* no key from the start: a reload after the first load would abort its requests (ERR_ABORTED) itself */
    await page.addInitScript(() => localStorage.removeItem('lafactoria.apiKey'));
    await page.goto(base + '/static/monitor.html');
    await page.waitForFunction(() => document.getElementById('last-update').textContent !== 'never');
    assert.match(await page.locator('#providers-source').innerText(), /health\/detailed/);
    assert.ok(await page.locator('#providers tbody tr').count() >= 1);
    assert.deepEqual(problems, []);
    await page.close();
});

test('API docs page renders every operation of /openapi.json grouped by tag', async () => {
    const {page, problems} = await watchedPage();
    const spec = await (await fetch(base + '/openapi.json')).json();
    assert.match(spec.openapi, /^3\.1\./);
    let ops = 0;
    for (const item of Object.values(spec.paths)) {
        ops += ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).length;
    }
    await page.goto(base + '/docs');
    await page.waitForSelector('.tag-section');
    assert.equal(await page.locator('.tag-section details.op').count(), ops);
    assert.equal(await page.locator('.tag-section').count(), new Set(Object.values(spec.paths).flatMap((i) => Object.values(i).map((o) => o.tags[0]))).size);
    await page.locator('[data-path="/api/v1/generate/{content_type}"] > summary').click();
    await page.waitForSelector('[data-path="/api/v1/generate/{content_type}"] .schema-table');
    await shot(page, 'docs');
    assert.deepEqual(problems, []);
    await page.close();
});

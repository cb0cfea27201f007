/*
 * tests/e2e/mock_server.mjs — a tiny stand-in for the gateway for developing and testing the web pages:
 * serves web/ like the real server (/static/<file>, /, /docs, /openapi.json) and answers the endpoints the
 * pages read with JSON shaped per /work/shared/API.md. Canned content; counters are live within the process.
 * Usage: node mock_server.mjs [port]   (env LF_API_KEY, default "test-key"; prints "listening <url>")
 * SPDX-License-Identifier: MIT
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '../../web');
const apiKey = process.env.LF_API_KEY || 'test-key';
const started = Date.now();
const MIME = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
              '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml'};
const AGE = ['elementary', 'middle_school', 'high_school', 'college', 'adult_learning', 'general'];
const TYPES = [
    ['master_content_outline', 'Master content outline', 'Structured course outline with sections'],
    ['podcast_script', 'Podcast script', 'Conversational audio script with speakers'],
    ['study_guide', 'Study guide', 'Concepts, exercises and assessment questions'],
    ['one_pager_summary', 'One-pager summary', 'Executive summary with key takeaways'],
    ['detailed_reading_material', 'Detailed reading material', 'In-depth sections for reading'],
    ['faq_collection', 'FAQ collection', 'Frequently asked questions with answers'],
    ['flashcards', 'Flashcards', 'Term and definition cards for memorisation'],
    ['reading_guide_questions', 'Reading guide questions', 'Questions to guide a reading']];
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const stats = {requests: 0, byStatus: {}, gens: 0, ok: 0, failed: 0, byType: {}};
const store = []; /* newest first */

function now() {
    return new Date().toISOString();
}

function send(res, status, body, headers = {}) {
    const h = {'X-Request-Id': crypto.randomUUID(), 'X-LF-Overhead-Us': '42', ...headers};
    stats.requests++;
    stats.byStatus[status] = (stats.byStatus[status] || 0) + 1;
    if (body === null) {
        res.writeHead(status, h);
        res.end();
        return;
    }
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
        res.writeHead(status, h);
        res.end(body);
        return;
    }
    res.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', ...h});
    res.end(JSON.stringify(body));
}

function fail(res, status, code, message, details = {}, headers = {}) {
    send(res, status, {error: {code, message, details, request_id: crypto.randomUUID()}}, headers);
}

function content(type, topic) {
    const T = topic;
    switch (type) {
    case 'flashcards':
        return {title: `${T} flashcards`, items: Array.from({length: 10}, (_, i) => ({
            term: `${T} term ${i + 1}`, definition: `Definition ${i + 1} of a key idea in ${T}.`,
            category: i % 2 ? 'process' : 'structure', difficulty: ['easy', 'medium', 'hard'][i % 3]}))};
    case 'podcast_script':
        return {title: `${T}: the podcast`, introduction: `Welcome to a short episode about ${T}.`,
                segments: [{speaker: 'Host', text: `Today we talk about ${T}. What is it?`, cue: 'upbeat intro music'},
                           {speaker: 'Expert', text: `${T} is easiest understood with an example.`},
                           {speaker: 'Host', text: 'Can you give our listeners an example?'},
                           {speaker: 'Expert', text: 'Let us try one together, step by step.'}],
                conclusion: `Thanks for listening to this episode on ${T}.`, speaker_notes: ['Keep a friendly pace'],
                estimated_duration_minutes: 6};
    case 'master_content_outline':
        return {title: `${T} course outline`, overview: `An overview of ${T} for learners.`,
                learning_objectives: ['Explain the main idea', 'Apply it to an example', 'Evaluate a claim'],
                sections: [1, 2, 3].map((n) => ({section_number: n, title: `Part ${n}`, description: `What part ${n} covers.`,
                                               estimated_duration_minutes: 15, key_points: [`Point ${n}.1`, `Point ${n}.2`]})),
                estimated_total_duration_minutes: 45, target_audience: 'students', difficulty_level: 'intermediate'};
    case 'faq_collection':
        return {title: `${T} FAQ`, items: Array.from({length: 5}, (_, i) => ({question: `Question ${i + 1} about ${T}?`,
                                                                            answer: `Answer ${i + 1}.`, category: 'basics'}))};
    case 'reading_guide_questions':
        return {title: `${T} reading guide`, questions: Array.from({length: 5}, (_, i) => ({question: `What does part ${i + 1} say?`,
                                                                                          type: 'comprehension', hint: 'Look at the first paragraph'}))};
    default:
        return {title: `${T}`, summary: `Mock ${type} content about ${T}.`, points: ['one', 'two', 'three']};
    }
}

function generate(type, body) {
    const id = crypto.randomUUID();
    const score = 0.78 + (store.length % 5) * 0.03;
    const r = {id, content_type: type, topic: body.topic.trim(), age_group: body.age_group || 'general',
               generated_content: content(type, body.topic.trim()),
               quality_metrics: {overall_quality_score: score, educational_effectiveness: 0.8, factual_accuracy: 0.9,
                                 age_appropriateness: 0.85, structural_quality: 0.9, engagement: 0.6,
                                 readability: {flesch_reading_ease: 62.5, flesch_kincaid_grade: 8.2},
                                 cognitive_load: {intrinsic: 0.4, extraneous: 0.2, germane: 0.6},
                                 meets_thresholds: {overall: true, educational: true, factual: true},
                                 scorers: [{name: 'readability', version: '1.0.0', scores: {flesch_reading_ease: 62.5}, duration_us: 40}]},
               metadata: {generation_duration_ms: 12, tokens: {prompt: 300, completion: 700, total: 1000}, cost_usd: 0,
                          ai_provider: 'offline', ai_model: 'offline-1', prompt_template: `${type}@1`,
                          attempts: [{provider: 'offline', outcome: 'ok', latency_ms: 12}], regenerations: 0, cached: false},
               created_at: now()};
    store.unshift(r);
    stats.gens++;
    stats.ok++;
    stats.byType[type] = (stats.byType[type] || 0) + 1;
    return r;
}

function validate(body) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
        return ['body', 'request body must be a JSON object'];
    }
    const t = typeof body.topic === 'string' ? [...body.topic.trim()].length : -1;
    if (t < 3 || t > 500) {
        return ['topic', 'topic must be between 3 and 500 characters'];
    }
    if (body.additional_requirements !== undefined &&
        (typeof body.additional_requirements !== 'string' || [...body.additional_requirements.trim()].length > 1000)) {
        return ['additional_requirements', 'additional_requirements must be at most 1000 characters'];
    }
    if (body.age_group !== undefined && !AGE.includes(body.age_group)) {
        return ['age_group', 'age_group must be one of ' + AGE.join(', ')];
    }
    if (body.provider !== undefined && body.provider !== 'offline') {
        return ['provider', `provider "${body.provider}" is unknown`];
    }
    return null;
}

function system() {
    const mem = process.memoryUsage().rss;
    return {cpu_percent: 3.5, memory_rss_bytes: mem, memory_percent: 0.8, load_average: [0.2, 0.15, 0.1], disk_free_bytes: 40e9};
}

function readBody(req) {
    return new Promise((resolve) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => resolve(data));
    });
}

async function api(req, res, url) {
    const p = url.pathname;
    const authed = req.headers.authorization === `Bearer ${apiKey}`;
    const needKey = () => {
        if (!authed) {
            fail(res, 401, 'UNAUTHORIZED', 'missing or invalid api key', {}, {'WWW-Authenticate': 'Bearer'});
            return false;
        }
        return true;
    };
    const providers = [{name: 'offline', plugin: 'offline', plugin_version: '1.0.0', models: [{id: 'offline-1', input_usd_per_mtok: 0, output_usd_per_mtok: 0}],
                        enabled: true, state: 'closed', priority: 1000, weight: 1, budget: [{period: 'day', limit_usd: null, spent_usd: 0.4, reserved_usd: 0}, {period: 'month', limit_usd: 10, spent_usd: 2.5, reserved_usd: 0}],
                        stats: {requests: stats.gens, failures: 0, tokens: stats.gens * 1000, cost_usd: 0, latency_ewma_ms: 12}},
                       {name: 'openai', plugin: 'openai', plugin_version: '1.0.0', models: [], enabled: false, state: 'open', priority: 10, weight: 1,
                        budget: null, disabled_reason: 'missing api key', stats: {requests: 0, failures: 0, tokens: 0, cost_usd: 0, latency_ewma_ms: null}}];
    if (req.method === 'GET') {
        switch (p) {
        case '/health': return send(res, 200, {status: 'healthy', timestamp: now(), version: '0.0.0-mock', environment: 'mock'});
        case '/api/v1/live': return send(res, 200, {status: 'alive', timestamp: now(), version: '0.0.0-mock'});
        case '/api/v1/ready': return send(res, 200, {status: 'ready'});
        case '/api/v1/health': return send(res, 200, {status: 'healthy', timestamp: now(), version: '0.0.0-mock',
                                                       services: {database: 'healthy', providers: 'healthy', scorers: 'healthy'}});
        case '/api/v1/health/detailed':
            return send(res, 200, {status: 'healthy', timestamp: now(), version: '0.0.0-mock', environment: 'mock',
                                   uptime_seconds: (Date.now() - started) / 1000, system: system(),
                                   database: {status: 'up', latency_ms: 0.9, pending_writes: 0, spooled_records: 0},
                                   providers: providers.map((x) => ({name: x.name, plugin: x.plugin, version: x.plugin_version, state: x.state,
                                                                     enabled: x.enabled, latency_ewma_ms: x.stats.latency_ewma_ms, error_rate_1m: 0, last_error: null})),
                                   scorers: [{name: 'readability', plugin: 'readability', version: '1.0.0', enabled: true}],
                                   quality_pipeline: {status: 'healthy', last_assessment_ms: 0.4}, config_generation: 1});
        case '/api/v1/content-types':
            return send(res, 200, {content_types: TYPES.map(([id, name, description]) => ({id, name, description, typical_use_cases: ['revision'],
                                                                                           estimated_generation_seconds: 5, output_schema: {type: 'object'}})),
                                   total_count: TYPES.length});
        case '/api/v1/metrics':
            return send(res, 200, {timestamp: now(), uptime_seconds: (Date.now() - started) / 1000,
                                   requests: {total: stats.requests, by_status: stats.byStatus, per_second_1m: 0.3},
                                   latency_ms: {generate: {p50: 10, p95: 20, p99: 30}, health: {p50: 0.2, p95: 0.5, p99: 1}},
                                   generations: {total: stats.gens, succeeded: stats.ok, failed: stats.failed,
                                                 success_rate: stats.gens ? stats.ok / stats.gens : null, by_type: stats.byType, by_provider: {offline: stats.gens}},
                                   providers: {offline: {requests: stats.gens, failures: 0, tokens_prompt: stats.gens * 300, tokens_completion: stats.gens * 700,
                                                         cost_usd: 0, latency_ms_p95: 20}},
                                   cost: {total_usd: 0, last_24h_usd: 0}, cache: {hits: 0, misses: 0, hit_ratio: null},
                                   history: {minute_end: new Date(Math.floor(Date.now() / 60e3) * 60e3 + 60e3).toISOString(),
                                             requests_per_minute: Array.from({length: 60}, (_, i) => (i === 59 ? stats.requests : (i * 3) % 7)),
                                             generations_per_minute: Array.from({length: 60}, (_, i) => (i === 59 ? stats.gens : i % 3)),
                                             cost_usd_per_minute: Array(60).fill(0), requests_per_hour: Array(24).fill(stats.requests),
                                             generations_per_hour: Array(24).fill(stats.gens), cost_usd_per_hour: Array.from({length: 24}, (_, i) => i / 100)},
                                   database: {status: 'up', pending_writes: 0}, system: system()});
        case '/api/v1/metrics/educational': {
            const hour = new Date();
            hour.setUTCMinutes(0, 0, 0);
            return send(res, 200, {timestamp: now(), total_content: store.length + 40, content_last_24h: store.length + 12,
                                   by_content_type: TYPES.slice(0, 4).map(([id], i) => ({content_type: id, count: 10 - i * 2 + (stats.byType[id] || 0),
                                                                                         avg_quality: 0.75 + i * 0.04, avg_educational: 0.8, avg_factual: 0.88, avg_duration_ms: 900})),
                                   quality_distribution: {excellent: 5, good: 20, acceptable: 12, below_threshold: 3 + store.length},
                                   threshold_pass_rates: {overall: 0.93, educational: 0.85, factual: 0.9},
                                   hourly_last_24h: Array.from({length: 24}, (_, i) => ({hour: new Date(hour.getTime() - (23 - i) * 3600e3).toISOString(),
                                                                                        count: (i * 7) % 5, avg_quality: (i * 7) % 5 ? 0.8 : null})),
                                   quality_thresholds: {overall: 0.7, educational: 0.75, factual: 0.85}});
        }
        case '/api/v1/alerts':
            return send(res, 200, {alerts: [
                {name: 'api_down', severity: 'critical', state: 'ok', value: 1, threshold: 1, window_seconds: 60, since: now()},
                {name: 'quality_average_critical', severity: 'critical', state: 'ok', value: 0.81, threshold: 0.65, window_seconds: 3600, since: now()},
                {name: 'high_cpu', severity: 'warning', state: 'firing', value: 85.2, threshold: 80, window_seconds: 600, since: now()}]});
        case '/metrics':
            return send(res, 200, '# HELP lafactoria_db_pending_writes Rows queued\n# TYPE lafactoria_db_pending_writes gauge\nlafactoria_db_pending_writes 0\n',
                        {'Content-Type': 'text/plain; version=0.0.4'});
        case '/api/v1/providers':
            return needKey() && send(res, 200, {providers});
        case '/api/v1/content': {
            if (!needKey()) {
                return;
            }
            const type = url.searchParams.get('content_type');
            const limit = Math.max(1, Math.min(200, parseInt(url.searchParams.get('limit') || '50', 10)));
            const off = parseInt(url.searchParams.get('cursor') || '0', 10) || 0;
            const all = store.filter((x) => !type || x.content_type === type);
            const items = all.slice(off, off + limit);
            return send(res, 200, {items, next_cursor: off + limit < all.length ? String(off + limit) : null});
        }
        default:
            break;
        }
        const m = /^\/api\/v1\/content\/([^/]+)$/.exec(p);
        if (m) {
            if (!needKey()) {
                return;
            }
            const hit = store.find((x) => x.id === m[1]);
            return hit ? send(res, 200, hit) : fail(res, 404, 'NOT_FOUND', `content "${m[1]}" not found`);
        }
    }
    if (req.method === 'POST' && p.startsWith('/api/v1/generate/')) {
        const type = decodeURIComponent(p.slice('/api/v1/generate/'.length));
        if (type !== 'batch' && !TYPES.some(([id]) => id === type)) {
            return fail(res, 404, 'NOT_FOUND', `content type "${type}" not found`);
        }
        if (!needKey()) {
            return;
        }
        if (!/application\/json/.test(req.headers['content-type'] || '')) {
            return fail(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type must be application/json');
        }
        let body;
        try {
            body = JSON.parse(await readBody(req));
        } catch (e) {
            return fail(res, 400, 'INVALID_REQUEST', 'request body is not valid JSON');
        }
        const bad = validate(body);
        if (bad) {
            return fail(res, 400, 'INVALID_REQUEST', bad[1], {field: bad[0]});
        }
        if (type !== 'batch') {
            const r = generate(type, body);
            return send(res, 200, r, {'X-LF-Provider': 'offline', 'X-LF-Cost-USD': '0', 'X-LF-Attempts': '1'});
        }
        const types = body.content_types;
        if (!Array.isArray(types) || !types.length || types.length > 8 || new Set(types).size !== types.length ||
            !types.every((t) => TYPES.some(([id]) => id === t))) {
            return fail(res, 400, 'INVALID_REQUEST', 'content_types must list 1 to 8 distinct known content types', {field: 'content_types'});
        }
        const results = {};
        types.forEach((t) => (results[t] = generate(t, body)));
        const qs = Object.values(results).map((r) => r.quality_metrics.overall_quality_score);
        return send(res, 200, {batch_id: crypto.randomUUID(), topic: body.topic, age_group: body.age_group || 'general', results, errors: {},
                               summary: {total_requested: types.length, successful: types.length, failed: 0,
                                         average_quality_score: qs.reduce((a, b) => a + b, 0) / qs.length, total_cost_usd: 0, duration_ms: 15}});
    }
    return fail(res, 404, 'NOT_FOUND', `no route for ${req.method} ${p}`);
}

function serveFile(res, file) {
    const full = path.resolve(webDir, file);
    if (!full.startsWith(webDir + path.sep) || !fs.existsSync(full) || !fs.statSync(full).isFile()) {
        return fail(res, 404, 'NOT_FOUND', 'file not found');
    }
    /* the policy the pages are written for (docs/internals/WEB.md): everything from 'self', no inline code or styles */
    const csp = path.extname(full) === '.html' ? {'Content-Security-Policy': CSP} : {};
    send(res, 200, fs.readFileSync(full), {'Content-Type': MIME[path.extname(full)] || 'application/octet-stream',
                                           'X-Content-Type-Options': 'nosniff', ...csp});
}

const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/') {
        return serveFile(res, 'index.html');
    }
    if (req.method === 'GET' && p === '/docs') {
        return serveFile(res, 'docs.html');
    }
    if (req.method === 'GET' && p === '/openapi.json') {
        return serveFile(res, 'openapi.json');
    }
    if (req.method === 'GET' && p.startsWith('/static/')) {
        return serveFile(res, decodeURIComponent(p.slice('/static/'.length)));
    }
    api(req, res, url).catch((e) => fail(res, 500, 'INTERNAL_ERROR', 'internal error: ' + e.message));
});

server.listen(parseInt(process.argv[2] || process.env.PORT || '0', 10), '127.0.0.1', () => {
    console.log(`listening http://127.0.0.1:${server.address().port}`);
});

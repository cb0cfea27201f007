/*
 * web/app.js — the generation UI: content types, request form with learning objectives, provider pin,
 * single and batch generation, result display with quality scores, copy/download, stored-content history.
 * SPDX-License-Identifier: MIT
 */
(function () {
    'use strict';
    var LF = window.LF;
    var el = LF.el;
    var R = window.LFRender;
    var $ = function (id) {
        return document.getElementById(id);
    };

    var COGNITIVE = ['remembering', 'understanding', 'applying', 'analyzing', 'evaluating', 'creating'];
    var MAX_OBJECTIVES = 10;
    var HISTORY_PAGE = 20;
    var state = {types: [], historyCursor: null, current: null};

    function clear(node) {
        while (node.firstChild) {
            node.removeChild(node.firstChild);
        }
    }

    function typeName(id) {
        for (var i = 0; i < state.types.length; i++) {
            if (state.types[i].id === id) {
                return state.types[i].name || id;
            }
        }
        return LF.humanize(id);
    }

    /* ---------- API key ---------- */

    function showKeyState() {
        var k = LF.getKey();
        $('key-state').textContent = k ? 'key saved in this browser' : 'no key: generation needs one';
        $('api-key').value = k;
    }

    function onKeyChanged() {
        showKeyState();
        loadProviders();
        resetHistory();
    }

    /* ---------- content types ---------- */

    function loadContentTypes() {
        return LF.request('GET', '/api/v1/content-types', null, {auth: false}).then(function (r) {
            state.types = (r.data && Array.isArray(r.data.content_types)) ? r.data.content_types : [];
            var sel = $('content-type');
            clear(sel);
            var filter = $('history-type');
            var grid = $('batch-types');
            clear(grid);
            state.types.forEach(function (t) {
                sel.appendChild(el('option', {value: t.id}, t.name || t.id));
                filter.appendChild(el('option', {value: t.id}, t.name || t.id));
                grid.appendChild(el('label', {class: 'checkbox'},
                                    el('input', {type: 'checkbox', name: 'batch-type', value: t.id}), ' ', t.name || t.id));
            });
            if (!state.types.length) {
                sel.appendChild(el('option', {value: ''}, 'no content types available'));
            }
            describeType();
        }, function (err) {
            var sel = $('content-type');
            clear(sel);
            sel.appendChild(el('option', {value: ''}, 'could not load content types'));
            showGenError(err);
        });
    }

    function describeType() {
        var id = $('content-type').value;
        var t = state.types.filter(function (x) {
            return x.id === id;
        })[0];
        $('content-type-desc').textContent = t ? [t.description,
            t.estimated_generation_seconds ? '~' + t.estimated_generation_seconds + ' s' : '',
            Array.isArray(t.typical_use_cases) && t.typical_use_cases.length ? 'Use: ' + t.typical_use_cases.join(', ') : '']
            .filter(Boolean).join(' · ') : '';
    }

    /* ---------- providers ---------- */

    function loadProviders() {
        var sel = $('provider');
        var keep = sel.value;
        while (sel.options.length > 1) {
            sel.remove(1);
        }
        if (!LF.getKey()) {
            $('provider-note').textContent = 'Enter a key to list providers.';
            return Promise.resolve();
        }
        return LF.request('GET', '/api/v1/providers', null, {auth: true}).then(function (r) {
            var list = r.data && Array.isArray(r.data.providers) ? r.data.providers : [];
            list.forEach(function (p) {
                var usable = p.enabled !== false && p.state !== 'open';
                sel.appendChild(el('option', {value: p.name, disabled: !usable},
                                   p.name + (p.enabled === false ? ' (disabled)' : p.state && p.state !== 'closed' ? ' (' + p.state.replace('_', '-') + ')' : '')));
            });
            sel.value = keep && Array.prototype.some.call(sel.options, function (o) {
                return o.value === keep;
            }) ? keep : '';
            $('provider-note').textContent = list.length ? '' : 'No providers configured.';
        }, function (err) {
            $('provider-note').textContent = 'Providers not listed (' + err.message + ').';
        });
    }

    /* ---------- learning objectives ---------- */

    function addObjective(v) {
        var box = $('objectives');
        if (box.children.length >= MAX_OBJECTIVES) {
            return;
        }
        v = v || {};
        var row = el('div', {class: 'objective'},
                     el('label', null, 'Cognitive level',
                        el('select', {name: 'cognitive_level'}, COGNITIVE.map(function (c) {
                            return el('option', {value: c, selected: v.cognitive_level === c}, c);
                        }))),
                     el('label', null, 'Subject area', el('input', {name: 'subject_area', maxlength: 100, value: v.subject_area || ''})),
                     el('label', null, 'Specific skill', el('input', {name: 'specific_skill', maxlength: 200, value: v.specific_skill || ''})),
                     el('label', null, 'Measurable outcome', el('input', {name: 'measurable_outcome', maxlength: 300, value: v.measurable_outcome || ''})),
                     el('label', null, 'Difficulty (1–10)', el('input', {name: 'difficulty_level', type: 'number', min: 1, max: 10, value: v.difficulty_level || 5})),
                     el('button', {type: 'button', class: 'secondary remove', 'aria-label': 'Remove objective', onclick: function () {
                         row.parentNode.removeChild(row);
                         updateObjectiveButton();
                     }}, 'Remove'));
        box.appendChild(row);
        updateObjectiveButton();
    }

    function updateObjectiveButton() {
        $('add-objective').disabled = $('objectives').children.length >= MAX_OBJECTIVES;
    }

    function readObjectives() {
        var out = [];
        Array.prototype.forEach.call($('objectives').children, function (row) {
            var get = function (n) {
                return row.querySelector('[name="' + n + '"]').value;
            };
            var o = {cognitive_level: get('cognitive_level'), subject_area: get('subject_area').trim(),
                     specific_skill: get('specific_skill').trim(), measurable_outcome: get('measurable_outcome').trim(),
                     difficulty_level: parseInt(get('difficulty_level'), 10) || 5};
            if (o.subject_area || o.specific_skill || o.measurable_outcome) {
                out.push(o);
            }
        });
        return out;
    }

    /* ---------- generation ---------- */

    function showGenError(err) {
        var box = $('gen-error');
        clear(box);
        if (err) {
            box.appendChild(LF.errorBlock(err));
        }
    }

    function buildRequest() {
        var body = {topic: $('topic').value.trim(), age_group: $('age-group').value, quality_gate: $('quality-gate').value};
        var req = $('requirements').value.trim();
        if (req) {
            body.additional_requirements = req;
        }
        var objs = readObjectives();
        if (objs.length) {
            body.learning_objectives = objs;
        }
        if ($('provider').value) {
            body.provider = $('provider').value;
        }
        var mc = $('max-cost').value;
        if (mc !== '' && !isNaN(Number(mc))) {
            body.max_cost_usd = Number(mc);
        }
        return body;
    }

    function localCheck(body, batchTypes) {
        var len = Array.from(body.topic).length;
        if (len < 3 || len > 500) {
            return {field: 'topic', message: 'topic must be between 3 and 500 characters'};
        }
        if (batchTypes) {
            if (!batchTypes.length) {
                return {field: 'content_types', message: 'choose at least one content type'};
            }
        } else if (!$('content-type').value) {
            return {field: 'content_type', message: 'choose a content type'};
        }
        if (!LF.getKey()) {
            return {field: 'api_key', message: 'enter your API key first'};
        }
        return null;
    }

    function onGenerate(ev) {
        ev.preventDefault();
        showGenError(null);
        var batch = $('batch-mode').checked;
        var types = batch ? Array.prototype.map.call(document.querySelectorAll('input[name="batch-type"]:checked'), function (c) {
            return c.value;
        }) : null;
        var body = buildRequest();
        var problem = localCheck(body, types);
        if (problem) {
            showGenError({status: 0, code: 'INVALID_REQUEST', message: problem.message, details: {field: problem.field}});
            $('gen-error').querySelector('.error-hint') && $('gen-error').querySelector('.error-hint').remove();
            return;
        }
        var btn = $('generate-btn');
        btn.disabled = true;
        var started = Date.now();
        $('gen-status').textContent = batch ? 'Generating ' + types.length + ' types…' : 'Generating ' + typeName($('content-type').value) + '…';
        var p;
        if (batch) {
            body.content_types = types;
            p = LF.request('POST', '/api/v1/generate/batch', body, {auth: true}).then(function (r) {
                showBatch(r.data);
            });
        } else {
            p = LF.request('POST', '/api/v1/generate/' + encodeURIComponent($('content-type').value), body, {auth: true}).then(function (r) {
                showResult(r.data);
            });
        }
        p.then(function () {
            $('gen-status').textContent = 'Done in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s.';
            resetHistory();
        }, function (err) {
            $('gen-status').textContent = 'Failed.';
            showGenError(err);
        }).then(function () {
            btn.disabled = false;
        });
    }

    /* ---------- result ---------- */

    var SCORE_FIELDS = [['overall_quality_score', 'Overall', 0.70], ['educational_effectiveness', 'Educational', 0.75],
                        ['factual_accuracy', 'Factual', 0.85], ['age_appropriateness', 'Age fit', null],
                        ['structural_quality', 'Structure', null], ['engagement', 'Engagement', null]];

    function scoreBar(label, value, threshold) {
        var v = typeof value === 'number' ? Math.max(0, Math.min(1, value)) : null;
        var cls = v === null ? '' : threshold !== null ? (v >= threshold ? 'good' : 'bad') : (v >= 0.7 ? 'good' : v >= 0.5 ? 'mid' : 'bad');
        return el('div', {class: 'score'},
                  el('span', {class: 'score-label'}, label),
                  el('span', {class: 'score-track', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 1, 'aria-valuenow': v === null ? null : v},
                     el('span', {class: 'score-fill ' + cls, style: 'width:' + (v === null ? 0 : (v * 100).toFixed(1)) + '%'}),
                     threshold !== null ? el('span', {class: 'score-threshold', style: 'left:' + (threshold * 100) + '%', title: 'threshold ' + threshold}) : null),
                  el('span', {class: 'score-value'}, v === null ? '—' : v.toFixed(2)));
    }

    function qualityBlock(q) {
        q = q || {};
        var mt = q.meets_thresholds || {};
        var rd = q.readability || {};
        var cl = q.cognitive_load || {};
        return el('div', {class: 'quality'},
                  el('h3', null, 'Quality'),
                  SCORE_FIELDS.map(function (f) {
                      return q[f[0]] === undefined ? null : scoreBar(f[1], q[f[0]], f[2]);
                  }),
                  Object.keys(mt).length ? el('p', {class: 'thresholds'}, Object.keys(mt).map(function (k) {
                      return el('span', {class: 'badge ' + (mt[k] ? 'ok' : 'fail')}, k + (mt[k] ? ' ✓' : ' ✗'));
                  })) : null,
                  rd.flesch_reading_ease !== undefined || rd.flesch_kincaid_grade !== undefined
                      ? el('p', {class: 'small'}, 'Readability: Flesch ease ' + LF.fmtNumber(rd.flesch_reading_ease, 1) +
                                                   ', grade ' + LF.fmtNumber(rd.flesch_kincaid_grade, 1)) : null,
                  Object.keys(cl).length ? el('p', {class: 'small'}, 'Cognitive load: ' + Object.keys(cl).map(function (k) {
                      return k + ' ' + LF.fmtNumber(cl[k], 2);
                  }).join(', ')) : null,
                  Array.isArray(q.scorers) && q.scorers.length ? el('details', {class: 'small'},
                      el('summary', null, 'Scorers (' + q.scorers.length + ')'),
                      el('ul', null, q.scorers.map(function (s) {
                          return el('li', null, (s.name || '?') + (s.version ? ' ' + s.version : '') +
                                    (s.duration_us !== undefined ? ' · ' + s.duration_us + ' µs' : '') +
                                    (s.scores ? ' · ' + JSON.stringify(s.scores) : ''));
                      }))) : null);
    }

    function metaBlock(resp) {
        var m = resp.metadata || {};
        var attempts = Array.isArray(m.attempts) ? m.attempts : [];
        var tokens = m.tokens || {};
        var rows = [['Provider', m.ai_provider || '—'], ['Model', m.ai_model || '—'], ['Cost', LF.fmtUsd(m.cost_usd)],
                    ['Attempts', String(attempts.length || '—')], ['Regenerations', m.regenerations === undefined ? '—' : String(m.regenerations)],
                    ['Duration', m.generation_duration_ms !== undefined ? LF.fmtNumber(m.generation_duration_ms, 0) + ' ms' : '—'],
                    ['Tokens', tokens.total !== undefined ? LF.fmtNumber(tokens.total, 0) + ' (' + LF.fmtNumber(tokens.prompt, 0) + ' in, ' + LF.fmtNumber(tokens.completion, 0) + ' out)' : '—'],
                    ['Template', m.prompt_template || '—'], ['Created', LF.fmtTime(resp.created_at)], ['Id', resp.id || '—']];
        return el('div', {class: 'meta'},
                  el('h3', null, 'Generation'),
                  el('dl', {class: 'meta-list'}, rows.map(function (r) {
                      return [el('dt', null, r[0]), el('dd', {'data-field': r[0].toLowerCase()}, r[1])];
                  })),
                  attempts.length ? el('ol', {class: 'attempts small'}, attempts.map(function (a) {
                      return el('li', {class: a.outcome === 'ok' ? 'ok' : 'fail'},
                                (a.provider || '?') + ' → ' + (a.outcome || '?') + (a.latency_ms !== undefined ? ' (' + LF.fmtNumber(a.latency_ms, 0) + ' ms)' : ''));
                  })) : null);
    }

    function fileBase(resp) {
        var t = String(resp.topic || 'content').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
        return (resp.content_type || 'content') + '-' + (t || 'content');
    }

    function download(name, text, mime) {
        var blob = new Blob([text], {type: mime});
        var url = URL.createObjectURL(blob);
        var a = el('a', {href: url, download: name});
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () {
            URL.revokeObjectURL(url);
        }, 1000);
    }

    function copy(text, btn) {
        var done = function (ok) {
            var old = btn.textContent;
            btn.textContent = ok ? 'Copied' : 'Copy failed';
            setTimeout(function () {
                btn.textContent = old;
            }, 1500);
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
            navigator.clipboard.writeText(text).then(function () {
                done(true);
            }, function () {
                done(fallbackCopy(text));
            });
        } else {
            done(fallbackCopy(text));
        }
    }

    function fallbackCopy(text) {
        var ta = el('textarea', {class: 'offscreen'});
        ta.value = text;
        document.body.appendChild(ta);
        ta.select();
        var ok = false;
        try {
            ok = document.execCommand('copy');
        } catch (e) {
            ok = false;
        }
        ta.remove();
        return ok;
    }

    function resultView(resp) {
        var json = function () {
            return JSON.stringify(resp, null, 2);
        };
        var md = function () {
            return R.toMarkdown(resp);
        };
        var actions = el('div', {class: 'result-actions'},
                         el('button', {type: 'button', class: 'secondary', 'data-action': 'copy-json', onclick: function (e) {
                             copy(json(), e.currentTarget);
                         }}, 'Copy JSON'),
                         el('button', {type: 'button', class: 'secondary', 'data-action': 'copy-md', onclick: function (e) {
                             copy(md(), e.currentTarget);
                         }}, 'Copy Markdown'),
                         el('button', {type: 'button', class: 'secondary', 'data-action': 'download-json', onclick: function () {
                             download(fileBase(resp) + '.json', json(), 'application/json');
                         }}, 'Download JSON'),
                         el('button', {type: 'button', class: 'secondary', 'data-action': 'download-md', onclick: function () {
                             download(fileBase(resp) + '.md', md(), 'text/markdown');
                         }}, 'Download Markdown'));
        return el('div', {class: 'result-view', 'data-content-type': resp.content_type || ''},
                  el('p', {class: 'result-heading'}, el('span', {class: 'badge type'}, typeName(resp.content_type)), ' ',
                     resp.topic || '', resp.age_group ? el('span', {class: 'muted'}, ' · ' + resp.age_group.replace('_', ' ')) : null),
                  actions,
                  el('div', {class: 'result-grid'},
                     el('div', {class: 'result-main'}, R.renderContent(resp.content_type, resp.generated_content)),
                     el('div', {class: 'result-side'}, qualityBlock(resp.quality_metrics), metaBlock(resp))),
                  el('details', {class: 'raw'}, el('summary', null, 'Raw JSON'), el('pre', null, json())));
    }

    function showResult(resp) {
        state.current = resp;
        $('result-panel').hidden = false;
        clear($('batch-summary'));
        clear($('batch-tabs'));
        var box = $('result');
        clear(box);
        box.appendChild(resultView(resp));
        $('result-panel').scrollIntoView({behavior: 'smooth', block: 'start'});
    }

    function showBatch(b) {
        $('result-panel').hidden = false;
        var results = b.results || {};
        var errors = b.errors || {};
        var s = b.summary || {};
        var sum = $('batch-summary');
        clear(sum);
        sum.appendChild(el('p', {class: 'batch-summary'},
                           'Batch: ' + (s.successful !== undefined ? s.successful : Object.keys(results).length) + ' of ' +
                           (s.total_requested !== undefined ? s.total_requested : Object.keys(results).length + Object.keys(errors).length) +
                           ' succeeded · average quality ' + LF.fmtNumber(s.average_quality_score, 2) + ' · cost ' + LF.fmtUsd(s.total_cost_usd) +
                           (s.duration_ms !== undefined ? ' · ' + LF.fmtNumber(s.duration_ms, 0) + ' ms' : '')));
        var tabs = $('batch-tabs');
        clear(tabs);
        var box = $('result');
        clear(box);
        var keys = Object.keys(results).concat(Object.keys(errors).filter(function (k) {
            return !(k in results);
        }));
        var select = function (k) {
            Array.prototype.forEach.call(tabs.children, function (t) {
                t.setAttribute('aria-selected', t.getAttribute('data-type') === k ? 'true' : 'false');
            });
            clear(box);
            if (results[k]) {
                state.current = results[k];
                box.appendChild(resultView(results[k]));
            } else {
                var e = errors[k] || {};
                box.appendChild(LF.errorBlock({status: 0, code: e.code, message: e.message, details: e.details}));
            }
        };
        keys.forEach(function (k) {
            tabs.appendChild(el('button', {type: 'button', role: 'tab', class: 'tab' + (results[k] ? '' : ' failed'), 'data-type': k,
                                           onclick: function () {
                                               select(k);
                                           }}, typeName(k) + (results[k] ? '' : ' ✗')));
        });
        if (keys.length) {
            select(keys[0]);
        }
    }

    /* ---------- history ---------- */

    function resetHistory() {
        state.historyCursor = null;
        clear($('history-list'));
        clear($('history-error'));
        $('history-more').hidden = true;
        $('history-empty').hidden = true;
        if (!LF.getKey()) {
            $('history-empty').hidden = false;
            $('history-empty').textContent = 'Enter your API key to see stored content.';
            return Promise.resolve();
        }
        return loadHistory();
    }

    function loadHistory() {
        var q = '?limit=' + HISTORY_PAGE;
        if ($('history-type').value) {
            q += '&content_type=' + encodeURIComponent($('history-type').value);
        }
        if (state.historyCursor) {
            q += '&cursor=' + encodeURIComponent(state.historyCursor);
        }
        $('history-more').disabled = true;
        return LF.request('GET', '/api/v1/content' + q, null, {auth: true}).then(function (r) {
            var items = r.data && Array.isArray(r.data.items) ? r.data.items : [];
            var ul = $('history-list');
            items.forEach(function (it) {
                var q = it.quality_metrics && it.quality_metrics.overall_quality_score;
                ul.appendChild(el('li', null, el('button', {type: 'button', class: 'history-item', 'data-id': it.id, onclick: function () {
                    openStored(it.id);
                }}, el('span', {class: 'badge type'}, typeName(it.content_type)), ' ',
                el('span', {class: 'history-topic'}, it.topic || '(no topic)'),
                el('span', {class: 'history-meta muted small'}, LF.fmtTime(it.created_at) + (typeof q === 'number' ? ' · quality ' + q.toFixed(2) : '')))));
            });
            state.historyCursor = r.data ? r.data.next_cursor || null : null;
            $('history-more').hidden = !state.historyCursor;
            $('history-more').disabled = false;
            if (!ul.children.length) {
                $('history-empty').hidden = false;
                $('history-empty').textContent = 'Nothing stored yet.';
            } else {
                $('history-empty').hidden = true;
            }
        }, function (err) {
            $('history-more').disabled = false;
            clear($('history-error'));
            $('history-error').appendChild(LF.errorBlock(err));
        });
    }

    function openStored(id) {
        showGenError(null);
        $('gen-status').textContent = 'Loading stored content…';
        return LF.request('GET', '/api/v1/content/' + encodeURIComponent(id), null, {auth: true}).then(function (r) {
            $('gen-status').textContent = '';
            showResult(r.data);
        }, function (err) {
            $('gen-status').textContent = '';
            showGenError(err);
        });
    }

    /* ---------- wiring ---------- */

    function init() {
        showKeyState();
        $('key-form').addEventListener('submit', function (e) {
            e.preventDefault();
            LF.setKey($('api-key').value.trim());
            onKeyChanged();
        });
        $('key-forget').addEventListener('click', function () {
            LF.setKey('');
            onKeyChanged();
        });
        $('content-type').addEventListener('change', describeType);
        $('batch-mode').addEventListener('change', function () {
            var b = $('batch-mode').checked;
            $('single-type-field').hidden = b;
            $('batch-types-field').hidden = !b;
            $('generate-btn').textContent = b ? 'Generate batch' : 'Generate';
        });
        $('add-objective').addEventListener('click', function () {
            addObjective();
        });
        $('gen-form').addEventListener('submit', onGenerate);
        $('history-refresh').addEventListener('click', resetHistory);
        $('history-type').addEventListener('change', resetHistory);
        $('history-more').addEventListener('click', loadHistory);
        loadContentTypes();
        loadProviders();
        resetHistory();
    }

    window.addEventListener('error', function (e) {
        showGenError({status: 0, code: 'CLIENT_ERROR', message: 'unexpected error in the page: ' + e.message});
    });
    init();
})();

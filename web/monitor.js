/*
 * web/monitor.js — operations dashboard: health, resources, providers, educational metrics, alerts and
 * request metrics; refreshes every 30 s and on demand; every panel degrades on its own when its endpoint fails.
 * SPDX-License-Identifier: MIT
 */
(function () {
    'use strict';
    var LF = window.LF;
    var C = window.LFCharts;
    var el = LF.el;
    var $ = function (id) {
        return document.getElementById(id);
    };
    var REFRESH_MS = 30000;
    var HISTORY = 40;
    var history = {cpu: [], mem: []};
    var timer = null;
    var busy = false;

    function clear(node) {
        while (node.firstChild) {
            node.removeChild(node.firstChild);
        }
    }

    function fill(id, content) {
        var n = $(id);
        clear(n);
        if (content) {
            n.appendChild(content);
        }
    }

    function setError(id, err) {
        var n = $('err-' + id);
        clear(n);
        if (err) {
            n.appendChild(LF.errorBlock(err));
        }
    }

    function kpi(label, value, cls) {
        return el('div', {class: 'kpi' + (cls ? ' ' + cls : '')}, el('div', {class: 'kpi-value'}, value), el('div', {class: 'kpi-label'}, label));
    }

    function pct(v) {
        return v === null || v === undefined || !isFinite(Number(v)) ? '—' : (Number(v) * 100).toFixed(1) + '%';
    }

    /* Runs a panel renderer; a bug in one panel shows there and never escapes as an uncaught exception */
    function guard(id, fn) {
        try {
            fn();
        } catch (e) {
            setError(id, {status: 0, code: 'RENDER_ERROR', message: 'could not display this panel: ' + (e && e.message ? e.message : e)});
        }
    }

    /* ---------- panels ---------- */

    function renderHealth(h) {
        var st = h.status || 'unknown';
        var pill = $('overall-status');
        pill.textContent = st;
        pill.className = 'status-pill ' + st;
        $('health-facts').textContent = ['version ' + (h.version || '?'), h.environment ? 'env ' + h.environment : '',
                                         'uptime ' + LF.fmtDuration(h.uptime_seconds),
                                         h.config_generation !== undefined ? 'config generation ' + h.config_generation : ''].filter(Boolean).join(' · ');
        var db = h.database || {};
        var qp = h.quality_pipeline || {};
        var provs = Array.isArray(h.providers) ? h.providers : [];
        var scorers = Array.isArray(h.scorers) ? h.scorers : [];
        var open = provs.filter(function (p) {
            return p.state === 'open';
        }).length;
        fill('health-kpis', el('div', {class: 'kpis'},
            /* the gateway answers up, down or not_configured (API.md §2); connected/healthy kept for older servers */
            kpi('Database', db.status === 'not_configured' ? 'not configured' : (db.status || '—'),
                db.status === 'not_configured' ? '' : 'state-' + (db.status === 'up' || db.status === 'connected' || db.status === 'healthy' ? 'ok' : 'firing')),
            kpi('DB latency', db.latency_ms === null || db.latency_ms === undefined ? '—' : LF.fmtNumber(db.latency_ms, 1) + ' ms'),
            kpi('Pending writes', LF.fmtNumber(db.pending_writes, 0)),
            kpi('Spooled records', LF.fmtNumber(db.spooled_records, 0)),
            kpi('Providers', provs.length + (open ? ' (' + open + ' open)' : '')),
            kpi('Scorers', String(scorers.length)),
            kpi('Quality pipeline', qp.status || '—'),
            kpi('Last assessment', qp.last_assessment_ms === null || qp.last_assessment_ms === undefined ? '—' : LF.fmtNumber(qp.last_assessment_ms, 2) + ' ms')));
    }

    function renderResources(sys) {
        sys = sys || {};
        history.cpu.push(sys.cpu_percent === undefined ? null : sys.cpu_percent);
        history.mem.push(sys.memory_percent === undefined ? null : sys.memory_percent);
        if (history.cpu.length > HISTORY) {
            history.cpu.shift();
            history.mem.shift();
        }
        var la = Array.isArray(sys.load_average) ? sys.load_average : [];
        fill('resources', el('div', null,
            el('div', {class: 'field-row'},
               el('div', {id: 'gauge-cpu'}, C.gauge(sys.cpu_percent, {label: 'CPU', threshold: 80})),
               el('div', {id: 'gauge-mem'}, C.gauge(sys.memory_percent, {label: 'Memory', threshold: 80}))),
            el('div', {class: 'kpis'},
               kpi('Memory RSS', LF.fmtBytes(sys.memory_rss_bytes)),
               kpi('Disk free', LF.fmtBytes(sys.disk_free_bytes)),
               kpi('Load 1/5/15 min', la.length ? la.map(function (x) {
                   return LF.fmtNumber(x, 2);
               }).join(' / ') : '—')),
            la.length ? C.hbars([{label: 'load 1 min', value: la[0]}, {label: 'load 5 min', value: la[1]}, {label: 'load 15 min', value: la[2]}],
                                {label: 'load average', labelWidth: 90, valueWidth: 50, max: Math.max(1, la[0] || 0, la[1] || 0, la[2] || 0)}) : null,
            el('p', {class: 'small muted'}, 'CPU % over the last ' + history.cpu.length + ' refreshes'),
            C.sparkline(history.cpu, {label: 'CPU history', max: 100, color: '#2f5bd3'}),
            el('p', {class: 'small muted'}, 'Memory % over the last ' + history.mem.length + ' refreshes'),
            C.sparkline(history.mem, {label: 'memory history', max: 100, color: '#8a4b08'})));
    }

    function stateBadge(state) {
        return el('span', {class: 'badge state-' + (state || 'unknown')}, (state || 'unknown').replace('_', '-'));
    }

    function renderProviders(healthProv, apiProv, keyErr) {
        var byName = {};
        (healthProv || []).forEach(function (p) {
            byName[p.name] = {name: p.name, health: p};
        });
        (apiProv || []).forEach(function (p) {
            byName[p.name] = byName[p.name] || {name: p.name};
            byName[p.name].api = p;
        });
        var names = Object.keys(byName);
        $('providers-source').textContent = apiProv ? 'Budgets and stats from /api/v1/providers; circuit state and error rate from /api/v1/health/detailed.'
            : 'Without an API key (set it on the Generate page) only /api/v1/health/detailed is used; spend and budget need a key.' +
              (keyErr ? ' Provider list: ' + keyErr.message : '');
        if (!names.length) {
            fill('providers', el('p', {class: 'muted'}, 'No providers reported.'));
            return;
        }
        var rows = names.map(function (n) {
            var h = byName[n].health || {};
            var a = byName[n].api || {};
            var st = a.stats || {};
            /* budget: an array of periods (the gateway) or a single {period, limit_usd, spent_usd} object */
            var budgets = Array.isArray(a.budget) ? a.budget : a.budget ? [a.budget] : [];
            var circuit = a.circuit || {};
            var state = h.state || a.state;
            var enabled = h.enabled !== undefined ? h.enabled : a.enabled;
            var lat = h.latency_ewma_ms !== undefined ? h.latency_ewma_ms : st.latency_ewma_ms;
            var errRate = h.error_rate_1m !== undefined ? h.error_rate_1m : circuit.error_rate_1m;
            var lastErr = h.last_error || circuit.last_error || a.disabled_reason || '';
            var spend = null;
            if (budgets.length) {
                var limited = budgets.filter(function (b) {
                    return b && b.limit_usd !== null && b.limit_usd !== undefined && Number(b.limit_usd) > 0;
                });
                spend = limited.length ? C.hbars(limited.map(function (b) {
                    var frac = (b.spent_usd || 0) / b.limit_usd;
                    return {label: b.period || 'budget', value: b.spent_usd || 0, max: b.limit_usd,
                            color: frac >= 0.9 ? '#d64545' : frac >= 0.7 ? '#d69e2e' : '#1f9d55',
                            text: LF.fmtUsd(b.spent_usd) + ' / ' + LF.fmtUsd(b.limit_usd)};
                }), {label: 'spend vs budget for ' + n, width: 300, labelWidth: 50, valueWidth: 110})
                    : el('span', {class: 'small'}, LF.fmtUsd(budgets.reduce(function (m, b) {
                        return Math.max(m, (b && b.spent_usd) || 0);
                    }, 0)) + ' spent, no limit');
            }
            return el('tr', {'data-provider': n},
                      el('td', null, el('strong', null, n), h.plugin || a.plugin ? el('div', {class: 'small muted'}, (h.plugin || a.plugin) + ' ' + (h.version || a.plugin_version || '')) : null),
                      el('td', null, stateBadge(state)),
                      el('td', null, enabled === undefined ? '—' : enabled ? 'yes' : 'no'),
                      el('td', null, lat === null || lat === undefined ? '—' : LF.fmtNumber(lat, 1) + ' ms'),
                      el('td', null, errRate === undefined ? '—' : pct(errRate)),
                      el('td', null, st.requests === undefined ? '—' : LF.fmtNumber(st.requests, 0) + ' / ' + LF.fmtNumber(st.failures, 0)),
                      el('td', null, st.cost_usd === undefined ? '—' : LF.fmtUsd(st.cost_usd)),
                      el('td', {class: 'spend'}, spend || el('span', {class: 'muted small'}, apiProv ? '—' : 'needs key')),
                      el('td', {class: 'small'}, lastErr));
        });
        var latData = names.map(function (n) {
            var h = byName[n].health || {};
            var a = (byName[n].api || {}).stats || {};
            var v = h.latency_ewma_ms !== undefined ? h.latency_ewma_ms : a.latency_ewma_ms;
            return {label: n, value: v || 0, text: v === null || v === undefined ? '—' : LF.fmtNumber(v, 1) + ' ms'};
        });
        var errData = names.map(function (n) {
            var h = byName[n].health || {};
            var v = h.error_rate_1m;
            return {label: n, value: (v || 0) * 100, max: 100, color: (v || 0) >= 0.1 ? '#d64545' : '#1f9d55', text: pct(v)};
        });
        fill('providers', el('div', null,
            el('table', {class: 'data'},
               el('thead', null, el('tr', null, ['Provider', 'Circuit', 'Enabled', 'Latency (EWMA)', 'Error rate 1 min', 'Requests / failures', 'Cost', 'Spend vs budget', 'Last error'].map(function (t) {
                   return el('th', null, t);
               }))),
               el('tbody', null, rows)),
            el('div', {class: 'field-row'},
               el('div', null, el('p', {class: 'small muted'}, 'Latency (EWMA, ms)'), C.hbars(latData, {label: 'provider latency', labelWidth: 100})),
               el('div', null, el('p', {class: 'small muted'}, 'Error rate, last minute'), C.hbars(errData, {label: 'provider error rate', labelWidth: 100, marker: 10})))));
    }

    function renderEdu(e) {
        var qd = e.quality_distribution || {};
        var tp = e.threshold_pass_rates || {};
        var th = e.quality_thresholds || {};
        var hourly = Array.isArray(e.hourly_last_24h) ? e.hourly_last_24h : [];
        var types = Array.isArray(e.by_content_type) ? e.by_content_type : [];
        fill('edu', el('div', null,
            el('div', {class: 'kpis'},
               kpi('Total content', LF.fmtNumber(e.total_content, 0)),
               kpi('Last 24 h', LF.fmtNumber(e.content_last_24h, 0)),
               kpi('Pass rate overall' + (th.overall !== undefined ? ' (≥' + th.overall + ')' : ''), pct(tp.overall)),
               kpi('Pass rate educational' + (th.educational !== undefined ? ' (≥' + th.educational + ')' : ''), pct(tp.educational)),
               kpi('Pass rate factual' + (th.factual !== undefined ? ' (≥' + th.factual + ')' : ''), pct(tp.factual))),
            el('div', {class: 'field-row'},
               el('div', {id: 'chart-quality'}, el('h3', {class: 'small'}, 'Quality distribution'),
                  C.stacked([{label: 'excellent ≥0.9', value: qd.excellent || 0, color: '#1f9d55'},
                             {label: 'good ≥0.8', value: qd.good || 0, color: '#6cbf84'},
                             {label: 'acceptable ≥0.7', value: qd.acceptable || 0, color: '#d69e2e'},
                             {label: 'below threshold', value: qd.below_threshold || 0, color: '#d64545'}], {label: 'quality distribution'})),
               el('div', {id: 'chart-hourly'}, el('h3', {class: 'small'}, 'Generations per hour (last 24 h)'),
                  hourly.length ? C.bars(hourly.map(function (x) {
                      var d = new Date(x.hour);
                      var label = isNaN(d.getTime()) ? String(x.hour) : String(d.getHours()).padStart(2, '0') + 'h';
                      return {label: label, value: x.count || 0,
                              title: label + ': ' + (x.count || 0) + ' generations' + (x.avg_quality !== null && x.avg_quality !== undefined ? ', avg quality ' + Number(x.avg_quality).toFixed(2) : '')};
                  }), {label: 'generations per hour', labelEvery: 3}) : el('p', {class: 'muted small'}, 'No data in the last 24 hours.'))),
            el('div', {id: 'chart-types'}, el('h3', {class: 'small'}, 'Per content type'),
               types.length ? el('div', {class: 'field-row'},
                   C.hbars(types.map(function (t) {
                       return {label: t.content_type, value: t.count || 0, text: LF.fmtNumber(t.count, 0)};
                   }), {label: 'content per type', labelWidth: 170}),
                   C.hbars(types.map(function (t) {
                       var q = t.avg_quality;
                       return {label: t.content_type, value: q || 0, max: 1, text: q === null || q === undefined ? '—' : Number(q).toFixed(2),
                               color: q >= (th.overall || 0.7) ? '#1f9d55' : '#d64545'};
                   }), {label: 'average quality per type', labelWidth: 170, marker: th.overall || 0.7}))
                   : el('p', {class: 'muted small'}, 'No content stored yet.'))));
    }

    function renderAlerts(a) {
        var list = Array.isArray(a.alerts) ? a.alerts : [];
        var firing = list.filter(function (x) {
            return x.state === 'firing';
        });
        fill('alerts', el('div', null,
            el('p', {class: 'small'}, firing.length ? el('strong', null, firing.length + ' firing') : 'No alert firing', ' · ' + list.length + ' rules'),
            list.length ? el('table', {class: 'data'},
                el('thead', null, el('tr', null, ['Alert', 'Severity', 'State', 'Value', 'Threshold', 'Window', 'Since'].map(function (t) {
                    return el('th', null, t);
                }))),
                el('tbody', null, list.slice().sort(function (x, y) {
                    return (y.state === 'firing') - (x.state === 'firing') || (x.severity === 'critical' ? -1 : 1) - (y.severity === 'critical' ? -1 : 1);
                }).map(function (x) {
                    return el('tr', {class: 'alert-row ' + (x.state || '') + ' ' + (x.severity || '')},
                              el('td', null, LF.humanize(x.name || '?')),
                              el('td', null, x.severity || '—'),
                              el('td', null, el('span', {class: 'badge state-' + (x.state || '')}, x.state || '—')),
                              el('td', null, LF.fmtNumber(x.value, 2)),
                              el('td', null, LF.fmtNumber(x.threshold, 2)),
                              el('td', null, x.window_seconds ? LF.fmtDuration(x.window_seconds) : '—'),
                              el('td', {class: 'small'}, LF.fmtTime(x.since)));
                }))) : el('p', {class: 'muted'}, 'No alert rules reported.')));
    }

    function renderRequests(m) {
        var r = m.requests || {};
        var g = m.generations || {};
        var cost = m.cost || {};
        var cache = m.cache || {};
        var byStatus = r.by_status || {};
        var lat = m.latency_ms || {};
        var groups = Object.keys(lat);
        var statusKeys = Object.keys(byStatus).sort();
        var byType = g.by_type || {};
        var byProv = g.by_provider || {};
        fill('requests', el('div', null,
            el('div', {class: 'kpis'},
               kpi('Requests', LF.fmtNumber(r.total, 0)),
               kpi('Per second (1 min)', LF.fmtNumber(r.per_second_1m, 2)),
               kpi('Generations', LF.fmtNumber(g.total, 0)),
               kpi('Success rate', pct(g.success_rate), g.success_rate !== null && g.success_rate !== undefined && g.success_rate < 0.9 ? 'state-firing' : ''),
               kpi('Failed generations', LF.fmtNumber(g.failed, 0)),
               kpi('Cost total', LF.fmtUsd(cost.total_usd)),
               kpi('Cost 24 h', LF.fmtUsd(cost.last_24h_usd)),
               kpi('Cache hit ratio', pct(cache.hit_ratio))),
            el('div', {class: 'field-row'},
               el('div', {id: 'chart-status'}, el('h3', {class: 'small'}, 'Responses by status'),
                  statusKeys.length ? C.bars(statusKeys.map(function (k) {
                      return {label: k, value: byStatus[k], color: /^2/.test(k) ? '#1f9d55' : /^4/.test(k) ? '#d69e2e' : /^5/.test(k) ? '#d64545' : '#2f5bd3'};
                  }), {label: 'responses by status', showValues: true}) : el('p', {class: 'muted small'}, 'No requests yet.')),
               el('div', {id: 'chart-latency'}, el('h3', {class: 'small'}, 'Latency per route group (p50 / p95 / p99, ms)'),
                  groups.length ? el('table', {class: 'data'},
                      el('thead', null, el('tr', null, ['Route group', 'p50', 'p95', 'p99'].map(function (t) {
                          return el('th', null, t);
                      }))),
                      el('tbody', null, groups.map(function (k) {
                          var l = lat[k] || {};
                          return el('tr', null, el('td', null, k), el('td', null, LF.fmtNumber(l.p50, 1)),
                                    el('td', {class: l.p95 > 1000 ? 'state-firing' : ''}, LF.fmtNumber(l.p95, 1)), el('td', null, LF.fmtNumber(l.p99, 1)));
                      }))) : el('p', {class: 'muted small'}, 'No latency data yet.'),
                  groups.length ? C.hbars(groups.map(function (k) {
                      var v = (lat[k] || {}).p95;
                      return {label: k + ' p95', value: v || 0, text: LF.fmtNumber(v, 1) + ' ms', color: v > 1000 ? '#d64545' : '#2f5bd3'};
                  }), {label: 'p95 latency per route group', labelWidth: 130}) : null)),
            historyCharts(m.history),
            el('div', {class: 'field-row'},
               el('div', null, el('h3', {class: 'small'}, 'Generations by type'),
                  Object.keys(byType).length ? C.hbars(Object.keys(byType).map(function (k) {
                      return {label: k, value: byType[k]};
                  }), {label: 'generations by type', labelWidth: 170}) : el('p', {class: 'muted small'}, 'None yet.')),
               el('div', null, el('h3', {class: 'small'}, 'Generations by provider'),
                  Object.keys(byProv).length ? C.hbars(Object.keys(byProv).map(function (k) {
                      return {label: k, value: byProv[k]};
                  }), {label: 'generations by provider', labelWidth: 110}) : el('p', {class: 'muted small'}, 'None yet.')))));
    }

    /* Per-minute (last hour) and per-hour (last 24 h) series of /api/v1/metrics history, oldest first */
    function historyCharts(h) {
        if (!h || !Array.isArray(h.requests_per_minute)) {
            return null;
        }
        var end = h.minute_end ? new Date(h.minute_end) : new Date();
        var label = function (arr, i, stepMin) {
            var t = new Date(end.getTime() - (arr.length - i) * stepMin * 60000);
            return String(t.getHours()).padStart(2, '0') + ':' + String(t.getMinutes()).padStart(2, '0');
        };
        var series = function (arr, stepMin, color, unit) {
            return (arr || []).map(function (v, i) {
                return {label: label(arr, i, stepMin), value: v || 0, color: color, title: label(arr, i, stepMin) + ': ' + v + (unit || '')};
            });
        };
        return el('div', {class: 'field-row', id: 'chart-history'},
                  el('div', null, el('h3', {class: 'small'}, 'Requests per minute (last hour)'),
                     C.bars(series(h.requests_per_minute, 1, '#2f5bd3'), {label: 'requests per minute', labelEvery: 10})),
                  Array.isArray(h.generations_per_minute) ? el('div', null, el('h3', {class: 'small'}, 'Generations per minute (last hour)'),
                     C.bars(series(h.generations_per_minute, 1, '#1f9d55'), {label: 'generations per minute', labelEvery: 10})) : null,
                  Array.isArray(h.cost_usd_per_hour) ? el('div', null, el('h3', {class: 'small'}, 'Cost per hour, USD (last 24 h)'),
                     C.bars(series(h.cost_usd_per_hour, 60, '#8a4b08', ' USD'), {label: 'cost per hour', labelEvery: 4})) : null);
    }

    /* ---------- refresh ---------- */

    function settle(p) {
        return p.then(function (r) {
            return {ok: true, data: r.data};
        }, function (e) {
            return {ok: false, error: e};
        });
    }

    function refresh() {
        if (busy) {
            return Promise.resolve();
        }
        busy = true;
        $('refresh-now').disabled = true;
        var hasKey = !!LF.getKey();
        $('key-note').textContent = hasKey ? 'API key set (providers with budgets)' : 'no API key: public figures only';
        var jobs = [
            settle(LF.request('GET', '/api/v1/health/detailed', null, {auth: false})),
            settle(LF.request('GET', '/api/v1/metrics', null, {auth: false})),
            settle(LF.request('GET', '/api/v1/metrics/educational', null, {auth: false})),
            settle(LF.request('GET', '/api/v1/alerts', null, {auth: false})),
            hasKey ? settle(LF.request('GET', '/api/v1/providers', null, {auth: true})) : Promise.resolve(null)
        ];
        return Promise.all(jobs).then(function (res) {
            var h = res[0];
            var m = res[1];
            var e = res[2];
            var a = res[3];
            var p = res[4];
            setError('health', h.ok ? null : h.error);
            setError('resources', h.ok ? null : h.error);
            if (h.ok) {
                guard('health', function () {
                    renderHealth(h.data || {});
                });
                guard('resources', function () {
                    renderResources((h.data || {}).system);
                });
            } else {
                $('overall-status').textContent = h.error.status === 0 ? 'unreachable' : 'unhealthy';
                $('overall-status').className = 'status-pill unhealthy';
            }
            setError('providers', h.ok || (p && p.ok) ? null : h.error);
            guard('providers', function () {
                var hp = h.ok && h.data && Array.isArray(h.data.providers) ? h.data.providers : null;
                var ap = p && p.ok && p.data && Array.isArray(p.data.providers) ? p.data.providers : null;
                if (hp || ap) {
                    renderProviders(hp, ap, p && !p.ok ? p.error : null);
                }
            });
            setError('requests', m.ok ? null : m.error);
            if (m.ok) {
                guard('requests', function () {
                    renderRequests(m.data || {});
                });
            }
            setError('edu', e.ok ? null : e.error);
            if (e.ok) {
                guard('edu', function () {
                    renderEdu(e.data || {});
                });
            }
            setError('alerts', a.ok ? null : a.error);
            if (a.ok) {
                guard('alerts', function () {
                    renderAlerts(a.data || {});
                });
            }
            var t = new Date();
            var lu = $('last-update');
            lu.textContent = t.toLocaleTimeString();
            lu.setAttribute('datetime', t.toISOString());
        }).catch(function (err) {
            setError('health', {status: 0, code: 'CLIENT_ERROR', message: 'refresh failed: ' + (err && err.message ? err.message : err)});
        }).then(function () {
            busy = false;
            $('refresh-now').disabled = false;
        });
    }

    function schedule() {
        if (timer) {
            clearInterval(timer);
            timer = null;
        }
        if ($('auto-refresh').checked) {
            timer = setInterval(refresh, REFRESH_MS);
        }
    }

    $('refresh-now').addEventListener('click', refresh);
    $('auto-refresh').addEventListener('change', schedule);
    document.addEventListener('visibilitychange', function () {
        if (!document.hidden && $('auto-refresh').checked) {
            refresh();
        }
    });
    window.LFMonitor = {refresh: refresh};
    refresh();
    schedule();
})();

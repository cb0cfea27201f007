/*
 * web/api.js — shared helpers for the La Factoria pages: API key kept in localStorage, fetch with the
 * bearer key, decoding of the API error shape {error:{code,message,details,request_id}}, DOM builder.
 * SPDX-License-Identifier: MIT
 */
(function (global) {
    'use strict';

    var KEY_STORAGE = 'lafactoria.apiKey';

    function getKey() {
        try {
            return global.localStorage.getItem(KEY_STORAGE) || '';
        } catch (e) {
            return '';
        }
    }

    function setKey(key) {
        try {
            if (key) {
                global.localStorage.setItem(KEY_STORAGE, key);
            } else {
                global.localStorage.removeItem(KEY_STORAGE);
            }
        } catch (e) {
            /* storage disabled: the key lives for this page only */
        }
    }

    function ApiError(status, code, message, details, requestId, retryAfter) {
        this.name = 'ApiError';
        this.status = status;
        this.code = code;
        this.message = message;
        this.details = details || null;
        this.requestId = requestId || null;
        this.retryAfter = retryAfter || null;
    }
    ApiError.prototype = Object.create(Error.prototype);
    ApiError.prototype.constructor = ApiError;

    /* request(method, path, body?, {auth: true|false|'if-set'}) -> Promise<{status, data, headers}> */
    function request(method, path, body, opts) {
        opts = opts || {};
        var headers = {Accept: 'application/json'};
        var key = getKey();
        var auth = opts.auth === undefined ? 'if-set' : opts.auth;
        if (auth && key) {
            headers.Authorization = 'Bearer ' + key;
        }
        var init = {method: method, headers: headers, cache: 'no-store'};
        if (body !== undefined && body !== null) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        return global.fetch(path, init).then(function (res) {
            if (res.status === 204) {
                return {status: 204, data: null, headers: res.headers};
            }
            return res.text().then(function (text) {
                var data = null;
                var parsed = true;
                if (text) {
                    try {
                        data = JSON.parse(text);
                    } catch (e) {
                        parsed = false;
                    }
                }
                if (!res.ok) {
                    var err = data && data.error ? data.error : null;
                    throw new ApiError(res.status, err && err.code ? err.code : 'HTTP_' + res.status,
                                       err && err.message ? err.message : 'the server answered ' + res.status +
                                       (res.statusText ? ' ' + res.statusText : ''),
                                       err ? err.details : null,
                                       (err && err.request_id) || res.headers.get('X-Request-Id'),
                                       res.headers.get('Retry-After'));
                }
                if (!parsed) {
                    throw new ApiError(res.status, 'BAD_RESPONSE', 'the server answer is not valid JSON', null,
                                       res.headers.get('X-Request-Id'), null);
                }
                return {status: res.status, data: data, headers: res.headers};
            });
        }, function (e) {
            throw new ApiError(0, 'NETWORK_ERROR', 'the server could not be reached (' + (e && e.message ? e.message : e) + ')',
                               null, null, null);
        });
    }

    /* A hint for the user, by status/code; empty when none applies */
    function hintFor(err) {
        if (!err) {
            return '';
        }
        switch (err.status) {
        case 0:
            return 'Check that the gateway is running and reachable from this browser.';
        case 401:
            return 'The API key is missing or invalid. Enter a valid key in the "API key" box (it is kept in this browser only).';
        case 403:
            return 'This key does not have the role needed (the admin key is required).';
        case 429:
            var wait = err.retryAfter || (err.details && err.details.retry_after);
            return 'Rate limit reached' + (err.details && err.details.limit ? ' (' + err.details.limit + ' per ' +
                   (err.details.window_seconds || '?') + ' s)' : '') + '. ' +
                   (wait ? 'Try again in ' + wait + ' s.' : 'Try again later.');
        case 402:
            return 'The budget is exhausted for every eligible provider, or max cost is too low.';
        case 422:
            return 'No attempt met the quality thresholds; retry, or use the "best effort" quality gate.';
        case 502:
            return 'Every provider attempt failed; see the attempts below.';
        case 503:
            return 'No provider is available (all circuits open or the pinned provider is disabled). Try "auto".';
        case 504:
            return 'The request deadline passed before a provider answered. Try again.';
        default:
            return '';
        }
    }

    /* el('div', {class: 'x', onclick: fn}, child, 'text', [children]) — text is always set as text */
    function el(tag, attrs) {
        var node = document.createElement(tag);
        if (attrs) {
            Object.keys(attrs).forEach(function (k) {
                var v = attrs[k];
                if (v === undefined || v === null || v === false) {
                    return;
                }
                if (k.slice(0, 2) === 'on' && typeof v === 'function') {
                    node.addEventListener(k.slice(2), v);
                } else if (k === 'class') {
                    node.className = v;
                } else if (k === 'style') {
                    node.style.cssText = v; /* CSSOM, allowed under a CSP without 'unsafe-inline' */
                } else if (k === 'text') {
                    node.textContent = v;
                } else {
                    node.setAttribute(k, v === true ? '' : String(v));
                }
            });
        }
        for (var i = 2; i < arguments.length; i++) {
            append(node, arguments[i]);
        }
        return node;
    }

    function append(node, child) {
        if (child === undefined || child === null || child === false) {
            return;
        }
        if (Array.isArray(child)) {
            child.forEach(function (c) {
                append(node, c);
            });
        } else if (typeof child === 'object' && child.nodeType) {
            node.appendChild(child);
        } else {
            node.appendChild(document.createTextNode(String(child)));
        }
    }

    /* Renders an ApiError (or any error) into a DOM block */
    function errorBlock(err) {
        var hint = hintFor(err);
        var details = err && err.details && typeof err.details === 'object' ? err.details : null;
        var items = [];
        if (details) {
            Object.keys(details).forEach(function (k) {
                var v = details[k];
                if (k === 'attempts' && Array.isArray(v)) {
                    items.push(el('li', null, el('strong', null, 'attempts: '),
                                  v.map(function (a) {
                                      return (a.provider || '?') + ' → ' + (a.outcome || '?') +
                                             (a.latency_ms !== undefined ? ' (' + a.latency_ms + ' ms)' : '');
                                  }).join('; ')));
                } else {
                    items.push(el('li', null, el('strong', null, k + ': '),
                                  typeof v === 'object' ? JSON.stringify(v) : String(v)));
                }
            });
        }
        return el('div', {class: 'error-box', role: 'alert'},
                  el('div', {class: 'error-title'},
                     err && err.status ? 'Error ' + err.status + ' ' : 'Error ',
                     err && err.code ? el('code', null, err.code) : null),
                  el('p', {class: 'error-message'}, err && err.message ? err.message : String(err)),
                  hint ? el('p', {class: 'error-hint'}, hint) : null,
                  items.length ? el('ul', {class: 'error-details'}, items) : null,
                  err && err.requestId ? el('p', {class: 'error-rid'}, 'Request id: ', el('code', null, err.requestId)) : null);
    }

    function fmtNumber(v, digits) {
        if (v === null || v === undefined || v === '' || isNaN(Number(v))) {
            return '—';
        }
        return Number(v).toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 2 : digits});
    }

    function fmtBytes(v) {
        if (v === null || v === undefined || isNaN(Number(v))) {
            return '—';
        }
        var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
        var n = Number(v);
        var i = 0;
        while (n >= 1024 && i < units.length - 1) {
            n /= 1024;
            i++;
        }
        return n.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
    }

    function fmtUsd(v) {
        if (v === null || v === undefined || isNaN(Number(v))) {
            return '—';
        }
        var n = Number(v);
        return '$' + (n !== 0 && Math.abs(n) < 0.01 ? n.toFixed(6) : n.toFixed(2));
    }

    function fmtDuration(seconds) {
        if (seconds === null || seconds === undefined || isNaN(Number(seconds))) {
            return '—';
        }
        var s = Math.floor(Number(seconds));
        var d = Math.floor(s / 86400);
        var h = Math.floor((s % 86400) / 3600);
        var m = Math.floor((s % 3600) / 60);
        return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
    }

    function fmtTime(ts) {
        if (!ts) {
            return '—';
        }
        var d = new Date(ts);
        return isNaN(d.getTime()) ? String(ts) : d.toLocaleString();
    }

    function humanize(key) {
        var s = String(key).replace(/_/g, ' ');
        return s.charAt(0).toUpperCase() + s.slice(1);
    }

    global.LF = {
        getKey: getKey, setKey: setKey, request: request, ApiError: ApiError, hintFor: hintFor, el: el,
        errorBlock: errorBlock, fmtNumber: fmtNumber, fmtBytes: fmtBytes, fmtUsd: fmtUsd,
        fmtDuration: fmtDuration, fmtTime: fmtTime, humanize: humanize
    };
})(window);

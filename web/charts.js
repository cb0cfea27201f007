/*
 * web/charts.js — small inline-SVG charts (bar, horizontal bar, gauge, sparkline, stacked bar) without libraries
 * SPDX-License-Identifier: MIT
 */
(function (global) {
    'use strict';
    var NS = 'http://www.w3.org/2000/svg';

    function s(tag, attrs, children) {
        var n = document.createElementNS(NS, tag);
        Object.keys(attrs || {}).forEach(function (k) {
            if (attrs[k] !== undefined && attrs[k] !== null) {
                n.setAttribute(k, String(attrs[k]));
            }
        });
        (children || []).forEach(function (c) {
            if (c) {
                n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
            }
        });
        return n;
    }

    function svg(w, h, label, children) {
        return s('svg', {viewBox: '0 0 ' + w + ' ' + h, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet'},
                 [s('title', {}, [label])].concat(children));
    }

    function num(v) {
        var n = Number(v);
        return isFinite(n) ? n : 0;
    }

    /* Vertical bars: data [{label, value, color?, title?}] */
    function bars(data, opts) {
        opts = opts || {};
        var w = opts.width || 480;
        var h = opts.height || 160;
        var padL = 30;
        var padB = opts.labelEvery === 0 ? 6 : 22;
        var max = Math.max.apply(null, [opts.max || 0].concat(data.map(function (d) {
            return num(d.value);
        })));
        if (max <= 0) {
            max = 1;
        }
        var bw = (w - padL - 4) / Math.max(1, data.length);
        var kids = [
            s('line', {x1: padL, y1: h - padB, x2: w, y2: h - padB, stroke: '#c0c6d2'}),
            s('text', {x: padL - 4, y: 10, 'text-anchor': 'end'}, [fmt(max)]),
            s('text', {x: padL - 4, y: h - padB, 'text-anchor': 'end'}, ['0'])
        ];
        var every = opts.labelEvery || 1;
        data.forEach(function (d, i) {
            var v = num(d.value);
            var bh = (h - padB - 12) * (v / max);
            var x = padL + i * bw + bw * 0.12;
            kids.push(s('rect', {x: x.toFixed(1), y: (h - padB - bh).toFixed(1), width: (bw * 0.76).toFixed(1), height: Math.max(0, bh).toFixed(1),
                                 fill: d.color || opts.color || '#2f5bd3', rx: 2, class: 'bar'},
                        [s('title', {}, [d.title || (d.label + ': ' + fmt(v))])]));
            if (opts.labelEvery !== 0 && i % every === 0) {
                kids.push(s('text', {x: (x + bw * 0.38).toFixed(1), y: h - padB + 13, 'text-anchor': 'middle'}, [String(d.label)]));
            }
            if (opts.showValues && bh >= 0) {
                kids.push(s('text', {x: (x + bw * 0.38).toFixed(1), y: (h - padB - bh - 3).toFixed(1), 'text-anchor': 'middle'}, [fmt(v)]));
            }
        });
        return svg(w, h, opts.label || 'bar chart', kids);
    }

    /* Horizontal bars with a label column: data [{label, value, max?, color?, text?}] */
    function hbars(data, opts) {
        opts = opts || {};
        var w = opts.width || 480;
        var row = 22;
        var h = Math.max(row, data.length * row) + 4;
        var labelW = opts.labelWidth || 150;
        var valW = opts.valueWidth || 80;
        var max = opts.max || Math.max.apply(null, [1].concat(data.map(function (d) {
            return num(d.value);
        })));
        var kids = [];
        data.forEach(function (d, i) {
            var y = i * row + 2;
            var m = d.max || max;
            var frac = m > 0 ? Math.max(0, Math.min(1, num(d.value) / m)) : 0;
            var bw = (w - labelW - valW - 8) * frac;
            kids.push(s('text', {x: labelW - 6, y: y + 14, 'text-anchor': 'end'}, [String(d.label)]));
            kids.push(s('rect', {x: labelW, y: y + 3, width: w - labelW - valW - 8, height: 14, fill: '#eceff4', rx: 3}));
            kids.push(s('rect', {x: labelW, y: y + 3, width: bw.toFixed(1), height: 14, fill: d.color || opts.color || '#2f5bd3', rx: 3, class: 'bar'},
                        [s('title', {}, [d.label + ': ' + (d.text || fmt(d.value))])]));
            if (opts.marker !== undefined && m > 0) {
                var mx = labelW + (w - labelW - valW - 8) * Math.min(1, opts.marker / m);
                kids.push(s('line', {x1: mx, x2: mx, y1: y + 1, y2: y + 19, stroke: '#344054', 'stroke-width': 1.5}));
            }
            kids.push(s('text', {x: w - valW, y: y + 14}, [d.text || fmt(d.value)]));
        });
        return svg(w, h, opts.label || 'horizontal bar chart', kids);
    }

    /* Semicircle gauge for a percentage 0..100 with warning threshold */
    function gauge(value, opts) {
        opts = opts || {};
        var v = value === null || value === undefined || !isFinite(Number(value)) ? null : Math.max(0, Math.min(100, Number(value)));
        var w = 160;
        var h = 100;
        var cx = 80;
        var cy = 85;
        var r = 62;
        var arc = function (frac) {
            var a = Math.PI * (1 - frac);
            return [cx + r * Math.cos(a), cy - r * Math.sin(a)];
        };
        var start = arc(0);
        var endAll = arc(1);
        var kids = [s('path', {d: 'M' + start[0] + ' ' + start[1] + ' A' + r + ' ' + r + ' 0 0 1 ' + endAll[0] + ' ' + endAll[1],
                               fill: 'none', stroke: '#eceff4', 'stroke-width': 14})];
        if (v !== null && v > 0) {
            var e = arc(v / 100);
            var color = v >= (opts.threshold || 80) ? '#d64545' : v >= (opts.threshold || 80) * 0.75 ? '#d69e2e' : '#1f9d55';
            kids.push(s('path', {d: 'M' + start[0] + ' ' + start[1] + ' A' + r + ' ' + r + ' 0 0 1 ' + e[0].toFixed(2) + ' ' + e[1].toFixed(2),
                                 fill: 'none', stroke: color, 'stroke-width': 14, class: 'gauge-value'}));
        }
        if (opts.threshold) {
            var t1 = arc(opts.threshold / 100);
            var a = Math.PI * (1 - opts.threshold / 100);
            kids.push(s('line', {x1: t1[0] - 10 * Math.cos(a), y1: t1[1] + 10 * Math.sin(a), x2: t1[0] + 10 * Math.cos(a), y2: t1[1] - 10 * Math.sin(a),
                                 stroke: '#344054', 'stroke-width': 2}));
        }
        kids.push(s('text', {x: cx, y: cy - 8, 'text-anchor': 'middle', 'font-size': 20, 'font-weight': 700, fill: '#1d2330'},
                    [v === null ? '—' : v.toFixed(1) + '%']));
        kids.push(s('text', {x: cx, y: cy + 12, 'text-anchor': 'middle'}, [opts.label || '']));
        return svg(w, h + 12, (opts.label || 'gauge') + ': ' + (v === null ? 'unknown' : v.toFixed(1) + '%'), kids);
    }

    /* Sparkline of a series of numbers (null gaps skipped) */
    function sparkline(values, opts) {
        opts = opts || {};
        var w = opts.width || 240;
        var h = opts.height || 40;
        var vals = values.map(function (v) {
            return v === null || v === undefined || !isFinite(Number(v)) ? null : Number(v);
        });
        var present = vals.filter(function (v) {
            return v !== null;
        });
        var max = opts.max !== undefined ? opts.max : Math.max.apply(null, [1].concat(present));
        var min = opts.min !== undefined ? opts.min : 0;
        var n = Math.max(2, vals.length);
        var pts = [];
        vals.forEach(function (v, i) {
            if (v !== null) {
                pts.push((i * (w - 4) / (n - 1) + 2).toFixed(1) + ',' + (h - 3 - (h - 6) * ((v - min) / ((max - min) || 1))).toFixed(1));
            }
        });
        var kids = [s('rect', {x: 0, y: 0, width: w, height: h, fill: '#f7f8fa', rx: 4})];
        if (pts.length > 1) {
            kids.push(s('polyline', {points: pts.join(' '), fill: 'none', stroke: opts.color || '#2f5bd3', 'stroke-width': 1.8}));
        } else if (pts.length === 1) {
            var xy = pts[0].split(',');
            kids.push(s('circle', {cx: xy[0], cy: xy[1], r: 2.5, fill: opts.color || '#2f5bd3'}));
        }
        return svg(w, h, opts.label || 'sparkline', kids);
    }

    /* One stacked bar: parts [{label, value, color}] with a legend */
    function stacked(parts, opts) {
        opts = opts || {};
        var w = opts.width || 480;
        var total = parts.reduce(function (a, p) {
            return a + num(p.value);
        }, 0);
        var x = 0;
        var kids = [s('rect', {x: 0, y: 0, width: w, height: 22, fill: '#eceff4', rx: 4})];
        parts.forEach(function (p, i) {
            var pw = total > 0 ? w * num(p.value) / total : 0;
            if (pw > 0) {
                kids.push(s('rect', {x: x.toFixed(1), y: 0, width: pw.toFixed(1), height: 22, fill: p.color, class: 'bar'},
                            [s('title', {}, [p.label + ': ' + fmt(p.value)])]));
            }
            x += pw;
            var lx = (i % 2) * (w / 2);
            var ly = 40 + Math.floor(i / 2) * 16;
            kids.push(s('rect', {x: lx, y: ly - 9, width: 10, height: 10, fill: p.color}));
            kids.push(s('text', {x: lx + 14, y: ly}, [p.label + ' ' + fmt(p.value) + (total > 0 ? ' (' + Math.round(100 * num(p.value) / total) + '%)' : '')]));
        });
        return svg(w, 44 + Math.floor((parts.length - 1) / 2) * 16, opts.label || 'distribution', kids);
    }

    function fmt(v) {
        var n = Number(v);
        if (!isFinite(n)) {
            return '—';
        }
        if (Math.abs(n) >= 1000) {
            return n.toLocaleString('en-US', {maximumFractionDigits: 0});
        }
        return String(Math.round(n * 100) / 100);
    }

    global.LFCharts = {bars: bars, hbars: hbars, gauge: gauge, sparkline: sparkline, stacked: stacked};
})(window);

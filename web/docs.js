/*
 * web/docs.js — renders the OpenAPI 3.1 document from /openapi.json as a readable reference grouped by tag:
 * methods, paths, security, parameters, request bodies, responses, schemas and examples. No external code.
 * SPDX-License-Identifier: MIT
 */
(function () {
    'use strict';
    var LF = window.LF;
    var el = LF.el;
    var METHODS = ['get', 'post', 'put', 'patch', 'delete'];
    var doc = null;

    /* Description text with `code` spans rendered as <code> (the only markup the document uses) */
    function rich(text) {
        return String(text || '').split('`').map(function (part, i) {
            return i % 2 ? el('code', null, part) : part;
        });
    }

    function refName(ref) {
        return String(ref).split('/').pop();
    }

    function resolve(obj) {
        var seen = 0;
        while (obj && obj.$ref && seen++ < 10) {
            var parts = obj.$ref.replace(/^#\//, '').split('/');
            var cur = doc;
            parts.forEach(function (p) {
                cur = cur ? cur[p] : undefined;
            });
            obj = cur;
        }
        return obj || {};
    }

    function typeLabel(s) {
        if (!s) {
            return 'any';
        }
        if (s.$ref) {
            return el('a', {href: '#schema-' + refName(s.$ref)}, refName(s.$ref));
        }
        if (s.anyOf || s.oneOf) {
            var alts = s.anyOf || s.oneOf;
            var out = [];
            alts.forEach(function (a, i) {
                if (i) {
                    out.push(' | ');
                }
                out.push(typeLabel(a));
            });
            return el('span', null, out);
        }
        var t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type || (s.properties ? 'object' : 'any'));
        if (t === 'array') {
            return el('span', null, 'array of ', typeLabel(s.items));
        }
        if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
            return el('span', null, 'map of ', typeLabel(s.additionalProperties));
        }
        return t + (s.format ? ' (' + s.format + ')' : '');
    }

    function constraints(s) {
        var c = [];
        if (s.enum) {
            c.push('one of: ' + s.enum.join(', '));
        }
        [['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', 'min'], ['maximum', 'max'], ['minItems', 'min items'],
         ['maxItems', 'max items'], ['pattern', 'pattern'], ['default', 'default']].forEach(function (p) {
            if (s[p[0]] !== undefined) {
                c.push(p[1] + ' ' + JSON.stringify(s[p[0]]));
            }
        });
        if (s.uniqueItems) {
            c.push('distinct');
        }
        return c.join('; ');
    }

    /* Table of an object schema's properties, nested objects expanded up to a depth */
    function schemaView(schema, depth) {
        depth = depth || 0;
        var s = schema && schema.$ref && depth > 0 ? null : resolve(schema);
        if (!s) {
            return el('p', null, 'See ', typeLabel(schema), '.');
        }
        var wrap = el('div', {class: depth ? 'schema-nest' : 'schema'});
        if (schema && schema.$ref && depth === 0) {
            wrap.appendChild(el('p', {class: 'small'}, 'Schema ', typeLabel(schema)));
        }
        if (s.description && depth === 0) {
            wrap.appendChild(el('p', {class: 'small'}, rich(s.description)));
        }
        if (s.anyOf || s.oneOf) {
            wrap.appendChild(el('p', {class: 'small'}, 'Any of: ', typeLabel(s)));
            return wrap;
        }
        var obj = s.type === 'array' ? resolve(s.items) : s;
        if (s.type === 'array') {
            wrap.appendChild(el('p', {class: 'small'}, 'Array of ', typeLabel(s.items), '.'));
        }
        var props = obj.properties || {};
        var req = obj.required || [];
        var keys = Object.keys(props);
        if (!keys.length) {
            if (s.type !== 'array') {
                wrap.appendChild(el('p', {class: 'small'}, 'Type: ', typeLabel(s), constraints(s) ? ' — ' + constraints(s) : ''));
            }
            return wrap;
        }
        wrap.appendChild(el('table', {class: 'data schema-table'},
            el('thead', null, el('tr', null, el('th', null, 'Field'), el('th', null, 'Type'), el('th', null, 'Description'))),
            el('tbody', null, keys.map(function (k) {
                var p = props[k];
                var inner = p.type === 'array' && p.items && !p.items.$ref ? p.items : p;
                var nested = !p.$ref && inner && inner.properties && depth < 3 ? schemaView(inner, depth + 1) : null;
                return el('tr', null,
                          el('td', null, k, req.indexOf(k) >= 0 ? el('span', {class: 'req', title: 'required'}, ' *') : null),
                          el('td', null, typeLabel(p)),
                          el('td', null, rich(p.description), constraints(p) ? el('div', {class: 'small muted'}, constraints(p)) : null, nested));
            }))));
        return wrap;
    }

    function example(media) {
        var ex = media.example;
        if (ex === undefined && media.examples) {
            var first = media.examples[Object.keys(media.examples)[0]];
            ex = resolve(first).value;
        }
        if (ex === undefined) {
            return null;
        }
        return el('details', {class: 'example'}, el('summary', null, 'Example'),
                  el('pre', null, typeof ex === 'string' ? ex : JSON.stringify(ex, null, 2)));
    }

    function contentView(content) {
        return Object.keys(content || {}).map(function (mt) {
            var media = content[mt];
            return el('div', null, el('p', {class: 'small'}, el('code', null, mt)),
                      media.schema ? schemaView(media.schema, 0) : null, example(media));
        });
    }

    function securityOf(op) {
        var sec = op.security !== undefined ? op.security : doc.security || [];
        if (!sec.length) {
            return 'public';
        }
        var anon = sec.some(function (r) {
            return !Object.keys(r).length;
        });
        return anon ? 'public (a key may be required by config)' : 'bearer key';
    }

    function opView(path, method, op, pathItem) {
        var params = (pathItem.parameters || []).concat(op.parameters || []).map(resolve);
        var id = 'op-' + (op.operationId || method + path.replace(/[^a-z0-9]+/gi, '-'));
        var sec = securityOf(op);
        var body = op.requestBody ? resolve(op.requestBody) : null;
        return el('details', {class: 'op', id: id, 'data-path': path, 'data-method': method},
            el('summary', null, el('span', {class: 'method ' + method}, method), el('span', {class: 'op-path'}, path),
               el('span', null, op.summary || ''), el('span', {class: 'lock muted'}, sec === 'bearer key' ? '🔒 bearer key' : sec)),
            el('div', {class: 'op-body'},
               op.description ? el('p', null, rich(op.description)) : null,
               params.length ? el('div', null, el('h4', null, 'Parameters'),
                   el('table', {class: 'data schema-table'},
                      el('thead', null, el('tr', null, ['Name', 'In', 'Type', 'Description'].map(function (t) {
                          return el('th', null, t);
                      }))),
                      el('tbody', null, params.map(function (p) {
                          return el('tr', null, el('td', null, p.name, p.required ? el('span', {class: 'req'}, ' *') : null), el('td', null, p.in),
                                    el('td', null, typeLabel(p.schema)),
                                    el('td', null, rich(p.description), p.schema && constraints(p.schema) ? el('div', {class: 'small muted'}, constraints(p.schema)) : null));
                      })))) : null,
               body ? el('div', null, el('h4', null, 'Request body' + (body.required ? ' (required)' : '')), contentView(body.content)) : null,
               el('h4', null, 'Responses'),
               Object.keys(op.responses || {}).map(function (code) {
                   var r = resolve(op.responses[code]);
                   var hdrs = Object.keys(r.headers || {});
                   return el('details', {class: 'response', open: /^2/.test(code) ? true : null},
                       el('summary', null, el('span', {class: 'status-code s' + code.charAt(0)}, code), ' ', rich(r.description)),
                       hdrs.length ? el('p', {class: 'small'}, 'Headers: ', hdrs.map(function (h, i) {
                           var hd = resolve(r.headers[h]);
                           return el('span', {title: hd.description || ''}, (i ? ', ' : ''), el('code', null, h));
                       })) : null,
                       contentView(r.content));
               })));
    }

    function render() {
        var main = document.getElementById('docs-main');
        var toc = document.getElementById('toc');
        main.textContent = '';
        toc.textContent = '';
        var info = doc.info || {};
        var tags = (doc.tags || []).map(function (t) {
            return t.name;
        });
        var byTag = {};
        Object.keys(doc.paths || {}).forEach(function (path) {
            var item = doc.paths[path];
            METHODS.forEach(function (m) {
                if (!item[m]) {
                    return;
                }
                var tag = (item[m].tags || ['Other'])[0];
                if (tags.indexOf(tag) < 0) {
                    tags.push(tag);
                }
                (byTag[tag] = byTag[tag] || []).push([path, m, item[m], item]);
            });
        });
        var schemes = (doc.components && doc.components.securitySchemes) || {};
        main.appendChild(el('h2', null, (info.title || 'API') + ' ', el('span', {class: 'badge'}, 'v' + (info.version || '?')),
                            ' ', el('span', {class: 'badge'}, 'OpenAPI ' + doc.openapi)));
        if (info.summary) {
            main.appendChild(el('p', null, el('strong', null, info.summary)));
        }
        if (info.description) {
            main.appendChild(el('p', null, rich(info.description)));
        }
        Object.keys(schemes).forEach(function (k) {
            main.appendChild(el('p', {class: 'small'}, 'Authentication: ', el('code', null, k), ' — ', rich(schemes[k].description || schemes[k].scheme || '')));
        });
        tags.forEach(function (tag) {
            var ops = byTag[tag];
            if (!ops) {
                return;
            }
            var tdef = (doc.tags || []).filter(function (t) {
                return t.name === tag;
            })[0] || {};
            var anchor = 'tag-' + tag.replace(/[^a-z0-9]+/gi, '-');
            toc.appendChild(el('div', null, el('a', {href: '#' + anchor}, el('strong', null, tag)),
                               el('ul', null, ops.map(function (o) {
                                   return el('li', null, el('a', {href: '#op-' + (o[2].operationId || '')}, el('code', null, o[1].toUpperCase()), ' ', o[0]));
                               }))));
            main.appendChild(el('section', {class: 'tag-section', id: anchor, 'data-tag': tag},
                                el('h2', null, tag), tdef.description ? el('p', {class: 'muted'}, rich(tdef.description)) : null,
                                ops.map(function (o) {
                                    return opView(o[0], o[1], o[2], o[3]);
                                })));
        });
        var schemas = (doc.components && doc.components.schemas) || {};
        toc.appendChild(el('div', null, el('a', {href: '#schemas'}, el('strong', null, 'Schemas'))));
        main.appendChild(el('section', {id: 'schemas'}, el('h2', null, 'Schemas'),
                            Object.keys(schemas).map(function (name) {
                                return el('details', {class: 'op', id: 'schema-' + name},
                                          el('summary', null, el('span', {class: 'op-path'}, name)),
                                          el('div', {class: 'op-body'}, schemaView(schemas[name], 0)));
                            })));
        openHash();
    }

    function openHash() {
        var id = decodeURIComponent(location.hash.slice(1));
        var n = id ? document.getElementById(id) : null;
        if (n && n.tagName === 'DETAILS') {
            n.open = true;
            n.scrollIntoView();
        }
    }

    function filter(q) {
        q = q.trim().toLowerCase();
        Array.prototype.forEach.call(document.querySelectorAll('.tag-section'), function (sec) {
            var any = false;
            Array.prototype.forEach.call(sec.querySelectorAll('details.op'), function (d) {
                var hit = !q || d.textContent.toLowerCase().indexOf(q) >= 0;
                d.hidden = !hit;
                any = any || hit;
            });
            sec.hidden = !any;
        });
    }

    window.addEventListener('hashchange', openHash);
    document.getElementById('docs-filter').addEventListener('input', function (e) {
        filter(e.target.value);
    });
    LF.request('GET', '/openapi.json', null, {auth: false}).then(function (r) {
        doc = r.data;
        render();
    }, function (err) {
        var main = document.getElementById('docs-main');
        main.textContent = '';
        main.appendChild(LF.errorBlock(err));
    });
})();

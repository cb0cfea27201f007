/*
 * web/render.js — renders a generation response per content type (DOM) and converts it to Markdown;
 * unknown content types fall back to a generic structured renderer.
 * SPDX-License-Identifier: MIT
 */
(function (global) {
    'use strict';
    var el = global.LF.el;
    var humanize = global.LF.humanize;

    function isObj(v) {
        return v !== null && typeof v === 'object' && !Array.isArray(v);
    }

    function str(v) {
        return v === undefined || v === null ? '' : String(v);
    }

    /* Text blocks: paragraphs split on blank lines, single newlines kept (CSS pre-line) */
    function prose(text, cls) {
        var t = str(text).trim();
        if (!t) {
            return null;
        }
        return el('div', {class: 'prose' + (cls ? ' ' + cls : '')},
                  t.split(/\n\s*\n/).map(function (p) {
                      return el('p', null, p);
                  }));
    }

    function section(title, body, cls) {
        if (!body || (Array.isArray(body) && !body.length)) {
            return null;
        }
        return el('section', {class: 'content-section' + (cls ? ' ' + cls : '')}, el('h4', null, title), body);
    }

    function list(items, ordered, cls) {
        if (!Array.isArray(items) || !items.length) {
            return null;
        }
        return el(ordered ? 'ol' : 'ul', cls ? {class: cls} : null, items.map(function (it) {
            return el('li', null, isObj(it) || Array.isArray(it) ? generic(it, 1) : str(it));
        }));
    }

    function badge(text, cls) {
        return text ? el('span', {class: 'badge' + (cls ? ' ' + cls : '')}, text) : null;
    }

    /* ---------- per type ---------- */

    function flashcards(c) {
        var items = Array.isArray(c.items) ? c.items : (Array.isArray(c.cards) ? c.cards : []);
        return el('div', {class: 'flashcards'},
                  el('p', {class: 'muted small'}, items.length + ' cards — click a card to flip it'),
                  el('div', {class: 'card-grid'}, items.map(function (it, i) {
                      var card = el('button', {type: 'button', class: 'flashcard', 'aria-pressed': 'false',
                                               'aria-label': 'Flashcard ' + (i + 1) + ': ' + str(it.term)},
                                    el('span', {class: 'flashcard-inner'},
                                       el('span', {class: 'flashcard-face flashcard-front'},
                                          el('span', {class: 'flashcard-term'}, str(it.term)),
                                          el('span', {class: 'flashcard-tags'}, badge(it.category), badge(it.difficulty, 'diff-' + str(it.difficulty)))),
                                       el('span', {class: 'flashcard-face flashcard-back'},
                                          el('span', {class: 'flashcard-definition'}, str(it.definition)))));
                      card.addEventListener('click', function () {
                          var on = !card.classList.contains('flipped');
                          card.classList.toggle('flipped', on);
                          card.setAttribute('aria-pressed', on ? 'true' : 'false');
                      });
                      return card;
                  })));
    }

    var SPEAKER_LINE = /^\s*\**\[?([A-Z][A-Za-z0-9 .'\-]{0,30})\]?\**\s*:\s+(.+)$/;

    function splitScript(text) {
        var segs = [];
        str(text).split(/\n+/).forEach(function (line) {
            var m = SPEAKER_LINE.exec(line);
            if (m) {
                segs.push({speaker: m[1].trim(), text: m[2]});
            } else if (line.trim()) {
                if (segs.length && !segs[segs.length - 1].narration) {
                    segs[segs.length - 1].text += '\n' + line.trim();
                } else {
                    segs.push({speaker: '', text: line.trim(), narration: true});
                }
            }
        });
        return segs;
    }

    function podcastScript(c) {
        var segs = Array.isArray(c.segments) && c.segments.length ? c.segments : splitScript(c.main_content);
        var speakers = [];
        segs.forEach(function (s) {
            if (s.speaker && speakers.indexOf(s.speaker) < 0) {
                speakers.push(s.speaker);
            }
        });
        return el('div', {class: 'podcast'},
                  el('p', {class: 'muted small'},
                     c.estimated_duration_minutes ? 'About ' + c.estimated_duration_minutes + ' minutes' : null,
                     speakers.length ? (c.estimated_duration_minutes ? ' · ' : '') + 'Speakers: ' + speakers.join(', ') : null),
                  section('Introduction', prose(c.introduction)),
                  el('div', {class: 'script'}, segs.map(function (s) {
                      var idx = speakers.indexOf(s.speaker);
                      return el('div', {class: 'script-segment' + (idx >= 0 ? ' speaker-' + (idx % 4) : ' narration')},
                                s.speaker ? el('div', {class: 'speaker'}, s.speaker) : null,
                                el('div', {class: 'script-text'},
                                   s.cue ? el('div', {class: 'cue'}, '[' + s.cue + ']') : null,
                                   prose(s.text)));
                  })),
                  section('Conclusion', prose(c.conclusion)),
                  section('Speaker notes', list(c.speaker_notes)));
    }

    function outline(c) {
        var sections = Array.isArray(c.sections) ? c.sections : [];
        return el('div', {class: 'outline'},
                  el('p', {class: 'muted small'},
                     [c.target_audience ? 'Audience: ' + c.target_audience : '',
                      c.difficulty_level ? 'Level: ' + c.difficulty_level : '',
                      c.estimated_total_duration_minutes ? 'Total: ' + c.estimated_total_duration_minutes + ' min' : '']
                         .filter(Boolean).join(' · ')),
                  section('Overview', prose(c.overview)),
                  section('Learning objectives', list(c.learning_objectives)),
                  el('ul', {class: 'tree', role: 'tree'}, sections.map(function (s) {
                      var kp = Array.isArray(s.key_points) ? s.key_points : [];
                      return el('li', {role: 'treeitem'},
                                el('details', {open: true},
                                   el('summary', null,
                                      el('span', {class: 'tree-num'}, str(s.section_number || '')),
                                      ' ', str(s.title),
                                      s.estimated_duration_minutes ? el('span', {class: 'muted small'}, ' · ' + s.estimated_duration_minutes + ' min') : null),
                                   prose(s.description),
                                   kp.length ? el('ul', {class: 'tree', role: 'group'}, kp.map(function (k) {
                                       return el('li', {role: 'treeitem', class: 'leaf'}, str(k));
                                   })) : null));
                  })));
    }

    function studyGuide(c) {
        var concepts = Array.isArray(c.key_concepts) ? c.key_concepts : [];
        var qs = Array.isArray(c.assessment_questions) ? c.assessment_questions : [];
        return el('div', {class: 'study-guide'},
                  section('Overview', prose(c.overview)),
                  section('Learning objectives', list(c.learning_objectives)),
                  section('Key concepts', concepts.length ? el('dl', {class: 'concepts'}, concepts.map(function (k) {
                      return [el('dt', null, isObj(k) ? str(k.term) : str(k)), el('dd', null, isObj(k) ? str(k.explanation) : '')];
                  })) : null),
                  section('Content', prose(c.detailed_content)),
                  section('Practice exercises', list(c.practice_exercises, true)),
                  section('Assessment questions', qs.length ? el('ol', {class: 'qa'}, qs.map(function (q) {
                      return el('li', null, el('details', null, el('summary', null, str(q.question)), prose(q.answer)));
                  })) : null),
                  section('Summary', prose(c.summary)),
                  section('Recommended reading', list(c.recommended_reading)));
    }

    function onePager(c) {
        return el('div', {class: 'one-pager'},
                  section('Executive summary', prose(c.executive_summary), 'callout'),
                  section('Key takeaways', list(c.key_takeaways, false, 'takeaways')),
                  section('Details', prose(c.main_content)));
    }

    function readingMaterial(c) {
        var secs = Array.isArray(c.sections) ? c.sections : [];
        return el('article', {class: 'reading'},
                  section('Introduction', prose(c.introduction)),
                  secs.map(function (s, i) {
                      return section((i + 1) + '. ' + str(s.title), prose(s.content));
                  }),
                  section('Conclusion', prose(c.conclusion)),
                  section('References', list(c.references, true)));
    }

    function faq(c) {
        var items = Array.isArray(c.items) ? c.items : (Array.isArray(c.faqs) ? c.faqs : []);
        return el('div', {class: 'faq'}, items.map(function (it) {
            return el('details', {class: 'faq-item'},
                      el('summary', null, str(it.question), it.category ? ' ' : null, badge(it.category)),
                      prose(it.answer));
        }));
    }

    function readingQuestions(c) {
        var qs = Array.isArray(c.questions) ? c.questions : [];
        return el('ol', {class: 'questions'}, qs.map(function (q) {
            var text = isObj(q) ? q.question : q;
            return el('li', null, el('span', {class: 'question'}, str(text)), ' ',
                      isObj(q) ? badge(q.type, 'qtype') : null,
                      isObj(q) && q.hint ? el('details', {class: 'hint'}, el('summary', null, 'Hint'), str(q.hint)) : null);
        }));
    }

    /* Generic: objects → definition lists, arrays → lists, strings → prose */
    function generic(v, depth) {
        depth = depth || 0;
        if (Array.isArray(v)) {
            return el('ol', {class: 'generic-list'}, v.map(function (x) {
                return el('li', null, generic(x, depth + 1));
            }));
        }
        if (isObj(v)) {
            return el('dl', {class: 'generic'}, Object.keys(v).filter(function (k) {
                return !(depth === 0 && k === 'title');
            }).map(function (k) {
                return [el('dt', null, humanize(k)), el('dd', null, generic(v[k], depth + 1))];
            }));
        }
        if (typeof v === 'string') {
            return v.indexOf('\n') >= 0 || v.length > 120 ? prose(v) : el('span', null, v);
        }
        return el('span', null, v === null ? '—' : String(v));
    }

    var RENDERERS = {
        flashcards: flashcards,
        podcast_script: podcastScript,
        master_content_outline: outline,
        study_guide: studyGuide,
        one_pager_summary: onePager,
        detailed_reading_material: readingMaterial,
        faq_collection: faq,
        reading_guide_questions: readingQuestions
    };

    function renderContent(type, content) {
        if (!isObj(content)) {
            return generic(content, 1);
        }
        var fn = RENDERERS[type];
        var body;
        try {
            body = fn ? fn(content) : generic(content, 0);
        } catch (e) {
            body = generic(content, 0);
        }
        return el('div', {class: 'content content-' + str(type).replace(/[^a-z0-9_]/gi, '')},
                  content.title ? el('h3', {class: 'content-title'}, str(content.title)) : null, body);
    }

    /* ---------- Markdown ---------- */

    function mdList(items, ordered) {
        if (!Array.isArray(items) || !items.length) {
            return '';
        }
        return items.map(function (it, i) {
            var t = isObj(it) || Array.isArray(it) ? mdGeneric(it, 1).trim().replace(/\n/g, '\n   ') : str(it);
            return (ordered ? (i + 1) + '. ' : '- ') + t;
        }).join('\n') + '\n\n';
    }

    function mdSec(title, body, level) {
        if (!body || !String(body).trim()) {
            return '';
        }
        return new Array((level || 2) + 1).join('#') + ' ' + title + '\n\n' + String(body).trim() + '\n\n';
    }

    function mdGeneric(v, depth) {
        depth = depth || 0;
        if (Array.isArray(v)) {
            return mdList(v, true);
        }
        if (isObj(v)) {
            return Object.keys(v).filter(function (k) {
                return !(depth === 0 && k === 'title');
            }).map(function (k) {
                var x = v[k];
                if (isObj(x) || Array.isArray(x)) {
                    return mdSec(humanize(k), mdGeneric(x, depth + 1), Math.min(2 + depth, 6));
                }
                return depth === 0 ? mdSec(humanize(k), str(x), 2) : '**' + humanize(k) + ':** ' + str(x) + '\n\n';
            }).join('');
        }
        return str(v) + '\n\n';
    }

    var MD = {
        flashcards: function (c) {
            return (c.items || []).map(function (it) {
                return '**' + str(it.term) + '**' + (it.category || it.difficulty ? ' _(' + [it.category, it.difficulty].filter(Boolean).join(', ') + ')_' : '') +
                       '\n: ' + str(it.definition) + '\n\n';
            }).join('');
        },
        podcast_script: function (c) {
            var segs = Array.isArray(c.segments) && c.segments.length ? c.segments : null;
            return (c.estimated_duration_minutes ? '_About ' + c.estimated_duration_minutes + ' minutes_\n\n' : '') +
                   mdSec('Introduction', c.introduction) +
                   mdSec('Script', segs ? segs.map(function (s) {
                       return (s.cue ? '_[' + s.cue + ']_\n' : '') + '**' + str(s.speaker) + ':** ' + str(s.text);
                   }).join('\n\n') : str(c.main_content)) +
                   mdSec('Conclusion', c.conclusion) + mdSec('Speaker notes', mdList(c.speaker_notes));
        },
        master_content_outline: function (c) {
            return mdSec('Overview', c.overview) + mdSec('Learning objectives', mdList(c.learning_objectives)) +
                   mdSec('Outline', (c.sections || []).map(function (s) {
                       return (s.section_number || '') + '. **' + str(s.title) + '**' +
                              (s.estimated_duration_minutes ? ' (' + s.estimated_duration_minutes + ' min)' : '') +
                              (s.description ? ' — ' + str(s.description) : '') +
                              (s.key_points || []).map(function (k) {
                                  return '\n   - ' + str(k);
                              }).join('');
                   }).join('\n'));
        },
        study_guide: function (c) {
            return mdSec('Overview', c.overview) + mdSec('Learning objectives', mdList(c.learning_objectives)) +
                   mdSec('Key concepts', (c.key_concepts || []).map(function (k) {
                       return '- **' + str(k.term) + '**: ' + str(k.explanation);
                   }).join('\n')) +
                   mdSec('Content', c.detailed_content) + mdSec('Practice exercises', mdList(c.practice_exercises, true)) +
                   mdSec('Assessment questions', (c.assessment_questions || []).map(function (q, i) {
                       return (i + 1) + '. ' + str(q.question) + '\n   - _Answer:_ ' + str(q.answer);
                   }).join('\n')) +
                   mdSec('Summary', c.summary) + mdSec('Recommended reading', mdList(c.recommended_reading));
        },
        one_pager_summary: function (c) {
            return mdSec('Executive summary', c.executive_summary) + mdSec('Key takeaways', mdList(c.key_takeaways)) +
                   mdSec('Details', c.main_content);
        },
        detailed_reading_material: function (c) {
            return mdSec('Introduction', c.introduction) + (c.sections || []).map(function (s) {
                return mdSec(str(s.title), s.content);
            }).join('') + mdSec('Conclusion', c.conclusion) + mdSec('References', mdList(c.references, true));
        },
        faq_collection: function (c) {
            return (c.items || []).map(function (it) {
                return '### ' + str(it.question) + '\n\n' + str(it.answer) + '\n\n';
            }).join('');
        },
        reading_guide_questions: function (c) {
            return (c.questions || []).map(function (q, i) {
                return (i + 1) + '. ' + str(q.question) + (q.type ? ' _(' + q.type + ')_' : '') +
                       (q.hint ? '\n   - _Hint:_ ' + str(q.hint) : '');
            }).join('\n') + '\n';
        }
    };

    function toMarkdown(resp) {
        var c = resp && resp.generated_content;
        var type = resp && resp.content_type;
        var body;
        try {
            body = isObj(c) ? (MD[type] ? MD[type](c) : mdGeneric(c, 0)) : mdGeneric(c, 1);
        } catch (e) {
            body = mdGeneric(c, 0);
        }
        var q = (resp && resp.quality_metrics) || {};
        var m = (resp && resp.metadata) || {};
        var meta = [
            '- Content type: ' + str(type),
            resp && resp.topic ? '- Topic: ' + resp.topic : '',
            resp && resp.age_group ? '- Age group: ' + resp.age_group : '',
            q.overall_quality_score !== undefined ? '- Overall quality: ' + q.overall_quality_score : '',
            m.ai_provider ? '- Provider: ' + m.ai_provider + (m.ai_model ? ' (' + m.ai_model + ')' : '') : '',
            m.cost_usd !== undefined ? '- Cost (USD): ' + m.cost_usd : '',
            resp && resp.created_at ? '- Created: ' + resp.created_at : '',
            resp && resp.id ? '- Id: ' + resp.id : ''
        ].filter(Boolean).join('\n');
        return '# ' + str((isObj(c) && c.title) || (resp && resp.topic) || 'Content') + '\n\n' + body.trim() + '\n\n---\n\n' + meta + '\n';
    }

    global.LFRender = {renderContent: renderContent, toMarkdown: toMarkdown, generic: generic};
})(window);

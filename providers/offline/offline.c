/*
 * providers/offline/offline.c - deterministic structured content without network access (provider plugin)
 * SPDX-License-Identifier: MIT
 *
 * The content is built from per-age-group text banks (offline_text.c) around the request's topic,
 * learning objectives and additional requirements. It is template text, not knowledge: its purpose is a
 * gateway that works end to end with no API key, in demos, tests and benchmarks.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lafactoria/plugin.h>

#include "offline_text.h"

#define MODEL_ID "offline-1"
#define MAX_REQ_BYTES 300

struct offline {
    const struct lf_host_api *host;
    char name[64];
    uint32_t latency_ms;
};

static const struct lf_config_field config_map[] = {
    {"latency_ms", LF_CONFIG_INTEGER, 0, "0", "simulated latency before each result is delivered", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static const struct lf_model_info models_list[] = {{MODEL_ID, 0, 0}};

/* ---- request context ---- */

struct ctx {
    const struct lf_host_api *h;
    const struct offline_style *st;
    const char *topic;
    const char *req;      /* additional requirements or NULL */
    json_t *objectives;   /* array of the user's objectives, or NULL */
    const char *type_id;  /* the content type id */
};

/* ---- text helpers ---- */

/* A growable string in host memory (host->realloc / host->free). */
struct buf {
    const struct lf_host_api *h;
    char *p;
    size_t len, cap;
    int oom;
};

#define BUF(c) {(c)->h, NULL, 0, 0, 0}

static void buf_free(struct buf *b)
{
    if (b->p != NULL) {
        b->h->free(b->p);
    }
    b->p = NULL;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (b->len + n + 1 > cap) {
            cap *= 2;
        }
        char *np = b->h->realloc(b->p, cap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Append tpl with every "{T}" replaced by topic. */
static void buf_tpl(struct buf *b, const char *tpl, const char *topic)
{
    const char *p = tpl, *hit;
    while ((hit = strstr(p, "{T}")) != NULL) {
        buf_add(b, p, (size_t)(hit - p));
        buf_str(b, topic);
        p = hit + 3;
    }
    buf_str(b, p);
}

/* A JSON string of tpl with the topic substituted (NULL on OOM; json_object_set_new then fails). */
static json_t *tj(const struct ctx *c, const char *tpl, const char *topic)
{
    struct buf b = BUF(c);
    json_t *j;
    buf_tpl(&b, tpl, topic);
    j = b.oom || b.p == NULL ? NULL : json_string(b.p);
    buf_free(&b);
    return j;
}

/* A JSON string of two templates joined by a space. */
static json_t *tj2(const struct ctx *c, const char *a, const char *b2, const char *topic)
{
    struct buf b = BUF(c);
    json_t *j;
    buf_tpl(&b, a, topic);
    buf_str(&b, " ");
    buf_tpl(&b, b2, topic);
    j = b.oom || b.p == NULL ? NULL : json_string(b.p);
    buf_free(&b);
    return j;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        return n;
    }
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}


static json_t *requirement_sentence(const struct ctx *c)
{
    struct buf b = BUF(c);
    json_t *j;
    if (c->req == NULL || c->req[0] == '\0') {
        return NULL;
    }
    buf_str(&b, "As requested, this material takes into account: \"");
    buf_add(&b, c->req, utf8_prefix(c->req, MAX_REQ_BYTES));
    buf_str(&b, "\".");
    j = b.oom || b.p == NULL ? NULL : json_string(b.p);
    buf_free(&b);
    return j;
}

/* "Learning goals: skill; skill." from the user's objectives, appended to b (nothing without them). */
static void goals_sentence(struct buf *b, const struct ctx *c)
{
    size_t i, n = 0;
    json_t *o;
    json_array_foreach(c->objectives, i, o)
    {
        const char *skill = json_string_value(json_object_get(o, "specific_skill"));
        if (skill == NULL) {
            continue;
        }
        buf_str(b, n++ ? "; " : "Learning goals: ");
        buf_str(b, skill);
    }
    if (n > 0) {
        buf_str(b, ".");
    }
}

/* Overview: intro plus, when given, the learning goals and the requirement sentence. */
static json_t *overview(const struct ctx *c)
{
    struct buf b = BUF(c);
    json_t *req = requirement_sentence(c), *out;
    buf_tpl(&b, c->st->intro, c->topic);
    if (json_array_size(c->objectives) > 0) {
        buf_str(&b, " ");
        goals_sentence(&b, c);
    }
    if (req != NULL) {
        buf_str(&b, " ");
        buf_str(&b, json_string_value(req));
        json_decref(req);
    }
    out = b.oom || b.p == NULL ? NULL : json_string(b.p);
    buf_free(&b);
    return out;
}

/* The user's objectives as sentences, then the group's generic ones, at most max entries. */
static json_t *objectives(const struct ctx *c, size_t max)
{
    json_t *arr = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(c->objectives, i, o)
    {
        const char *skill = json_string_value(json_object_get(o, "specific_skill"));
        const char *outcome = json_string_value(json_object_get(o, "measurable_outcome"));
        struct buf b = BUF(c);
        if (json_array_size(arr) >= max || skill == NULL) {
            continue;
        }
        buf_str(&b, skill);
        if (outcome != NULL) {
            buf_str(&b, " (measurable outcome: ");
            buf_str(&b, outcome);
            buf_str(&b, ")");
        }
        if (!b.oom && b.p != NULL) {
            json_array_append_new(arr, json_string(b.p));
        }
        buf_free(&b);
    }
    for (i = 0; i < 3 && json_array_size(arr) < max; i++) {
        json_array_append_new(arr, tj(c, c->st->objectives[i], c->topic));
    }
    return arr;
}

static json_t *title(const char *kind, const struct ctx *c)
{
    struct buf b = BUF(c);
    json_t *j;
    buf_str(&b, kind);
    buf_str(&b, ": ");
    buf_add(&b, c->topic, utf8_prefix(c->topic, 180));
    j = b.oom || b.p == NULL ? NULL : json_string(b.p);
    buf_free(&b);
    return j;
}

/* Rough spoken minutes of a text at 150 words per minute (at least 1). */
static int spoken_minutes(const char *s)
{
    size_t words = 0;
    int in = 0;
    for (; *s != '\0'; s++) {
        int sp = *s == ' ' || *s == '\n' || *s == '\t';
        if (!sp && !in) {
            words++;
        }
        in = !sp;
    }
    return (int)(words / 150) + 1;
}

/* ---- the eight types ---- */

static json_t *gen_master(const struct ctx *c)
{
    static const int aspects[] = {0, 1, 2, 3, 4, 8};
    json_t *root = json_object(), *sections = json_array();
    int total = 0;
    json_object_set_new(root, "title", title("Course Outline", c));
    json_object_set_new(root, "overview", overview(c));
    json_object_set_new(root, "learning_objectives", objectives(c, 10));
    for (size_t i = 0; i < sizeof(aspects) / sizeof(aspects[0]); i++) {
        int a = aspects[i];
        json_t *kp = json_array();
        json_array_append_new(kp, tj(c, c->st->answers[a], c->topic));
        json_array_append_new(kp, tj(c, c->st->questions[a], c->topic));
        json_array_append_new(sections,
                              json_pack("{s:I, s:o, s:o, s:i, s:o}", "section_number", (json_int_t)(i + 1), "title",
                                        tj(c, c->st->titles[a], c->topic), "description",
                                        tj2(c, c->st->answers[a], c->st->elaboration, c->topic),
                                        "estimated_duration_minutes", c->st->minutes_per_section, "key_points", kp));
        total += c->st->minutes_per_section;
    }
    json_object_set_new(root, "sections", sections);
    json_object_set_new(root, "estimated_total_duration_minutes", json_integer(total));
    json_object_set_new(root, "target_audience", json_string(c->st->audience));
    json_object_set_new(root, "difficulty_level", json_string(c->st->difficulty));
    return root;
}

static json_t *gen_podcast(const struct ctx *c)
{
    static const int aspects[] = {0, 2, 3, 4, 5};
    json_t *root = json_object(), *segs = json_array(), *notes = json_array();
    struct buf all = BUF(c);
    json_object_set_new(root, "title", title("Podcast", c));
    json_object_set_new(root, "introduction", overview(c));
    for (size_t i = 0; i < sizeof(aspects) / sizeof(aspects[0]); i++) {
        int a = aspects[i];
        json_array_append_new(segs, json_pack("{s:s, s:o}", "speaker", "Host", "text",
                                              tj(c, c->st->questions[a], c->topic)));
        json_array_append_new(segs, json_pack("{s:s, s:o, s:s}", "speaker", "Guest", "text",
                                              tj2(c, c->st->host_line, c->st->answers[a], c->topic), "cue",
                                              i == 0 ? "soft intro music fades out" : "short pause"));
        buf_tpl(&all, c->st->questions[a], c->topic);
        buf_str(&all, " ");
        buf_tpl(&all, c->st->answers[a], c->topic);
        buf_str(&all, " ");
    }
    json_object_set_new(root, "segments", segs);
    json_object_set_new(root, "conclusion", tj(c, c->st->conclusion, c->topic));
    json_array_append_new(notes, json_string("Host: keep a warm, curious tone and pause after each question."));
    json_array_append_new(notes, json_pack("s", c->st->audience));
    json_object_set_new(root, "speaker_notes", notes);
    json_object_set_new(root, "estimated_duration_minutes", json_integer(all.p ? spoken_minutes(all.p) : 1));
    buf_free(&all);
    return root;
}

static json_t *gen_study_guide(const struct ctx *c)
{
    json_t *root = json_object(), *concepts = json_array(), *ex = json_array(), *qa = json_array();
    struct buf detail = BUF(c);
    json_object_set_new(root, "title", title("Study Guide", c));
    json_object_set_new(root, "learning_objectives", objectives(c, 8));
    json_object_set_new(root, "overview", overview(c));
    for (int a = 0; a < OFFLINE_ASPECTS; a++) {
        json_array_append_new(concepts, json_pack("{s:o, s:o}", "term", tj(c, c->st->titles[a], c->topic),
                                                  "explanation", tj(c, c->st->answers[a], c->topic)));
        if (a > 0) {
            buf_str(&detail, "\n\n");
        }
        buf_tpl(&detail, c->st->answers[a], c->topic);
        buf_str(&detail, " ");
        buf_str(&detail, c->st->elaboration);
    }
    json_object_set_new(root, "key_concepts", concepts);
    json_object_set_new(root, "detailed_content", json_string(detail.p ? detail.p : ""));
    buf_free(&detail);
    for (int a = 2; a < 6; a++) {
        json_array_append_new(ex, tj2(c, c->st->exercise_prefix, c->st->questions[a], c->topic));
    }
    json_object_set_new(root, "practice_exercises", ex);
    for (int a = 0; a < 6; a++) {
        json_array_append_new(qa, json_pack("{s:o, s:o}", "question", tj(c, c->st->questions[a], c->topic), "answer",
                                            tj(c, c->st->answers[a], c->topic)));
    }
    json_object_set_new(root, "assessment_questions", qa);
    json_object_set_new(root, "summary", tj(c, c->st->conclusion, c->topic));
    return root;
}

static json_t *gen_one_pager(const struct ctx *c)
{
    static const int aspects[] = {0, 2, 4, 5, 8};
    json_t *root = json_object(), *tk = json_array();
    struct buf main = BUF(c);
    json_object_set_new(root, "title", title("Summary", c));
    json_object_set_new(root, "executive_summary", overview(c));
    for (size_t i = 0; i < sizeof(aspects) / sizeof(aspects[0]); i++) {
        json_array_append_new(tk, tj(c, c->st->answers[aspects[i]], c->topic));
    }
    json_object_set_new(root, "key_takeaways", tk);
    buf_tpl(&main, c->st->answers[2], c->topic);
    buf_str(&main, " ");
    buf_tpl(&main, c->st->answers[3], c->topic);
    buf_str(&main, "\n\n");
    buf_tpl(&main, c->st->answers[6], c->topic);
    buf_str(&main, " ");
    buf_tpl(&main, c->st->conclusion, c->topic);
    json_object_set_new(root, "main_content", json_string(main.p ? main.p : ""));
    buf_free(&main);
    return root;
}

static json_t *gen_reading(const struct ctx *c)
{
    json_t *root = json_object(), *sections = json_array();
    json_object_set_new(root, "title", title("Reading", c));
    json_object_set_new(root, "introduction", overview(c));
    for (int a = 0; a < 8; a += 1) {
        struct buf b = BUF(c);
        buf_tpl(&b, c->st->answers[a], c->topic);
        buf_str(&b, " ");
        buf_str(&b, c->st->elaboration);
        buf_str(&b, "\n\n");
        buf_tpl(&b, c->st->answers[(a + 1) % OFFLINE_ASPECTS], c->topic);
        json_array_append_new(sections, json_pack("{s:o, s:s}", "title", tj(c, c->st->titles[a], c->topic), "content",
                                                  b.p ? b.p : ""));
        buf_free(&b);
    }
    json_object_set_new(root, "sections", sections);
    json_object_set_new(root, "conclusion", tj(c, c->st->conclusion, c->topic));
    return root;
}

static const char *category_of(int a)
{
    return a < 3 ? "basics" : a < 7 ? "understanding" : "going further";
}

static json_t *gen_faq(const struct ctx *c)
{
    json_t *root = json_object(), *items = json_array();
    json_object_set_new(root, "title", title("Frequently Asked Questions", c));
    for (int a = 0; a < OFFLINE_ASPECTS; a++) {
        json_array_append_new(items, json_pack("{s:o, s:o, s:s}", "question", tj(c, c->st->questions[a], c->topic),
                                               "answer", tj(c, c->st->answers[a], c->topic), "category",
                                               category_of(a)));
    }
    if (c->req != NULL && c->req[0] != '\0') {
        json_array_append_new(items, json_pack("{s:s, s:o, s:s}", "question",
                                               "Does this material follow my additional requirements?", "answer",
                                               requirement_sentence(c), "category", "about this material"));
    }
    if (json_array_size(c->objectives) > 0) {
        struct buf b = BUF(c);
        goals_sentence(&b, c);
        if (!b.oom && b.p != NULL) {
            json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "question",
                                                   "Which learning goals does this material support?", "answer",
                                                   b.p, "category", "about this material"));
        }
        buf_free(&b);
    }
    json_object_set_new(root, "items", items);
    return root;
}

static json_t *gen_flashcards(const struct ctx *c)
{
    json_t *root = json_object(), *items = json_array();
    size_t i;
    json_t *o;
    json_object_set_new(root, "title", title("Flashcards", c));
    for (int a = 0; a < OFFLINE_ASPECTS; a++) {
        struct buf term = BUF(c);
        buf_add(&term, c->topic, utf8_prefix(c->topic, 80));
        buf_str(&term, ": ");
        buf_tpl(&term, c->st->titles[a], c->topic);
        json_array_append_new(items, json_pack("{s:s, s:o, s:s, s:s}", "term", term.p ? term.p : c->topic,
                                               "definition", tj(c, c->st->answers[a], c->topic), "category",
                                               category_of(a), "difficulty",
                                               a < 4 ? "easy" : a < 7 ? "medium" : "hard"));
        buf_free(&term);
    }
    json_array_foreach(c->objectives, i, o)
    {
        const char *skill = json_string_value(json_object_get(o, "specific_skill"));
        const char *outcome = json_string_value(json_object_get(o, "measurable_outcome"));
        if (skill != NULL && outcome != NULL && json_array_size(items) < 25) {
            json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "term", skill, "definition", outcome,
                                                   "category", "learning objective", "difficulty", "medium"));
        }
    }
    if (c->req != NULL && c->req[0] != '\0' && json_array_size(items) < 25) {
        json_array_append_new(items, json_pack("{s:s, s:o, s:s, s:s}", "term", "Focus of this deck", "definition",
                                               requirement_sentence(c), "category", "about this deck", "difficulty",
                                               "easy"));
    }
    json_object_set_new(root, "items", items);
    return root;
}

static json_t *gen_questions(const struct ctx *c)
{
    json_t *root = json_object(), *qs = json_array(), *o;
    size_t i;
    json_object_set_new(root, "title", title("Reading Guide Questions", c));
    for (int a = 0; a < OFFLINE_ASPECTS; a++) {
        struct buf hint = BUF(c);
        buf_str(&hint, c->st->hint_prefix);
        buf_str(&hint, " \"");
        buf_tpl(&hint, c->st->titles[a], c->topic);
        buf_str(&hint, "\".");
        json_array_append_new(qs, json_pack("{s:o, s:s, s:s}", "question", tj(c, c->st->questions[a], c->topic), "type",
                                            a < 4 ? "comprehension" : a < 7 ? "analysis" : "discussion", "hint",
                                            hint.p ? hint.p : ""));
        buf_free(&hint);
    }
    json_array_foreach(c->objectives, i, o)
    {
        const char *skill = json_string_value(json_object_get(o, "specific_skill"));
        struct buf b = BUF(c);
        if (skill == NULL || json_array_size(qs) >= 14) {
            continue;
        }
        buf_str(&b, "How would you show that you can do this: \"");
        buf_add(&b, skill, utf8_prefix(skill, 200));
        buf_str(&b, "\"?");
        if (!b.oom && b.p != NULL) {
            json_array_append_new(qs, json_pack("{s:s, s:s}", "question", b.p, "type", "discussion"));
        }
        buf_free(&b);
    }
    if (c->req != NULL && c->req[0] != '\0') {
        struct buf b = BUF(c);
        buf_str(&b, "How does the material address this request: \"");
        buf_add(&b, c->req, utf8_prefix(c->req, MAX_REQ_BYTES));
        buf_str(&b, "\"?");
        if (!b.oom && b.p != NULL) {
            json_array_append_new(qs, json_pack("{s:s, s:s}", "question", b.p, "type", "discussion"));
        }
        buf_free(&b);
    }
    json_object_set_new(root, "questions", qs);
    return root;
}

/* ---- any other type: walk its schema ---- */

static int wants_question(const json_t *s)
{
    const char *pat = json_string_value(json_object_get(s, "pattern"));
    return pat != NULL && (strstr(pat, "\\?") != NULL || strstr(pat, "[?]") != NULL);
}

static int key_has(const char *key, const char *const *words, size_t n)
{
    for (size_t i = 0; key != NULL && i < n; i++) {
        if (strstr(key, words[i]) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Keys whose values are short labels rather than prose. */
static int is_name_key(const char *key)
{
    static const char *const words[] = {"title", "name", "term", "word", "heading", "label", "keyword", "concept",
                                        "category", "tag", "speaker", "subject"};
    return key_has(key, words, sizeof(words) / sizeof(words[0]));
}

static int is_question_key(const char *key)
{
    static const char *const words[] = {"question", "prompt", "query"};
    return key_has(key, words, sizeof(words) / sizeof(words[0]));
}

/* A small stable hash of a key, so sibling fields get different sentences. */
static size_t key_hash(const char *key)
{
    size_t h = 5381;
    for (const char *p = key ? key : ""; *p != '\0'; p++) {
        h = h * 33 + (unsigned char)*p;
    }
    return h;
}

static size_t cps_of(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

static json_t *gen_string(const struct ctx *c, const json_t *s, const char *key, size_t idx, int depth)
{
    const json_t *mn = json_object_get(s, "minLength"), *mx = json_object_get(s, "maxLength");
    int question = wants_question(s) || is_question_key(key);
    struct buf b = BUF(c);
    json_t *j;
    static const char *const primary[] = {"answer",  "meaning", "definition", "explanation",
                                          "description", "content", "text",   "summary"};
    /* labels, questions and the main prose field of an item describe the same aspect; other prose varies */
    size_t shift = question || is_name_key(key) || key_has(key, primary, sizeof(primary) / sizeof(primary[0]))
                       ? 0
                       : key_hash(key);
    size_t a = (idx + shift) % OFFLINE_ASPECTS, guard = 0;

    if (question) {
        buf_tpl(&b, c->st->questions[a], c->topic);
    } else if (depth == 1 && key != NULL && strcmp(key, "title") == 0) {
        /* the document title: "Glossary: <topic>" from the type id */
        for (const char *p = c->type_id; p != NULL && *p != '\0'; p++) {
            char ch = *p == '_' ? ' ' : (p == c->type_id && *p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
            buf_add(&b, &ch, 1);
        }
        buf_str(&b, ": ");
        buf_add(&b, c->topic, utf8_prefix(c->topic, 180));
    } else if (is_name_key(key)) {
        buf_tpl(&b, c->st->titles[a], c->topic);
        buf_str(&b, " (");
        buf_add(&b, c->topic, utf8_prefix(c->topic, 80));
        buf_str(&b, ")");
    } else {
        buf_tpl(&b, c->st->answers[a], c->topic);
    }
    while (json_is_integer(mn) && !b.oom && b.p != NULL && (json_int_t)cps_of(b.p, b.len) < json_integer_value(mn) &&
           guard++ < 1000) {
        if (question) {
            /* keep the final "?" last: insert the padding before it */
            b.len--;
            buf_str(&b, " and ");
            buf_str(&b, c->topic);
            buf_str(&b, "?");
        } else {
            buf_str(&b, " ");
            buf_tpl(&b, c->st->answers[(a + guard) % OFFLINE_ASPECTS], c->topic);
        }
    }
    if (b.oom || b.p == NULL) {
        buf_free(&b);
        return NULL;
    }
    if (json_is_integer(mx) && (json_int_t)cps_of(b.p, b.len) > json_integer_value(mx)) {
        size_t keep = 0, n = 0, max = (size_t)json_integer_value(mx);
        while (keep < b.len && n < max) {
            keep++;
            while (keep < b.len && ((unsigned char)b.p[keep] & 0xC0) == 0x80) {
                keep++;
            }
            n++;
        }
        b.len = keep;
        b.p[keep] = '\0';
        if (question && keep > 0) {
            size_t last = keep - 1;
            while (last > 0 && ((unsigned char)b.p[last] & 0xC0) == 0x80) {
                last--;
            }
            b.p[last] = '?';
            b.p[last + 1] = '\0';
        }
    }
    j = json_string(b.p);
    buf_free(&b);
    return j;
}

static const json_t *first_type(const json_t *s, char *buf, size_t len)
{
    const json_t *t = json_object_get(s, "type");
    if (json_is_array(t)) {
        t = json_array_get(t, 0);
    }
    snprintf(buf, len, "%s", json_is_string(t) ? json_string_value(t) : "");
    return t;
}

static json_t *gen_schema(const struct ctx *c, const json_t *s, const char *key, size_t idx, int depth)
{
    char type[16];
    const json_t *en;
    if (depth > 16 || !json_is_object(s)) {
        return json_string(c->topic);
    }
    en = json_object_get(s, "enum");
    if (json_is_array(en) && json_array_size(en) > 0) {
        return json_deep_copy(json_array_get(en, 0));
    }
    first_type(s, type, sizeof(type));
    if (type[0] == '\0') {
        const json_t *alt = json_object_get(s, "anyOf");
        if (!json_is_array(alt)) {
            alt = json_object_get(s, "oneOf");
        }
        if (json_is_array(alt) && json_array_size(alt) > 0 && json_object_get(s, "properties") == NULL) {
            return gen_schema(c, json_array_get(alt, 0), key, idx, depth + 1);
        }
        snprintf(type, sizeof(type), "%s", json_object_get(s, "properties") != NULL ? "object" : "string");
    }
    if (strcmp(type, "object") == 0) {
        json_t *o = json_object();
        const json_t *props = json_object_get(s, "properties");
        const char *k;
        json_t *ps;
        json_object_foreach((json_t *)(uintptr_t)props, k, ps)
        {
            json_object_set_new(o, k, gen_schema(c, ps, k, idx, depth + 1));
        }
        return o;
    }
    if (strcmp(type, "array") == 0) {
        const json_t *mn = json_object_get(s, "minItems"), *mx = json_object_get(s, "maxItems");
        json_int_t n = json_is_integer(mn) ? json_integer_value(mn) : 3;
        json_t *a = json_array();
        if (n < 3 && !json_is_integer(mn)) {
            n = 3;
        }
        if (json_is_integer(mx) && n > json_integer_value(mx)) {
            n = json_integer_value(mx);
        }
        for (json_int_t i = 0; i < n && i < 1000; i++) {
            json_array_append_new(a, gen_schema(c, json_object_get(s, "items"), key, (size_t)i, depth + 1));
        }
        return a;
    }
    if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
        const json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
        double v = (double)idx + 1;
        if (json_is_number(mn) && v < json_number_value(mn)) {
            v = json_number_value(mn);
        }
        if (json_is_number(mx) && v > json_number_value(mx)) {
            v = json_number_value(mx);
        }
        return strcmp(type, "integer") == 0 ? json_integer((json_int_t)v) : json_real(v);
    }
    if (strcmp(type, "boolean") == 0) {
        return json_true();
    }
    if (strcmp(type, "null") == 0) {
        return json_null();
    }
    return gen_string(c, s, key, idx, depth);
}

/* ---- callbacks ---- */

static int offline_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    struct offline *st = h->alloc(sizeof(*st));
    double v = 0;
    if (st == NULL) {
        return LF_ENOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->host = h;
    snprintf(st->name, sizeof(st->name), "%s", args->instance_name ? args->instance_name : "offline");
    if (args->config != NULL && h->config_number != NULL && h->config_number(args->config, "latency_ms", &v)) {
        if (v < 0 || v > 600000) {
            h->log(LF_LOG_ERROR, "offline", "instance \"%s\": latency_ms must be between 0 and 600000", st->name);
            h->free(st);
            return LF_ECONFIG;
        }
        st->latency_ms = (uint32_t)v;
    }
    *state = st;
    return LF_OK;
}

static void offline_destroy(void *state)
{
    struct offline *st = state;
    if (st != NULL) {
        st->host->free(st);
    }
}

static size_t offline_models(void *state, const struct lf_model_info **models)
{
    (void)state;
    *models = models_list;
    return 1;
}

static char *host_copy(const struct lf_host_api *h, const char *s, size_t len)
{
    char *p = h->alloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* The text of the last user message of an OpenAI-style messages array (borrowed), or NULL. */
static const char *last_user_text(const json_t *msgs, size_t *n_msgs)
{
    const char *text = NULL;
    size_t i;
    const json_t *m;
    *n_msgs = json_array_size(msgs);
    json_array_foreach(msgs, i, m)
    {
        const json_t *content = json_object_get(m, "content");
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role == NULL || strcmp(role, "user") != 0) {
            continue;
        }
        if (json_is_string(content)) {
            text = json_string_value(content);
        } else if (json_is_array(content)) {
            size_t k;
            const json_t *part;
            json_array_foreach(content, k, part)
            {
                if (json_is_string(json_object_get(part, "text"))) {
                    text = json_string_value(json_object_get(part, "text"));
                }
            }
        }
    }
    return text;
}

#define CHAT_REPLY                                                                                        \
    "This is the offline provider of La Factoria. It works without network access and does not call an AI " \
    "model, so this reply is a fixed, deterministic text. You sent %zu message(s); the last user message has " \
    "%zu characters. Configure a real provider (for example OpenAI, Anthropic or Gemini) to get real answers."

/* The chat reply (compact, NUL-terminated) into a fresh malloc'd buffer like json_dumps's, or NULL. */
static char *chat_reply(const struct lf_gen_request *req)
{
    json_t *msgs = json_loadb(req->messages_json, req->messages_json_len, 0, NULL);
    size_t n = 0;
    const char *last = json_is_array(msgs) ? last_user_text(msgs, &n) : NULL;
    size_t cps = last != NULL ? cps_of(last, strlen(last)) : 0;
    char tmp[512];
    snprintf(tmp, sizeof(tmp), CHAT_REPLY, n, cps);
    json_decref(msgs);
    return strdup(tmp);
}

static json_t *generate_content(const struct offline *stt, const struct lf_gen_request *req)
{
    struct ctx c;
    json_t *content = NULL, *objs = NULL, *schema = NULL;
    const char *type = req->content_type;

    c.h = stt->host;
    c.type_id = type;
    c.st = offline_style_for(req->age_group);
    c.topic = req->topic != NULL && req->topic[0] != '\0' ? req->topic : "the topic";
    c.req = req->additional_requirements;
    if (req->learning_objectives_json != NULL) {
        objs = json_loads(req->learning_objectives_json, 0, NULL);
        if (!json_is_array(objs)) {
            json_decref(objs);
            objs = NULL;
        }
    }
    c.objectives = objs;
    if (strcmp(type, "master_content_outline") == 0) {
        content = gen_master(&c);
    } else if (strcmp(type, "podcast_script") == 0) {
        content = gen_podcast(&c);
    } else if (strcmp(type, "study_guide") == 0) {
        content = gen_study_guide(&c);
    } else if (strcmp(type, "one_pager_summary") == 0) {
        content = gen_one_pager(&c);
    } else if (strcmp(type, "detailed_reading_material") == 0) {
        content = gen_reading(&c);
    } else if (strcmp(type, "faq_collection") == 0) {
        content = gen_faq(&c);
    } else if (strcmp(type, "flashcards") == 0) {
        content = gen_flashcards(&c);
    } else if (strcmp(type, "reading_guide_questions") == 0) {
        content = gen_questions(&c);
    } else if (req->output_schema_json != NULL) {
        schema = json_loadb(req->output_schema_json, req->output_schema_json_len, 0, NULL);
        if (json_is_object(schema)) {
            content = gen_schema(&c, schema, NULL, 0, 0);
        }
    }
    json_decref(schema);
    json_decref(objs);
    return content;
}

static int offline_generate(void *state, const struct lf_gen_request *req, struct lf_gen_result *out)
{
    struct offline *st = state;
    const struct lf_host_api *h = st->host;
    char *text = NULL;
    size_t text_len = 0;
    int rc = LF_OK;
    uint64_t prompt_chars;

    if (req->content_type == NULL && req->messages_json != NULL) {
        text = chat_reply(req);
        prompt_chars = req->messages_json_len;
    } else if (req->content_type != NULL) {
        json_t *content = generate_content(st, req);
        if (content == NULL) {
            out->failure = LF_FAILURE_INVALID_RESPONSE;
            out->error_message = host_copy(h, "the offline provider cannot generate this content type without "
                                              "its output schema",
                                           strlen("the offline provider cannot generate this content type "
                                                  "without its output schema"));
            return LF_OK;
        }
        text = json_dumps(content, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(content);
        prompt_chars = req->system_prompt_len + req->prompt_len;
    } else {
        return LF_EINVAL;
    }
    if (text == NULL) {
        return LF_ENOMEM;
    }
    text_len = strlen(text);
    out->text = host_copy(h, text, text_len);
    out->text_len = text_len;
    out->model = host_copy(h, MODEL_ID, strlen(MODEL_ID));
    out->finish_reason = host_copy(h, "stop", 4);
    free(text); /* from json_dumps / strdup: libc memory */
    if (out->text == NULL || out->model == NULL || out->finish_reason == NULL) {
        h->free(out->text);
        h->free(out->model);
        h->free(out->finish_reason);
        out->text = out->model = out->finish_reason = NULL;
        out->text_len = 0;
        return LF_ENOMEM;
    }
    out->failure = LF_FAILURE_NONE;
    out->usage.prompt_tokens = (prompt_chars + 3) / 4;
    out->usage.completion_tokens = (text_len + 3) / 4;
    out->usage.estimated = 1;
    out->cost_usd = 0;
    out->delay_ms = st->latency_ms;
    return rc;
}

static int offline_self_test(void *state)
{
    struct lf_gen_request req;
    struct lf_gen_result res;
    struct offline *st = state;
    int rc;
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.struct_size = sizeof(req);
    res.struct_size = sizeof(res);
    req.content_type = "faq_collection";
    req.topic = "self test";
    req.age_group = "general";
    rc = offline_generate(state, &req, &res);
    st->host->free(res.text);
    st->host->free(res.model);
    st->host->free(res.finish_reason);
    st->host->free(res.error_message);
    return rc == LF_OK && res.failure == LF_FAILURE_NONE ? LF_OK : LF_EINTERNAL;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = "offline", .version = "1.0.0",
                     .description = "deterministic structured content without network access (no API key needed)",
                     .config_map = config_map, .init = offline_init, .destroy = offline_destroy,
                     .self_test = offline_self_test, .models = offline_models, .generate = offline_generate)

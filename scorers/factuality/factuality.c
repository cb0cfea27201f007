/*
 * scorers/factuality/factuality.c - heuristic red flags: misconceptions, bad arithmetic, contradictions, absolutes
 * SPDX-License-Identifier: MIT
 *
 * Dimension: factual_accuracy. Formulas and limits: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/state.h"
#include "../common/text.h"

/* Widely taught misconceptions, as they would be stated (lower case). */
static const char *const misconceptions[] = {
    "the earth is flat", "vaccines cause autism", "evolution is just a theory",
    "only use 10% of their brain", "only use 10% of our brain", "only use 10 percent of",
    "cracking knuckles causes arthritis", "cracking your knuckles causes arthritis",
    "great wall of china is visible from space", "great wall of china visible from space",
    "lightning never strikes twice", "goldfish have a 3-second memory", "goldfish have 3-second memory",
    "different parts of the tongue taste",
    "seasons are caused by the distance", "closer to the sun in summer", "bats are blind",
    "humans have five senses", "blood is blue", "deoxygenated blood is blue", "heavier objects fall faster",
    "glass is a liquid", "sugar makes children hyperactive", "we lose most of our body heat through our head",
    "columbus proved the earth was round", "napoleon was very short", "the sun revolves around the earth",
    "photosynthesis happens at night", "plants get their food from the soil",
    "mount everest is the tallest mountain from base",
    NULL};

static const char *const absolutes[] = {"always true", "never wrong", "absolutely certain", "without doubt",
                                        "without a doubt", "completely proven", "proven fact", "totally false",
                                        "everyone knows", "it is a fact that", "100% certain", "undeniably",
                                        "no exceptions", "all scientists agree", "beyond any doubt", "cannot be wrong",
                                        NULL};

static const char *const hedges[] = {"research suggests", "evidence indicates", "evidence suggests", "studies show",
                                     "scientists believe", "according to", "likely", "possibly", "generally",
                                     "typically", "in most cases", "approximately", "it appears that",
                                     "current understanding", "estimated", NULL};

static const char *const citations[] = {"according to", "study published", "researchers found", "peer-reviewed",
                                        "journal of", "source:", "reference:", "references", "bibliography", NULL};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const char *skip_sp(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parse an unsigned decimal number at p (digits, optional .digits). Sets *decimals. NULL when none. */
static const char *parse_num(const char *p, double *v, int *decimals)
{
    const char *b = p;
    double x = 0;
    *decimals = 0;
    while (is_digit(*p))
        x = x * 10 + (*p++ - '0');
    if (p == b)
        return NULL;
    if (*p == '.' && is_digit(p[1])) {
        double f = 0.1;
        p++;
        while (is_digit(*p)) {
            x += (*p++ - '0') * f;
            f /= 10;
            (*decimals)++;
        }
    }
    *v = x;
    return p;
}

/* Parse an operator: + - * / x, the Unicode minus, times and division signs. */
static const char *parse_op(const char *p, char *op)
{
    /* p is NUL-terminated: a byte is only read when the previous one was not NUL */
    unsigned char a = (unsigned char)p[0];
    if (a == '+' || a == '-' || a == '*' || a == '/') {
        *op = a == '*' ? 'x' : (char)a;
        return p + 1;
    }
    if (a == 'x' && (p[1] == ' ' || is_digit(p[1]))) {
        *op = 'x';
        return p + 1;
    }
    if (a == 0xC3) {
        unsigned char b = (unsigned char)p[1];
        if (b == 0x97 || b == 0xB7) {
            *op = b == 0x97 ? 'x' : '/';
            return p + 2;
        }
    }
    if (a == 0xE2 && (unsigned char)p[1] == 0x88 && (unsigned char)p[2] == 0x92) {
        *op = '-';
        return p + 3;
    }
    return NULL;
}

/*
 * Find "a op b = c" (a, b, c unsigned decimals, not part of a longer expression) and check it. The
 * tolerance is half a unit of c's last printed decimal place. Counts checked and wrong equations.
 */
static void check_arithmetic(const char *lower, size_t *checked, size_t *wrong)
{
    for (const char *p = lower; *p; p++) {
        if (!is_digit(*p) || (p > lower && (p[-1] == '.' || lf_text_is_word_char((unsigned char)p[-1]))))
            continue;
        if (p > lower + 1 && p[-1] == ' ' && parse_op(p - 2, &(char){0}) != NULL && p[-2] != 'x')
            continue; /* the tail of a longer expression: "1 + 2 + 3 = 6" is skipped, not misread */
        double a, b, c;
        int da, db, dc;
        char op;
        const char *q = parse_num(p, &a, &da);
        if (q == NULL)
            continue;
        q = skip_sp(q);
        q = parse_op(q, &op);
        if (q == NULL)
            continue;
        q = skip_sp(q);
        q = parse_num(q, &b, &db);
        if (q == NULL)
            continue;
        q = skip_sp(q);
        if (*q != '=')
            continue;
        q = skip_sp(q + 1);
        int neg = 0;
        if (*q == '-') {
            neg = 1;
            q++;
        }
        const char *e = parse_num(q, &c, &dc);
        if (e == NULL || (*e != '\0' && (lf_text_is_word_char((unsigned char)*e) && !(*e == 'x' || *e == '%'))))
            continue;
        if (*e == ' ' || *e == '\0' || *e == '.' || *e == ',' || *e == ';' || *e == ')' || *e == '\n' || *e == '%') {
            /* ok */
        } else if (parse_op(skip_sp(e), &(char){0}) != NULL) {
            continue; /* "= 4 + 1" and similar: not a simple equation */
        }
        if (neg)
            c = -c;
        double r;
        switch (op) {
        case '+': r = a + b; break;
        case '-': r = a - b; break;
        case 'x': r = a * b; break;
        default:
            if (b == 0)
                continue;
            r = a / b;
            break;
        }
        double tol = 0.5 * pow(10.0, -dc) + 1e-9 * fabs(r);
        (*checked)++;
        if (fabs(r - c) > tol)
            (*wrong)++;
        (void)da;
        (void)db;
    }
}

/* ---- internal contradictions: "<subj> is|are <pred>" versus "<subj> is|are not <pred>" ---- */

struct claim {
    uint64_t subj, pred;
    int neg;
};

#define MAX_CLAIMS 512

static uint64_t hash_word(const char *w, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 1099511628211ULL;
    return h;
}

static int word_eq(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

static int skippable(const char *w, size_t n)
{
    static const char *const s[] = {"a", "an", "the", "also", "very", "always", "usually", "really", NULL};
    for (size_t i = 0; s[i]; i++)
        if (word_eq(w, n, s[i]))
            return 1;
    return 0;
}

static int vague_subject(const char *w, size_t n)
{
    static const char *const s[] = {"it", "this", "that", "there", "what", "which", "who", "he", "she", "they",
                                    "these", "those", "answer", "one", "here", NULL};
    for (size_t i = 0; s[i]; i++)
        if (word_eq(w, n, s[i]))
            return 1;
    return 0;
}

static int is_verb(const char *w, size_t n)
{
    return (n == 2 && w[0] == 'i' && w[1] == 's') || (n == 3 && w[0] == 'a' && w[1] == 'r' && w[2] == 'e');
}

/*
 * One pass over the words with a small state machine: after "<subject> is|are" (subject not vague) an
 * optional "not"/"never" sets the negation, up to three skippable words are ignored, and the next word is the
 * predicate. Punctuation that ends a clause (. ! ? newline , ; :) resets the state.
 */
static size_t count_contradictions(const char *lower, size_t n, struct claim *claims)
{
    const char *prev = NULL, *subj = NULL;
    size_t prevlen = 0, subjlen = 0, nclaims = 0, found = 0, skipped = 0;
    int stage = 0, neg = 0; /* stage 1: after the verb */
    size_t i = 0;

    while (i < n) {
        while (i < n && !lf_text_is_word_char((unsigned char)lower[i])) {
            char c = lower[i];
            if (c == '.' || c == '!' || c == '?' || c == '\n' || c == ',' || c == ';' || c == ':') {
                prev = NULL;
                stage = 0;
            }
            i++;
        }
        if (i >= n)
            break;
        size_t b = i;
        while (i < n && (lf_text_is_word_char((unsigned char)lower[i]) || lower[i] == '\''))
            i++;
        const char *w = lower + b;
        size_t wl = i - b;
        if (stage == 1) {
            if (!neg && skipped == 0 && (word_eq(w, wl, "not") || word_eq(w, wl, "never"))) {
                neg = 1;
            } else if (skippable(w, wl) && skipped < 3) {
                skipped++;
            } else {
                struct claim c = {hash_word(subj, subjlen), hash_word(w, wl), neg};
                int dup = 0;
                for (size_t j = 0; j < nclaims; j++) {
                    if (claims[j].subj == c.subj && claims[j].pred == c.pred) {
                        if (claims[j].neg != c.neg && claims[j].neg != 2) {
                            found++;
                            claims[j].neg = 2; /* count each contradiction once */
                        }
                        dup = 1;
                        break;
                    }
                }
                if (!dup && nclaims < MAX_CLAIMS)
                    claims[nclaims++] = c;
                stage = 0;
            }
        } else if (is_verb(w, wl) && prev != NULL && !vague_subject(prev, prevlen)) {
            stage = 1;
            neg = 0;
            skipped = 0;
            subj = prev;
            subjlen = prevlen;
        }
        prev = w;
        prevlen = wl;
    }
    return found;
}

static int fa_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct lf_scorer_state *s = state;
    const char *text = in->plain_text ? in->plain_text : "";
    size_t n = in->plain_text ? in->plain_text_len : 0;
    size_t nmis = 0, nabs = 0, nhedge = 0, ncite = 0, checked = 0, wrong = 0, contra = 0;
    struct claim *claims = NULL;
    char *lower = s->host->alloc(n + 1);

    if (lower == NULL)
        return LF_ENOMEM;
    claims = s->host->alloc(MAX_CLAIMS * sizeof(*claims));
    if (claims == NULL) {
        s->host->free(lower);
        return LF_ENOMEM;
    }
    lf_text_lower(text, n, lower);
    {
        /* one pass over the text for the four lists: [misconceptions | absolutes | hedges | citations] */
        const char *const *lists[4] = {misconceptions, absolutes, hedges, citations};
        const char *all[LF_TEXT_MAX_PHRASES + 1];
        size_t counts[LF_TEXT_MAX_PHRASES], end[4], k = 0;
        for (size_t l = 0; l < 4; l++) {
            for (size_t i = 0; lists[l][i]; i++)
                all[k++] = lists[l][i];
            end[l] = k;
        }
        all[k] = NULL;
        lf_text_match(lower, n, all, counts, NULL);
        for (size_t i = 0; i < k; i++) {
            if (i < end[0])
                nmis += counts[i] > 0; /* distinct */
            else if (i < end[1])
                nabs += counts[i]; /* occurrences */
            else if (i < end[2])
                nhedge += counts[i] > 0; /* distinct */
            else
                ncite += counts[i] > 0; /* distinct */
        }
    }
    check_arithmetic(lower, &checked, &wrong);
    contra = count_contradictions(lower, n, claims);
    s->host->free(claims);
    s->host->free(lower);

    double bonus = fmin(0.10, 0.02 * (double)nhedge + 0.03 * (double)ncite);
    double abs_pen = fmin(0.30, 0.10 * (double)nabs);
    double score = 0.90 + bonus - 0.35 * (double)nmis - 0.30 * (double)wrong - 0.20 * (double)contra - abs_pen;
    lf_scorer_one_dimension(out, "factual_accuracy", lf_text_clamp01(score));

    char buf[384];
    int len = snprintf(buf, sizeof(buf),
                       "{\"factuality\":{\"misconceptions\":%zu,\"equations_checked\":%zu,\"equations_wrong\":%zu,"
                       "\"contradictions\":%zu,\"absolutes\":%zu,\"hedges\":%zu,\"citations\":%zu}}",
                       nmis, checked, wrong, contra, nabs, nhedge, ncite);
    return lf_scorer_set_details(s->host, out, buf, sizeof(buf), len);
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "factuality", .version = "1.0.0",
                     .description = "heuristic red flags: misconceptions, arithmetic, contradictions, absolutes",
                     .init = lf_scorer_state_init, .destroy = lf_scorer_state_destroy, .score = fa_score)

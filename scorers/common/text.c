/*
 * scorers/common/text.c - word, sentence, syllable and phrase counting shared by the scorer plugins
 * SPDX-License-Identifier: MIT
 *
 * Rules (documented for the READMEs):
 *   word      a run of ASCII letters/digits or non-ASCII bytes; an apostrophe, hyphen or '.' between two
 *             word characters, and ',' between two digits, stay inside the word ("don't", "e.g", "3.14",
 *             "1,000");
 *   sentence  ends at a run of '.', '!' or '?' followed by white space or the end (closing quotes and
 *             brackets skipped), or at a newline; a single '.' after an abbreviation (e.g, i.e, etc, mr,
 *             mrs, ms, dr, vs, st, no, fig, or any single letter) does not end it;
 *   paragraph a block separated by a blank line ("\n\n", white space allowed in between);
 *   syllables see lf_text_syllables().
 */
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

int lf_text_is_word_char(unsigned char c)
{
    return (unsigned char)((c | 32) - 'a') < 26u || (unsigned char)(c - '0') < 10u || c >= 0x80;
}

#define WORD(c) lf_text_is_word_char((unsigned char)(c))
#define BUCKET(a, b) ((unsigned char)(((unsigned char)(a) * 7u) ^ (unsigned char)(b)))

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

double lf_text_clamp01(double x)
{
    if (!(x > 0.0))
        return 0.0;
    return x > 1.0 ? 1.0 : x;
}

/*
 * Syllables: lower-case the ASCII letters (max 32), count vowel groups (a e i o u, and y except as the
 * first letter), then
 *   - a final "e" after a consonant is silent, except the "-le" ending after a consonant ("table");
 *   - a final "ed" is silent unless it follows t or d ("jumped" 1, "wanted" 2);
 *   - a final "es" is silent unless it follows s, x, z, c, g or h ("makes" 1, "boxes" 2);
 *   - the hiatus pairs "ia", "iu", "io", "eo", "ua", "uo" count as two unless preceded by t, s, c, x or g
 *     ("media" 3, "video" 3, "nation" 2);
 * and the result is at least 1. Words of three letters or fewer have one syllable.
 */
int lf_text_syllables(const char *w, size_t n)
{
    /* bit (c - 'a') set for a e i o u y */
    const uint32_t vmask = (1u << 0) | (1u << 4) | (1u << 8) | (1u << 14) | (1u << 20) | (1u << 24);
    char b[33];
    unsigned char isv[33];
    size_t L = 0;
    for (size_t i = 0; i < n && L < 32; i++) {
        unsigned char c = (unsigned char)w[i] | 32u;
        if (c >= 'a' && c <= 'z') {
            b[L] = (char)c;
            isv[L] = (unsigned char)((vmask >> (c - 'a')) & 1u);
            L++;
        }
    }
    if (L <= 3)
        return 1;
    if (b[0] == 'y')
        isv[0] = 0;
    int count = 0;
    for (size_t i = 0; i < L; i++) {
        if (!isv[i])
            continue;
        if (i == 0 || !isv[i - 1]) {
            count++;
        } else if (i >= 2) {
            char a = b[i - 1], c = b[i];
            int hiatus = (a == 'i' && (c == 'a' || c == 'u' || c == 'o')) || (a == 'e' && c == 'o') ||
                         (a == 'u' && (c == 'a' || c == 'o'));
            if (hiatus) {
                char p = b[i - 2];
                if (p != 't' && p != 's' && p != 'c' && p != 'x' && p != 'g')
                    count++;
            }
        }
    }
    char last = b[L - 1], pen = b[L - 2], p3 = b[L - 3];
    if (last == 'e' && !isv[L - 2]) {
        int le = pen == 'l' && !isv[L - 3];
        if (!le && count > 1)
            count--;
    } else if (last == 'd' && pen == 'e') {
        if (p3 != 't' && p3 != 'd' && !isv[L - 3] && count > 1)
            count--;
    } else if (last == 's' && pen == 'e') {
        if (p3 != 's' && p3 != 'x' && p3 != 'z' && p3 != 'c' && p3 != 'g' && p3 != 'h' && !isv[L - 3] && count > 1)
            count--;
    }
    return count < 1 ? 1 : count;
}

static const char *const abbreviations[] = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "vs", "st", "no", "fig",
                                            NULL};

static int is_abbreviation(const char *w, size_t len)
{
    if (len == 1)
        return 1;
    for (size_t i = 0; abbreviations[i]; i++)
        if (strlen(abbreviations[i]) == len && memcmp(abbreviations[i], w, len) == 0)
            return 1;
    return 0;
}

struct state {
    struct lf_text_stats *st;
    size_t sent_words, para_words;
    double sum, sumsq;
};

static void end_sentence(struct state *z, int q, int e)
{
    if (z->sent_words == 0)
        return;
    z->st->sentences++;
    z->sum += (double)z->sent_words;
    z->sumsq += (double)z->sent_words * (double)z->sent_words;
    if (q)
        z->st->questions++;
    else if (e)
        z->st->exclamations++;
    z->sent_words = 0;
}

static void end_paragraph(struct state *z)
{
    if (z->para_words == 0)
        return;
    z->st->paragraphs++;
    if (z->para_words > z->st->max_paragraph_words)
        z->st->max_paragraph_words = z->para_words;
    z->para_words = 0;
}

void lf_text_analyze(const char *s, size_t n, struct lf_text_stats *st)
{
    lf_text_analyze_ex(s, n, st, 1);
}

void lf_text_analyze_ex(const char *s, size_t n, struct lf_text_stats *st, int syllables)
{
    struct state z = {st, 0, 0, 0, 0};
    char last[8];
    size_t lastlen = 0;
    int nl_run = 0;
    size_t i = 0;

    memset(st, 0, sizeof(*st));
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (lf_text_is_word_char(c)) {
            size_t b = i, letters = 0;
            while (i < n) {
                unsigned char d = (unsigned char)s[i];
                if (lf_text_is_word_char(d)) {
                    if (d < 0x80 || (d & 0xC0) != 0x80)
                        letters++;
                    i++;
                    continue;
                }
                if (i + 1 < n && i > b && lf_text_is_word_char((unsigned char)s[i + 1]) &&
                    (d == '\'' || d == '-' || d == '.' ||
                     (d == ',' && is_digit((unsigned char)s[i - 1]) && is_digit((unsigned char)s[i + 1])))) {
                    i++;
                    continue;
                }
                break;
            }
            size_t len = i - b;
            int syl = (!syllables || is_digit(c)) ? 1 : lf_text_syllables(s + b, len);
            st->words++;
            st->letters += letters;
            st->syllables += (size_t)syl;
            if (syl >= 3)
                st->polysyllables++;
            if (letters > 6)
                st->long_words++;
            z.sent_words++;
            z.para_words++;
            nl_run = 0;
            lastlen = len < sizeof(last) ? len : 0;
            for (size_t k = 0; k < lastlen; k++) {
                char ch = s[b + k];
                last[k] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
            }
        } else if (c == '.' || c == '!' || c == '?') {
            int q = 0, e = 0;
            size_t run = 0;
            while (i < n && (s[i] == '.' || s[i] == '!' || s[i] == '?')) {
                q |= s[i] == '?';
                e |= s[i] == '!';
                i++;
                run++;
            }
            while (i < n && (s[i] == '"' || s[i] == '\'' || s[i] == ')' || s[i] == ']'))
                i++;
            if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                ((unsigned char)s[i + 2] == 0x9D || (unsigned char)s[i + 2] == 0x99))
                i += 3;
            int boundary = i >= n || s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
            if (boundary && run == 1 && !q && !e && lastlen > 0 && is_abbreviation(last, lastlen))
                boundary = 0;
            if (boundary)
                end_sentence(&z, q, e);
            nl_run = 0;
        } else if (c == '\n') {
            i++;
            nl_run++;
            end_sentence(&z, 0, 0);
            if (nl_run >= 2)
                end_paragraph(&z);
        } else if (c == ' ' || c == '\t' || c == '\r') {
            i++;
        } else {
            i++;
            nl_run = 0;
        }
    }
    end_sentence(&z, 0, 0);
    end_paragraph(&z);
    if (st->sentences > 0) {
        double m = z.sum / (double)st->sentences;
        double var = z.sumsq / (double)st->sentences - m * m;
        st->sentence_len_mean = m;
        st->sentence_len_sd = var > 0 ? sqrt(var) : 0.0;
    }
}

char *lf_text_lower(const char *s, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c + (((unsigned char)(c - 'A') < 26u) << 5)); /* branch-free, vectorises */
    }
    out[n] = '\0';
    return out;
}

size_t lf_text_match(const char *lower, size_t n, const char *const *phrases, size_t *counts, size_t *distinct)
{
    return lf_text_match_ex(lower, n, phrases, counts, distinct, 0);
}

size_t lf_text_match_ex(const char *lower, size_t n, const char *const *phrases, size_t *counts, size_t *distinct,
                        int prefix)
{
    int16_t head[256];
    int16_t next[LF_TEXT_MAX_PHRASES];
    size_t len[LF_TEXT_MAX_PHRASES];
    size_t local[LF_TEXT_MAX_PHRASES];
    size_t np = 0, total = 0, d = 0;

    for (int k = 0; k < 256; k++)
        head[k] = -1;
    while (np < LF_TEXT_MAX_PHRASES && phrases[np])
        np++;
    /* bucket by the first two bytes (a phrase has at least one byte; the second may be NUL) */
    for (size_t k = np; k-- > 0;) {
        unsigned char f = BUCKET(phrases[k][0], phrases[k][0] ? phrases[k][1] : 0);
        len[k] = strlen(phrases[k]);
        next[k] = head[f];
        head[f] = (int16_t)k;
        local[k] = 0;
    }
    size_t i = 0;
    while (i < n) {
        while (i < n && !WORD(lower[i]))
            i++;
        if (i >= n)
            break;
        size_t w = i; /* a word starts at w */
        unsigned char c = BUCKET(lower[w], w + 1 < n ? lower[w + 1] : 0);
        while (i < n && WORD(lower[i]))
            i++;
        for (int16_t k = head[c]; k >= 0; k = next[k]) {
            size_t pl = len[k];
            if (pl > n - w || memcmp(lower + w, phrases[k], pl) != 0)
                continue;
            if (!prefix && WORD(phrases[k][pl - 1]) && w + pl < n && WORD(lower[w + pl]))
                continue;
            local[k]++;
        }
    }
    for (size_t k = 0; k < np; k++) {
        total += local[k];
        d += local[k] > 0;
        if (counts)
            counts[k] = local[k];
    }
    if (distinct)
        *distinct = d;
    return total;
}

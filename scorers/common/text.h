/*
 * scorers/common/text.h - shared English text statistics for the bundled scorer plugins
 * SPDX-License-Identifier: MIT
 *
 * Compiled into each scorer .so (hidden visibility, never exported). Pure functions: no allocation,
 * no global state, so they are safe from several threads at once.
 */
#ifndef LF_SCORERS_COMMON_TEXT_H
#define LF_SCORERS_COMMON_TEXT_H

#include <stddef.h>

/** Counts over a plain text (see text.c for the exact rules). */
struct lf_text_stats {
    size_t words;          /* tokens starting with a letter or digit */
    size_t letters;        /* letters and digits in those words */
    size_t syllables;      /* lf_text_syllables() summed over words */
    size_t polysyllables;  /* words with >= 3 syllables */
    size_t long_words;     /* words with > 6 letters */
    size_t sentences;      /* non-empty sentences */
    size_t questions;      /* sentences ending with '?' */
    size_t exclamations;   /* sentences ending with '!' */
    size_t paragraphs;     /* non-empty "\n\n"-separated blocks */
    size_t max_paragraph_words;
    double sentence_len_mean;
    double sentence_len_sd; /* population standard deviation of words per sentence */
};

/** Syllables of one word (ASCII letters, any case; other bytes ignored). Always >= 1. */
int lf_text_syllables(const char *w, size_t n);

/** Analyse `s` (n bytes, UTF-8; non-ASCII bytes count as letters of a word). */
void lf_text_analyze(const char *s, size_t n, struct lf_text_stats *st);
/** lf_text_analyze; with syllables == 0 the syllable counts are skipped (every word counts 1). */
void lf_text_analyze_ex(const char *s, size_t n, struct lf_text_stats *st, int syllables);

/** Copy s into out (cap >= n + 1) lower-casing ASCII; returns out. */
char *lf_text_lower(const char *s, size_t n, char *out);

#define LF_TEXT_MAX_PHRASES 128

/**
 * One pass over `lower` (n bytes, lower case): counts, for each phrase of the NULL-terminated list
 * (lower case, each starting with a letter or digit and at least 2 bytes long, at most LF_TEXT_MAX_PHRASES;
 * phrases are bucketed by their first two bytes), its occurrences that
 * start at a word start and end at a word end (a phrase ending in a non-word character such as "?" or
 * "=" needs no right boundary). counts[i] receives phrase i's count (counts may be NULL). Returns the
 * total; *distinct (may be NULL) gets the number of phrases that occur at least once.
 */
size_t lf_text_match(const char *lower, size_t n, const char *const *phrases, size_t *counts, size_t *distinct);

/** lf_text_match, but with prefix != 0 no right word boundary is required ("photosynth" matches "photosynthesis"). */
size_t lf_text_match_ex(const char *lower, size_t n, const char *const *phrases, size_t *counts, size_t *distinct,
                        int prefix);

/** Is c a word character (ASCII letter/digit or a non-ASCII byte)? */
int lf_text_is_word_char(unsigned char c);

/** Clamp x into [0,1] (NaN -> 0). */
double lf_text_clamp01(double x);

#endif

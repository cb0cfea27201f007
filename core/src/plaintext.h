/*
 * core/src/plaintext.h - the prose of structured content, for scorers
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_PLAINTEXT_H
#define LF_CORE_PLAINTEXT_H

#include <jansson.h>

/**
 * Walk `content` (borrowed) in document order and collect its prose: each string value of an object is a
 * paragraph; an array of strings is one paragraph with one item per line; arrays of objects are walked
 * item by item. Paragraphs are joined by "\n\n". Numbers, booleans, empty strings and the values of
 * metadata keys (category, difficulty, difficulty_level, type, cue, speaker, section_number, id) are
 * skipped. Returns a fresh string (lf_free); "" when there is no prose.
 */
char *lf_plaintext_extract(const json_t *content);

#endif

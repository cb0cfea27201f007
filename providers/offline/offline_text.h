/*
 * providers/offline/offline_text.h - the offline provider's text banks, one register per age group
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_PROVIDERS_OFFLINE_OFFLINE_TEXT_H
#define LF_PROVIDERS_OFFLINE_OFFLINE_TEXT_H

#define OFFLINE_ASPECTS 10

/*
 * One register. Every string may contain "{T}", replaced by the topic. The ten aspects are the same
 * for every group (what it is, key words, how it works, examples, why it matters, misconceptions,
 * connections, evidence, applying it, open questions); titles, questions and answers are written at the
 * group's reading level: short sentences and everyday words for elementary, long sentences and
 * disciplinary vocabulary for college.
 */
struct offline_style {
    const char *id;
    const char *audience;
    const char *difficulty;      /* beginner | intermediate | advanced */
    int minutes_per_section;
    const char *intro;
    const char *conclusion;
    const char *objectives[3];   /* generic learning objectives */
    const char *titles[OFFLINE_ASPECTS];
    const char *questions[OFFLINE_ASPECTS]; /* each ends with "?" */
    const char *answers[OFFLINE_ASPECTS];
    const char *elaboration;     /* a sentence added to longer paragraphs */
    const char *exercise_prefix;
    const char *hint_prefix;
    const char *host_line;       /* podcast: how the host hands over */
};

/* The style of an age group id ("general" for NULL or an unknown id). */
const struct offline_style *offline_style_for(const char *age_group);

#endif

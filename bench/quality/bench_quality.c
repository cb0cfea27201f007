/*
 * bench/quality/bench_quality.c - time the whole quality pipeline on a generated 5,000-word study guide
 * SPDX-License-Identifier: MIT
 *
 * Usage: lf-bench-quality [runs=2000] [words=5000]. Loads the five bundled scorers from
 * LF_BUILD_DIR/lib/lafactoria/scorers, builds a deterministic study guide, and times lf_quality_assess()
 * (JSON serialisation for the plugins, plain-text extraction, all five scorers, weighting) per run.
 * Prints wall-clock mean, min, p50, p99 and max, and the thread's CPU time per run (unaffected by other
 * processes competing for the CPU), in microseconds.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "quality.h"

static const char *const sentences[] = {
    "Photosynthesis is the process by which green plants turn light energy into chemical energy.",
    "For example, a leaf in bright sunlight makes more sugar than a leaf in the shade.",
    "Have you ever wondered why most leaves are green?",
    "Chlorophyll absorbs red and blue light and reflects green light back to our eyes.",
    "The light-dependent reactions take place in the thylakoid membranes of the chloroplast.",
    "Research suggests that some plants can adjust the size of their leaves to the light they receive.",
    "In the Calvin cycle, the plant fixes carbon dioxide from the air into three-carbon sugars.",
    "You can try a simple experiment at home with a jar of pond weed and a lamp.",
    "Count the bubbles of oxygen that rise each minute and compare bright and dim light.",
    "If 6 + 6 = 12 molecules of water are split, the plant releases oxygen as a by-product.",
    "Scientists believe that early photosynthetic bacteria changed the atmosphere of the whole planet.",
    "Explain in your own words how energy flows from the sun to the food on your plate.",
};
#define NSENT (sizeof(sentences) / sizeof(sentences[0]))

static size_t words_of(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int w = *s != ' ' && *s != '\n';
        n += w && !in;
        in = w;
    }
    return n;
}

/* Append sentences to *buf until it holds `target` more words; paragraphs of 5 sentences. */
static char *prose(size_t target, size_t *cursor, size_t *words)
{
    size_t cap = target * 12 + 64, len = 0, got = 0, k = 0;
    char *b = malloc(cap);
    b[0] = '\0';
    while (got < target) {
        const char *s = sentences[(*cursor)++ % NSENT];
        size_t l = strlen(s);
        if (len + l + 3 >= cap) {
            cap *= 2;
            b = realloc(b, cap);
        }
        if (len > 0) {
            k++;
            const char *sep = k % 5 == 0 ? "\n\n" : " ";
            memcpy(b + len, sep, strlen(sep));
            len += strlen(sep);
        }
        memcpy(b + len, s, l + 1);
        len += l;
        got += words_of(s);
    }
    *words += got;
    return b;
}

static json_t *study_guide(size_t target_words, size_t *words)
{
    size_t cur = 0;
    json_t *g = json_object();
    json_object_set_new(g, "title", json_string("Photosynthesis: how plants make food"));
    json_t *lo = json_array();
    json_array_append_new(lo, json_string("Explain how light energy becomes chemical energy"));
    json_array_append_new(lo, json_string("Describe the role of chlorophyll"));
    json_array_append_new(lo, json_string("Compare the light-dependent reactions and the Calvin cycle"));
    json_array_append_new(lo, json_string("Design an experiment that measures the rate of photosynthesis"));
    json_object_set_new(g, "learning_objectives", lo);
    char *p = prose(120, &cur, words);
    json_object_set_new(g, "overview", json_string(p));
    free(p);
    json_t *kc = json_array();
    for (int i = 0; i < 10; i++) {
        p = prose(25, &cur, words);
        char term[32];
        snprintf(term, sizeof(term), "Concept %d", i + 1);
        json_array_append_new(kc, json_pack("{s:s,s:s}", "term", term, "explanation", p));
        free(p);
    }
    json_object_set_new(g, "key_concepts", kc);
    json_t *pe = json_array(), *aq = json_array();
    for (int i = 0; i < 6; i++) {
        p = prose(20, &cur, words);
        json_array_append_new(pe, json_string(p));
        free(p);
    }
    for (int i = 0; i < 8; i++) {
        p = prose(15, &cur, words);
        json_array_append_new(aq, json_pack("{s:s,s:s}", "question", "Why do leaves look green?", "answer", p));
        free(p);
    }
    json_object_set_new(g, "practice_exercises", pe);
    json_object_set_new(g, "assessment_questions", aq);
    p = prose(100, &cur, words);
    json_object_set_new(g, "summary", json_string(p));
    free(p);
    size_t rest = target_words > *words ? target_words - *words : 100;
    p = prose(rest, &cur, words);
    json_object_set_new(g, "detailed_content", json_string(p));
    free(p);
    return g;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *names[5] = {"readability", "structure", "pedagogy", "engagement", "factuality"};
    struct th_plugin p[5];
    struct lf_quality_scorer sc[5];
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    long target = argc > 2 ? strtol(argv[2], NULL, 10) : 5000;
    size_t words = 0;
    double scorer_us[5] = {0}, scorer_min[5] = {1e18, 1e18, 1e18, 1e18, 1e18};

    if (runs < 1 || target < 100) {
        fprintf(stderr, "usage: %s [runs>=1] [words>=100]\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < 5; i++) {
        if (th_load(LF_BUILD_DIR "/lib/lafactoria/scorers", names[i], &p[i]) != 0) {
            fprintf(stderr, "cannot load scorer %s\n", names[i]);
            return 1;
        }
        sc[i] = (struct lf_quality_scorer){names[i], NULL, p[i].desc, p[i].state, 0};
    }
    json_t *guide = study_guide((size_t)target, &words);
    json_t *objectives = json_loads("[{\"subject_area\":\"Biology\",\"specific_skill\":\"photosynthesis\","
                                    "\"measurable_outcome\":\"explain the Calvin cycle\","
                                    "\"cognitive_level\":\"understanding\"}]",
                                    0, NULL);
    uint64_t *t = malloc((size_t)runs * sizeof(*t));
    uint64_t *cpu = malloc((size_t)runs * sizeof(*cpu));
    double overall = 0;
    json_t *first = NULL;

    for (long r = -10; r < runs; r++) { /* 10 warm-up runs */
        uint64_t c0 = cpu_ns();
        uint64_t t0 = now_ns();
        json_t *m = lf_quality_assess(sc, 5, NULL, "study_guide", "high_school", guide, objectives, NULL, 1, NULL, NULL,
                                      &overall, NULL);
        uint64_t t1 = now_ns();
        uint64_t c1 = cpu_ns();
        if (r >= 0) {
            t[r] = t1 - t0;
            cpu[r] = c1 - c0;
            json_t *list = json_object_get(m, "scorers");
            for (size_t i = 0; i < 5; i++) {
                double d = (double)json_integer_value(json_object_get(json_array_get(list, i), "duration_us"));
                scorer_us[i] += d;
                if (d < scorer_min[i])
                    scorer_min[i] = d;
            }
        }
        if (first == NULL)
            first = m;
        else
            json_decref(m);
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp_u64);
    qsort(cpu, (size_t)runs, sizeof(*cpu), cmp_u64);
    double sum = 0, csum = 0;
    for (long r = 0; r < runs; r++) {
        sum += (double)t[r];
        csum += (double)cpu[r];
    }
    size_t p99 = (size_t)((double)runs * 0.99);
    if (p99 >= (size_t)runs)
        p99 = (size_t)runs - 1;
    printf("study guide: %zu words (generator count), %ld runs\n", words, runs);
    printf("readability words counted: %lld\n",
           (long long)json_integer_value(json_object_get(json_object_get(first, "readability"), "words")));
    printf("pipeline per run: mean %.1f us, min %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us\n",
           sum / (double)runs / 1000.0, (double)t[0] / 1000.0, (double)t[runs / 2] / 1000.0, (double)t[p99] / 1000.0,
           (double)t[runs - 1] / 1000.0);
    printf("thread CPU time per run: mean %.1f us, p50 %.1f us, p99 %.1f us\n", csum / (double)runs / 1000.0,
           (double)cpu[runs / 2] / 1000.0, (double)cpu[p99] / 1000.0);
    for (size_t i = 0; i < 5; i++)
        printf("  %-12s mean %.1f us, min %.0f us (from duration_us)\n", names[i], scorer_us[i] / (double)runs,
               scorer_min[i]);
    char *dump = json_dumps(first, JSON_COMPACT);
    printf("overall %.3f\nquality_metrics (first run): %.600s...\n", overall, dump);
    free(dump);
    json_decref(first);
    json_decref(guide);
    json_decref(objectives);
    free(t);
    free(cpu);
    for (size_t i = 0; i < 5; i++)
        th_unload(&p[i]);
    return 0;
}

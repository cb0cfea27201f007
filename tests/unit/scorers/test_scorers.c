/*
 * tests/unit/scorers/test_scorers.c - golden and property tests of the five bundled scorer plugins (loaded with dlopen)
 * SPDX-License-Identifier: MIT
 *
 * Every golden expectation below is computed by hand in the comment next to it, from the formulas in the
 * plugins' README.md files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../../scorers/common/text.h"
#include "harness.h"

#define SCORER_DIR LF_BUILD_DIR "/lib/lafactoria/scorers"
#define EPS 1e-4

static struct th_plugin rd, st, pe, en, fa;

static int setup(void **unused)
{
    (void)unused;
    if (th_load(SCORER_DIR, "readability", &rd) || th_load(SCORER_DIR, "structure", &st) ||
        th_load(SCORER_DIR, "pedagogy", &pe) || th_load(SCORER_DIR, "engagement", &en) ||
        th_load(SCORER_DIR, "factuality", &fa))
        return -1;
    return 0;
}

static int teardown(void **unused)
{
    (void)unused;
    th_unload(&rd);
    th_unload(&st);
    th_unload(&pe);
    th_unload(&en);
    th_unload(&fa);
    return 0;
}

static double score1(const struct th_plugin *p, const char *type, const char *age, const char *content,
                     const char *text, const char *objectives, int schema_valid, const char *errors, const char *dim)
{
    double v;
    assert_int_equal(th_score(p, type, age, content, text, objectives, schema_valid, errors, dim, &v, NULL), LF_OK);
    return v;
}

/* ---- shared text helpers ---- */

static void test_syllables(void **unused)
{
    (void)unused;
    static const struct {
        const char *w;
        int n;
    } cases[] = {
        {"the", 1},   {"cat", 1},    {"table", 2}, /* "-le" after a consonant keeps its syllable */
        {"make", 1},  {"whale", 1},  {"free", 1},  /* silent final e; "ee" is one vowel group */
        {"jumped", 1}, {"wanted", 2}, {"makes", 1}, {"boxes", 2}, /* -ed/-es rules */
        {"energy", 3}, {"beautiful", 3}, {"video", 3}, {"nation", 2}, /* y, vowel groups, hiatus "eo", "tion" */
        {"radiation", 4}, /* ra-di-a-tion: groups a, ia, io = 3, hiatus "ia" after d +1 */
        {"photosynthesis", 5}, /* o, o, y, e, i */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = lf_text_syllables(cases[i].w, strlen(cases[i].w));
        if (got != cases[i].n)
            fail_msg("syllables(%s) = %d, expected %d", cases[i].w, got, cases[i].n);
    }
}

static void test_text_stats(void **unused)
{
    (void)unused;
    struct lf_text_stats s;
    /* "e.g." and "3.14" do not end sentences; the newline does; the blank line splits paragraphs. */
    const char *t = "Pi is about 3.14 e.g. in circles. Is it?\nTitle line\n\nNew paragraph here!";
    lf_text_analyze(t, strlen(t), &s);
    /* words: Pi is about 3.14 e.g in circles (7) Is it (2) Title line (2) New paragraph here (3) = 14 */
    assert_int_equal(s.words, 14);
    assert_int_equal(s.sentences, 4);
    assert_int_equal(s.questions, 1);
    assert_int_equal(s.exclamations, 1);
    assert_int_equal(s.paragraphs, 2);
}

/* ---- readability ---- */

static void test_readability_golden(void **unused)
{
    (void)unused;
    char *details = NULL;
    double v;
    /*
     * "The cat sat on the mat. The dog ran." 9 words, 2 sentences, 9 syllables (all words <= 3 letters).
     * wps = 4.5, spw = 1.0; FRE = 206.835 - 1.015*4.5 - 84.6 = 117.6675 -> 117.7;
     * FK = 0.39*4.5 + 11.8 - 15.59 = -2.035 -> -2.0.
     * elementary band [1,5]: below by 3.035 -> 1 - 0.08*3.035 = 0.7572.
     */
    const char *easy = "The cat sat on the mat. The dog ran.";
    assert_int_equal(th_score(&rd, "study_guide", "elementary", "{}", easy, NULL, 1, NULL, "age_appropriateness", &v,
                              &details),
                     LF_OK);
    assert_float_equal(v, 0.7572, EPS);
    json_t *d = json_loads(details, 0, NULL);
    assert_non_null(d);
    json_t *r = json_object_get(d, "readability");
    assert_float_equal(json_real_value(json_object_get(r, "flesch_reading_ease")), 117.7, 1e-9);
    assert_float_equal(json_real_value(json_object_get(r, "flesch_kincaid_grade")), -2.0, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "readability"), "words")), 9);
    assert_non_null(json_object_get(json_object_get(d, "cognitive_load"), "intrinsic"));
    json_decref(d);
    free(details);
    /* college band [11,16]: 1 - 0.08*(11 + 2.035) = -0.04 -> floor 0.6 */
    assert_float_equal(score1(&rd, NULL, "college", "{}", easy, NULL, 1, NULL, "age_appropriateness"), 0.6, EPS);

    /*
     * "Photosynthesis transforms electromagnetic radiation into chemical energy." 7 words, 1 sentence,
     * syllables 5+2+6+4+2+3+3 = 25; FK = 0.39*7 + 11.8*25/7 - 15.59 = 29.28 > 12 (high school) by 17.28
     * -> 1 - 17.28/6 < 0 -> 0.
     */
    assert_float_equal(score1(&rd, NULL, "high_school", "{}",
                              "Photosynthesis transforms electromagnetic radiation into chemical energy.", NULL, 1,
                              NULL, "age_appropriateness"),
                       0.0, EPS);
    /* Inside the band: "Students compare results carefully." 4 words, 1 sentence, syllables 2+2+2+4 = 10
     * (the counter gives "carefully" 4: groups a, e, u, y; a mid-word silent e is a known limit):
     * FK = 0.39*4 + 11.8*2.5 - 15.59 = 1.56 + 29.5 - 15.59 = 15.47 -> college band [11,16] -> 1.0 */
    assert_float_equal(score1(&rd, NULL, "college", "{}", "Students compare results carefully.", NULL, 1, NULL,
                              "age_appropriateness"),
                       1.0, EPS);
    /* empty text: nothing to read -> 0 */
    assert_float_equal(score1(&rd, NULL, "general", "{}", "", NULL, 1, NULL, "age_appropriateness"), 0.0, EPS);
}

static void readability_figures(const char *text, double *fre, double *fk)
{
    char *details = NULL;
    double v;
    assert_int_equal(th_score(&rd, NULL, "general", "{}", text, NULL, 1, NULL, "age_appropriateness", &v, &details),
                     LF_OK);
    json_t *d = json_loads(details, 0, NULL);
    json_t *r = json_object_get(d, "readability");
    *fre = json_real_value(json_object_get(r, "flesch_reading_ease"));
    *fk = json_real_value(json_object_get(r, "flesch_kincaid_grade"));
    json_decref(d);
    free(details);
}

/* Property: splitting sentences (same words) never makes a text read harder. */
static void test_readability_monotone(void **unused)
{
    (void)unused;
    static const char *longs[] = {
        "Plants capture sunlight in their leaves, and they turn water and carbon dioxide into sugar, and they "
        "release oxygen into the air, which animals then breathe in order to live, and the cycle repeats.",
        "The committee considered the proposal carefully, debated its implications extensively, and eventually "
        "concluded that additional investigation would be necessary before any recommendation could be issued.",
    };
    for (size_t i = 0; i < 2; i++) {
        char shorter[1024];
        double fre1, fk1, fre2, fk2;
        snprintf(shorter, sizeof(shorter), "%s", longs[i]);
        readability_figures(shorter, &fre1, &fk1);
        for (char *p = shorter; (p = strstr(p, ", and ")) != NULL;) {
            p[0] = '.';
            p[2] = 'A';
            readability_figures(shorter, &fre2, &fk2);
            assert_true(fre2 >= fre1 - 0.05);
            assert_true(fk2 <= fk1 + 0.05);
            fre1 = fre2;
            fk1 = fk2;
        }
        /* age score for elementary: monotone while the grade is above the band */
        double before = score1(&rd, NULL, "elementary", "{}", longs[i], NULL, 1, NULL, "age_appropriateness");
        double after = score1(&rd, NULL, "elementary", "{}", shorter, NULL, 1, NULL, "age_appropriateness");
        assert_true(after >= before);
    }
}

/* ---- structure ---- */

static const char *faq_ok =
    "{\"title\":\"Plants FAQ\",\"items\":["
    "{\"question\":\"What is a leaf?\",\"answer\":\"A plant organ.\"},"
    "{\"question\":\"Why are leaves green?\",\"answer\":\"Chlorophyll.\"},"
    "{\"question\":\"Do roots drink?\",\"answer\":\"They absorb water.\"},"
    "{\"question\":\"What is a stem?\",\"answer\":\"A support.\"},"
    "{\"question\":\"Can plants move?\",\"answer\":\"Slowly, yes.\"}]}";

static void test_structure_golden(void **unused)
{
    (void)unused;
    /* faq: title (1), 5 items in 5-15 (1), items complete (1), 5/5 end with "?" (1), no empty leaf (1):
     * checks = 1; schema valid -> 0.5*1 + 0.5*1 = 1.0 */
    assert_float_equal(score1(&st, "faq_collection", "general", faq_ok, "", NULL, 1, NULL, "structural_quality"), 1.0,
                       EPS);
    /* one question without "?" and schema invalid with 2 errors: schema = 1 - 0.25*2 = 0.5;
     * checks = (1 + 1 + 1 + 4/5 + 1)/5 = 0.96 -> 0.5*0.5 + 0.5*0.96 = 0.73 */
    char bad[2048];
    snprintf(bad, sizeof(bad), "%s", faq_ok);
    char *q = strstr(bad, "Do roots drink?");
    q[strlen("Do roots drink")] = '.';
    assert_float_equal(score1(&st, "faq_collection", "general", bad, "", NULL, 0, "[\"e1\",\"e2\"]",
                              "structural_quality"),
                       0.73, EPS);
    /* unknown type: schema only -> valid 1.0, invalid with one error 0.75 */
    assert_float_equal(score1(&st, "poem", "general", "{\"x\":1}", "", NULL, 1, NULL, "structural_quality"), 1.0, EPS);
    assert_float_equal(score1(&st, "poem", "general", "{\"x\":1}", "", NULL, 0, "[\"e\"]", "structural_quality"), 0.75,
                       EPS);
    /* unknown type and unknown validity: empty-leaf check only: {"a":"x","b":""} -> 1 - 1/2 = 0.5 */
    assert_float_equal(score1(&st, "poem", "general", "{\"a\":\"x\",\"b\":\"\"}", "", NULL, -1, NULL,
                              "structural_quality"),
                       0.5, EPS);
    /*
     * outline, validity unknown: title (1), overview of 44 chars >= 40 (1), 3 objectives (1), objectives
     * complete (1), 3 sections (1), sections complete (1), numbered 1,2,4 -> 2/3, no empty leaf: leaves =
     * title, overview, 3 objectives, 3x(title, description) = 11 strings (numbers are not leaves) -> 1.
     * checks = (7 + 2/3)/8 = 0.958333 -> schema unknown -> 0.958333
     */
    const char *outline =
        "{\"title\":\"Plants\",\"overview\":\"An overview of how plants live and grow well.\","
        "\"learning_objectives\":[\"a\",\"b\",\"c\"],\"sections\":["
        "{\"section_number\":1,\"title\":\"A\",\"description\":\"d\"},"
        "{\"section_number\":2,\"title\":\"B\",\"description\":\"d\"},"
        "{\"section_number\":4,\"title\":\"C\",\"description\":\"d\"}]}";
    assert_float_equal(score1(&st, "master_content_outline", "general", outline, "", NULL, -1, NULL,
                              "structural_quality"),
                       (7.0 + 2.0 / 3.0) / 8.0, EPS);
    /*
     * podcast with main_content instead of segments, validity unknown: title, introduction (>= 40),
     * main_content (>= 200), conclusion (>= 40), duration > 0, no empty leaf -> 6/6 = 1.0; with a duration
     * of 0 -> 5/6 = 0.833333.
     */
    char pod[1024], prose[256];
    memset(prose, 'a', 220);
    prose[220] = '\0';
    const char *intro = "An introduction that is long enough to count.";
    snprintf(pod, sizeof(pod),
             "{\"title\":\"Pod\",\"introduction\":\"%s\",\"main_content\":\"%s\",\"conclusion\":\"%s\","
             "\"estimated_duration_minutes\":10}",
             intro, prose, intro);
    assert_float_equal(score1(&st, "podcast_script", "general", pod, "", NULL, -1, NULL, "structural_quality"), 1.0,
                       EPS);
    char *ten = strstr(pod, ":10}");
    memcpy(ten, ":0} ", 4);
    assert_float_equal(score1(&st, "podcast_script", "general", pod, "", NULL, -1, NULL, "structural_quality"),
                       5.0 / 6.0, EPS);
    double v;
    assert_int_not_equal(th_score(&st, "faq_collection", "general", "{not json", "", NULL, 1, NULL,
                                  "structural_quality", &v, NULL),
                         LF_OK);
}

/* ---- pedagogy ---- */

static void test_pedagogy_golden(void **unused)
{
    (void)unused;
    /*
     * A measurable: "explain ..." yes, "understand ..." no, "compare ..." yes -> 2/3.
     * B Bloom: actionable text holds explain (understand, L1) and compare (analyze, L3); high_school expects
     *   L1..L4 (4 levels, capped at 3) -> 2/3; nothing above.
     * C study_guide: examples = min(1, cues/3) with cues "for example" + "example" = 2 -> 2/3; practice
     *   present 1; answers 1/1 -> (2/3 + 1 + 1)/3 = 0.888889.
     * D not applicable (no requested objectives).
     * (0.25*2/3 + 0.2*2/3 + 0.3*0.888889)/0.75 = 0.755556
     */
    const char *sg = "{\"learning_objectives\":[\"Explain how plants make food\",\"Understand photosynthesis\","
                     "\"Compare light and dark reactions\"],\"practice_exercises\":[\"Draw a leaf\"],"
                     "\"assessment_questions\":[{\"question\":\"What is chlorophyll?\",\"answer\":\"A pigment.\"}]}";
    assert_float_equal(score1(&pe, "study_guide", "high_school", sg, "Plants make food, for example sugar.", NULL, 1,
                              NULL, "educational_effectiveness"),
                       0.755556, EPS);
    /*
     * Coverage: objective keywords (>= 4 letters, not stop words, cut to 7): biology, photosy, process,
     * describ, chlorop, role = 6; text has photosy, describ, chlorop, role = 4; cognitive_level
     * "understanding" counts as one more item, present (describe) -> 5/7 = 0.714286.
     * B: no actionable text -> whole prose: use (L2), describe (L1); general expects L1..L3 -> 2/3.
     * C: detailed_reading_material -> examples = 0 cues -> 0. A not applicable.
     * (0.2*2/3 + 0.3*0 + 0.25*5/7)/0.75 = 0.415873
     */
    const char *obj = "[{\"subject_area\":\"Biology\",\"specific_skill\":\"photosynthesis process\","
                      "\"measurable_outcome\":\"describe chlorophyll role\",\"cognitive_level\":\"understanding\"}]";
    assert_float_equal(score1(&pe, "detailed_reading_material", "general", "{}",
                              "Plants use chlorophyll in photosynthesis. Describe the role of light.", obj, 1, NULL,
                              "educational_effectiveness"),
                       0.415873, EPS);
}

/* Bloom's levels against the age group, including the penalty for levels far above it. */
static void test_pedagogy_bloom_ages(void **unused)
{
    (void)unused;
    const char *text = "Evaluate and design a plan. Define the word.";
    /*
     * No actionable text in {} -> the prose: evaluate (L4), design and plan (L5), define (L0).
     * elementary expects L0..L2: hits 1 (L0); above = levels > 3: L4, L5 = 2; B = 1/3 - 0.2 = 0.133333.
     * C (reading material) = example cues 0 -> 0; A, D not applicable: (0.2*0.133333)/0.5 = 0.053333.
     */
    assert_float_equal(score1(&pe, "detailed_reading_material", "elementary", "{}", text, NULL, 1, NULL,
                              "educational_effectiveness"),
                       0.053333, EPS);
    /* college expects L2..L5 (4 levels, capped at 3): hits L4, L5 = 2 -> B = 2/3; (0.2*2/3)/0.5 = 0.266667 */
    assert_float_equal(score1(&pe, "detailed_reading_material", "college", "{}", text, NULL, 1, NULL,
                              "educational_effectiveness"),
                       0.266667, EPS);
}

/* ---- engagement ---- */

static void test_engagement_golden(void **unused)
{
    (void)unused;
    /*
     * "Have you ever seen a rainbow? For example, after rain you can see one in real life."
     * 17 words, 2 sentences (6 and 11 words), 1 question. Cues: example 2 ("for example", "example"),
     * real world 1 ("real life"), address 2 ("you" x2). per 1000 words factor 1000/17 = 58.82.
     * q = min(1, 0.5/0.08) = 1; ex = min(1, 2*58.82/6) = 1; rw = min(1, 58.82/4) = 1;
     * ad = min(1, 2*58.82/25) = 1; variety: mean 8.5, sd 2.5, cv 0.294118 -> 0.588235.
     * 0.25 + 0.2 + 0.2 + 0.2 + 0.15*0.588235 = 0.938235
     */
    assert_float_equal(score1(&en, NULL, "general", "{}",
                              "Have you ever seen a rainbow? For example, after rain you can see one in real life.",
                              NULL, 1, NULL, "engagement"),
                       0.938235, EPS);
    /* flat text: no question, cue, address; equal sentence lengths -> 0 */
    assert_float_equal(score1(&en, NULL, "general", "{}", "The cell is small. The cell is round.", NULL, 1, NULL,
                              "engagement"),
                       0.0, EPS);
}

/* ---- factuality ---- */

static void test_factuality_golden(void **unused)
{
    (void)unused;
    /* base 0.9; one wrong equation -0.3 -> 0.6 */
    assert_float_equal(score1(&fa, NULL, "general", "{}", "Plants make food. 2 + 2 = 5.", NULL, 1, NULL,
                              "factual_accuracy"),
                       0.6, EPS);
    /* correct equations cost nothing: 0.9 */
    assert_float_equal(score1(&fa, NULL, "general", "{}", "We know 2 + 2 = 4 and 10 / 4 = 2.5 and 7 × 6 = 42.",
                              NULL, 1, NULL, "factual_accuracy"),
                       0.9, EPS);
    /* misconception -0.35, hedge "research suggests" +0.02, 3 x 4 = 12 correct: 0.9 + 0.02 - 0.35 = 0.57 */
    assert_float_equal(score1(&fa, NULL, "general", "{}", "The earth is flat. Research suggests that 3 × 4 = 12.",
                              NULL, 1, NULL, "factual_accuracy"),
                       0.57, EPS);
    /* contradiction "water is wet" / "water is not wet": 0.9 - 0.2 = 0.7 */
    assert_float_equal(score1(&fa, NULL, "general", "{}", "Water is wet. Water is not wet.", NULL, 1, NULL,
                              "factual_accuracy"),
                       0.7, EPS);
    /* two absolutes ("always true", "everyone knows"): 0.9 - 0.2 = 0.7 */
    assert_float_equal(score1(&fa, NULL, "general", "{}", "This is always true and everyone knows it.", NULL, 1, NULL,
                              "factual_accuracy"),
                       0.7, EPS);
    /* hedges {according to, likely} = 2, citations {according to, study published, journal of} = 3:
     * bonus min(0.1, 0.04 + 0.09) = 0.1 -> 1.0 */
    assert_float_equal(score1(&fa, NULL, "general", "{}",
                              "According to a study published in the Journal of Botany, plants likely grow faster.",
                              NULL, 1, NULL, "factual_accuracy"),
                       1.0, EPS);
}

/* ---- properties over all scorers ---- */

static const char *sample_texts[] = {
    "",
    "Short.",
    "Have you ever wondered why the sky is blue? Light scatters. For example, blue light scatters more.\n\nTry it!",
    "The mitochondria is the powerhouse of the cell. The earth is flat. 2 + 2 = 5. Everyone knows this.",
    "Éléphants? Ünïcödé wörds… “quoted text.” 1,000 apples and 3.5 pears = 1003.5 fruit.",
};
static const char *ages[] = {"elementary", "middle_school", "high_school", "college", "adult_learning", "general",
                             NULL, "unknown"};

static void test_properties(void **unused)
{
    (void)unused;
    struct {
        struct th_plugin *p;
        const char *dim;
    } all[] = {{&rd, "age_appropriateness"},
               {&st, "structural_quality"},
               {&pe, "educational_effectiveness"},
               {&en, "engagement"},
               {&fa, "factual_accuracy"}};
    const char *types[] = {"study_guide", "faq_collection", "flashcards", "master_content_outline", "x", NULL};
    for (size_t a = 0; a < 5; a++)
        for (size_t t = 0; t < sizeof(sample_texts) / sizeof(sample_texts[0]); t++)
            for (size_t g = 0; g < sizeof(ages) / sizeof(ages[0]); g++)
                for (size_t ty = 0; ty < sizeof(types) / sizeof(types[0]); ty++) {
                    double v1, v2;
                    char *d1 = NULL, *d2 = NULL;
                    assert_int_equal(th_score(all[a].p, types[ty], ages[g], faq_ok, sample_texts[t], NULL, 1, NULL,
                                              all[a].dim, &v1, &d1),
                                     LF_OK);
                    assert_int_equal(th_score(all[a].p, types[ty], ages[g], faq_ok, sample_texts[t], NULL, 1, NULL,
                                              all[a].dim, &v2, &d2),
                                     LF_OK);
                    assert_false(isnan(v1));
                    assert_true(v1 >= 0.0 && v1 <= 1.0);
                    assert_true(v1 == v2); /* deterministic */
                    assert_string_equal(d1 ? d1 : "", d2 ? d2 : "");
                    if (d1 != NULL) {
                        json_t *j = json_loads(d1, 0, NULL);
                        assert_true(json_is_object(j)); /* details are valid JSON */
                        json_decref(j);
                    }
                    free(d1);
                    free(d2);
                }
}

/* Property: adding a red flag never raises the factuality score. */
static void test_factuality_monotone(void **unused)
{
    (void)unused;
    const char *base = "Plants are green. According to researchers, they likely grow faster in spring.";
    const char *flags[] = {" The earth is flat.", " 3 + 3 = 7.", " It is a proven fact.", " Plants are not green."};
    char text[1024];
    double prev = score1(&fa, NULL, "general", "{}", base, NULL, 1, NULL, "factual_accuracy");
    snprintf(text, sizeof(text), "%s", base);
    for (size_t i = 0; i < 4; i++) {
        strncat(text, flags[i], sizeof(text) - strlen(text) - 1);
        double v = score1(&fa, NULL, "general", "{}", text, NULL, 1, NULL, "factual_accuracy");
        if (!(v < prev))
            fail_msg("adding \"%s\" gave %f, before %f", flags[i], v, prev);
        prev = v;
    }
}

/* Robustness: pseudo-random text and JSON-ish input never crash a scorer (run under ASan/UBSan too). */
static void test_robustness(void **unused)
{
    (void)unused;
    static const char alphabet[] = "ab e.?!=+-x*/0123456789 \n\t\"\\{}[]:,\xc3\x97\xe2\x88\x92is not are";
    struct th_plugin *all[] = {&rd, &st, &pe, &en, &fa};
    const char *dims[] = {"age_appropriateness", "structural_quality", "educational_effectiveness", "engagement",
                          "factual_accuracy"};
    uint32_t seed = 12345;
    char buf[600];
    for (int round = 0; round < 400; round++) {
        size_t len = 0, want = (size_t)(round % 37) * 16;
        for (; len < want && len < sizeof(buf) - 1; len++) {
            seed = seed * 1103515245u + 12345u;
            buf[len] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        buf[len] = '\0';
        for (size_t a = 0; a < 5; a++) {
            double v;
            char *d = NULL;
            /* as prose, and as (mostly invalid) content JSON and objectives */
            int rc = th_score(all[a], "study_guide", "general", "{}", buf, NULL, 1, NULL, dims[a], &v, &d);
            assert_int_equal(rc, LF_OK);
            assert_true(v >= 0.0 && v <= 1.0);
            free(d);
            d = NULL;
            rc = th_score(all[a], "faq_collection", "college", buf, buf, buf, 0, buf, dims[a], &v, &d);
            if (rc == LF_OK)
                assert_true(v >= 0.0 && v <= 1.0);
            free(d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syllables),
        cmocka_unit_test(test_text_stats),
        cmocka_unit_test(test_readability_golden),
        cmocka_unit_test(test_readability_monotone),
        cmocka_unit_test(test_structure_golden),
        cmocka_unit_test(test_pedagogy_golden),
        cmocka_unit_test(test_pedagogy_bloom_ages),
        cmocka_unit_test(test_engagement_golden),
        cmocka_unit_test(test_factuality_golden),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_factuality_monotone),
        cmocka_unit_test(test_robustness),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

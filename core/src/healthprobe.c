/*
 * core/src/healthprobe.c - active health probes of providers (plugin build_probe), results feed the breakers
 * SPDX-License-Identifier: MIT
 */
#include "healthprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "registry.h"
#include "router.h"
#include "runtime.h"
#include "server.h"
#include "upstream.h"
#include "util.h"

#define MODULE "healthprobe"
#define TICK_MS 100
#define MAX_PROBED 64

struct probe {
    char *name;           /* provider instance name */
    uint64_t next_ms;     /* monotonic: when the next probe is due */
    struct lf_upstream_call *call; /* in flight, or NULL */
    struct lf_registry *reg;       /* reference held while in flight (keeps p->rt alive) */
    struct lf_provider_rt *rt;
    struct lf_circuit_permit permit;
    struct lf_http_request hreq;
};

/* worker 0 only: everything below is touched by that one thread */
static struct lf_worker *probe_worker;
static struct probe probes[MAX_PROBED];
static size_t nprobes;
static h2o_timeout_entry_t tick_entry;

static void free_hreq(struct lf_http_request *r)
{
    free(r->url);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static struct probe *probe_for(const char *name)
{
    for (size_t i = 0; i < nprobes; ++i)
        if (strcmp(probes[i].name, name) == 0)
            return &probes[i];
    if (nprobes == MAX_PROBED)
        return NULL;
    struct probe *pr = &probes[nprobes++];
    memset(pr, 0, sizeof(*pr));
    pr->name = lf_strdup(name);
    return pr;
}

/* Retry-After in ms from a raw header block (seconds only), 0 when absent */
static uint32_t retry_after_ms(const char *headers)
{
    for (const char *h = headers; h != NULL && *h; ) {
        if (strncasecmp(h, "retry-after:", 12) == 0) {
            long s = strtol(h + 12, NULL, 10);
            return s > 0 && s < 86400 ? (uint32_t)s * 1000u : 0;
        }
        h = strchr(h, '\n');
        if (h != NULL)
            h++;
    }
    return 0;
}

static void on_probe_done(void *ctx, const struct lf_upstream_result *res)
{
    struct probe *pr = ctx;
    uint32_t failure = LF_FAILURE_NONE, ra = 0;
    char msg[160];
    msg[0] = 0;
    if (res->status == 0) {
        failure = res->failure ? (uint32_t)res->failure : LF_FAILURE_CONNECT_ERROR;
        snprintf(msg, sizeof(msg), "health probe: %s", res->error ? res->error : "no answer");
    } else if (res->status < 200 || res->status >= 300) {
        if (res->status == 401 || res->status == 403)
            failure = LF_FAILURE_AUTH_ERROR;
        else if (res->status == 429) {
            failure = LF_FAILURE_RATE_LIMITED;
            ra = retry_after_ms(res->headers);
        } else if (res->status == 408 || res->status == 504)
            failure = LF_FAILURE_TIMEOUT;
        else if (res->status >= 500)
            failure = LF_FAILURE_UPSTREAM_5XX;
        else
            failure = LF_FAILURE_INVALID_RESPONSE;
        snprintf(msg, sizeof(msg), "health probe: HTTP %d", res->status);
    }
    lf_circuit_record(pr->rt->circuit, &pr->permit, failure, ra, failure ? msg : NULL, lf_wall_ms());
    if (failure != LF_FAILURE_NONE)
        lf_log_fields(LF_LOG_LVL_DEBUG, MODULE, json_pack("{s:s,s:i}", "provider", pr->name, "status", res->status),
                      "health probe of \"%s\" failed: %s", pr->name, msg);
    pr->call = NULL;
    free_hreq(&pr->hreq);
    lf_registry_release(pr->reg);
    pr->reg = NULL;
    pr->rt = NULL;
}

static void start_probe(struct probe *pr, struct lf_registry *reg, struct lf_provider *p, uint64_t now_wall)
{
    if (!lf_circuit_acquire(p->rt->circuit, now_wall, &pr->permit))
        return; /* open and cooling down (or another request holds the half-open probe) */
    memset(&pr->hreq, 0, sizeof(pr->hreq));
    pr->hreq.struct_size = sizeof(pr->hreq);
    if (p->plugin->desc.build_probe(p->state, &pr->hreq) != LF_OK || pr->hreq.url == NULL) {
        lf_circuit_cancel(p->rt->circuit, &pr->permit);
        free_hreq(&pr->hreq);
        return;
    }
    uint32_t timeout = pr->hreq.timeout_ms ? pr->hreq.timeout_ms : 5000;
    atomic_fetch_add(&reg->refs, 1);
    pr->reg = reg;
    pr->rt = p->rt;
    struct lf_upstream_opts uo = {(enum lf_upstream_http)p->conf->http_version, p->conf->tls_ca_file};
    pr->call = lf_upstream_start(probe_worker->upstream, &pr->hreq, timeout, &uo, on_probe_done, NULL, pr);
    if (pr->call == NULL) {
        struct lf_upstream_result r;
        memset(&r, 0, sizeof(r));
        r.failure = LF_FAILURE_CONNECT_ERROR;
        r.error = "could not start the probe";
        on_probe_done(pr, &r);
    }
}

static void on_tick(h2o_timeout_entry_t *e)
{
    (void)e;
    struct lf_registry *reg = lf_registry_acquire();
    uint64_t now = lf_now_ms(), wall = lf_wall_ms();
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        if (p->conf == NULL || p->conf->health_probe_interval_ms <= 0 || p->plugin == NULL ||
            p->plugin->desc.build_probe == NULL || p->rt == NULL || p->state == NULL)
            continue;
        int en, prio;
        double w;
        lf_runtime_provider_effective(p, &en, &prio, &w);
        if (!en)
            continue;
        struct probe *pr = probe_for(p->name);
        if (pr == NULL || pr->call != NULL || now < pr->next_ms)
            continue;
        pr->next_ms = now + (uint64_t)p->conf->health_probe_interval_ms;
        start_probe(pr, reg, p, wall);
    }
    lf_registry_release(reg);
    h2o_timeout_link(probe_worker->ctx.loop, lf_worker_timeout(probe_worker, TICK_MS), &tick_entry);
}

void lf_healthprobe_start(struct lf_worker *w)
{
    if (w->id != 0)
        return;
    probe_worker = w;
    memset(&tick_entry, 0, sizeof(tick_entry));
    tick_entry.cb = on_tick;
    h2o_timeout_link(w->ctx.loop, lf_worker_timeout(w, TICK_MS), &tick_entry);
}

void lf_healthprobe_stop(struct lf_worker *w)
{
    /* only worker 0 owns the probes; deciding by id avoids reading probe_worker from other threads */
    if (w->id != 0 || w != probe_worker)
        return;
    if (h2o_timeout_is_linked(&tick_entry))
        h2o_timeout_unlink(&tick_entry);
    for (size_t i = 0; i < nprobes; ++i) {
        struct probe *pr = &probes[i];
        if (pr->call != NULL) {
            lf_upstream_cancel(pr->call);
            pr->call = NULL;
            lf_circuit_cancel(pr->rt->circuit, &pr->permit);
            free_hreq(&pr->hreq);
            lf_registry_release(pr->reg);
            pr->reg = NULL;
        }
        lf_free(pr->name);
    }
    nprobes = 0;
    probe_worker = NULL;
}

/*
 * core/src/healthprobe.h - active health probes of providers (plugin build_probe), results feed the breakers
 * SPDX-License-Identifier: MIT
 *
 * One worker (id 0) runs the probes on its own loop with its upstream client. Every TICK it looks at the
 * current registry generation: a provider with providers[].health_probe_interval_ms > 0, a plugin that
 * offers build_probe, enabled (admin overrides included) and with runtime state is probed when its
 * interval elapsed and no probe of it is in flight. A probe takes a breaker permit like a request
 * (lf_circuit_acquire: no probe while the breaker is open and cooling down; after the cooldown the health
 * probe may be the half-open probe, so a recovered provider closes without risking a user request) and
 * records the outcome with lf_circuit_record: 2xx = success, 401/403 auth_error, 429 rate_limited
 * (Retry-After honoured), 408/504 timeout, 5xx upstream_5xx, other statuses invalid_response, transport
 * failures as classified by the upstream client. Provider counters and budgets are not touched.
 */
#ifndef LF_CORE_HEALTHPROBE_H
#define LF_CORE_HEALTHPROBE_H

struct lf_worker;

/** Start the probe timer on `w` (call on the worker's thread, before its loop runs; no-op unless w->id == 0). */
void lf_healthprobe_start(struct lf_worker *w);
/** Cancel probes in flight and the timer (on the worker's thread, after its loop ended, before the
 *  upstream client is freed). */
void lf_healthprobe_stop(struct lf_worker *w);

#endif

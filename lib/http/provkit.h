/*
 * What the providers in the module share (lib/docker, lib/kubernetes): both
 * start one agent-backed worker per container or pod and read options JSON.
 */
#ifndef HODEI_PROVKIT_H
#define HODEI_PROVKIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hodei/hodei.h"

/* options.<key> as a string (def when absent), malloc'd into *out.
 * Errors: HODEI_EINVAL naming the option, HODEI_ENOMEM. */
int hodei__opt_string(json_t *o, const char *key, const char *def, char **out);
/* options.<key> as true/false (def when absent).  Errors: HODEI_EINVAL. */
int hodei__opt_bool(json_t *o, const char *key, bool def, bool *out);
/* Does the job hint fit the provider's max_memory_bytes/max_vcpus (0 = no
 * limit)?  0, or HODEI_EINVAL naming "memory" or "cpu". */
int hodei__prov_fits(const char *provider, uint64_t max_memory, uint32_t max_vcpus,
                     const hodei_run_request *hint);
/* Ephemeral workers: one job each.  Called while the library reports the
 * worker idle again (before the scheduler's next pass can give it a job):
 * once it has run a job, it is lost with `why` and released. */
void hodei__prov_retire_used(hodei_ctx *ctx, hodei_worker *w, const char *wid,
                             const char *why);

#endif

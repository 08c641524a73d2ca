/* What the service files share. */
#ifndef HODEID_SVC_H
#define HODEID_SVC_H

#include "conv.h"
#include "hodeid.h"

/** A job snapshot as a message in r->a; NULL with *status set if it failed. */
Hodei__Job *svc_job_snapshot(rpc_req *r, const char *id, int *status);

/** The worker of a connected agent, by worker id; NULL if none. */
hodei_worker *agent_worker_find(hodeid *d, const char *worker_id);

/** Non-zero if the job is final and will not be retried automatically. */
int svc_job_over(const hodei_job *job);

#endif

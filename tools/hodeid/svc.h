/* What the service files share. */
#ifndef HODEID_SVC_H
#define HODEID_SVC_H

#include "conv.h"
#include "hodeid.h"

/** A job snapshot as a message in r->a; NULL with *status set if it failed. */
Hodei__Job *svc_job_snapshot(rpc_req *r, const char *id, int *status);
/** job itself, made a summary (pb_job_summarize) if it alone would not fit
 *  in a message. */
Hodei__Job *svc_job_fit(arena *a, Hodei__Job *job);

/**
 * The worker of a registered agent, by worker id, if session_token is the
 * session Register gave it (compared in constant time); NULL otherwise.
 */
hodei_worker *agent_worker_auth(hodeid *d, const char *worker_id, const char *session_token);

/** Whether a caller of this role may see or touch job id (a submit token:
 *  only the jobs it queued).  An unknown job counts as allowed. */
int svc_job_owned(hodeid *d, int role, const char *principal, const char *id);
/** 0, or PERMISSION_DENIED set on r if r's caller may not touch job id. */
int svc_owner_check(rpc_req *r, const char *id);

/** Non-zero if the job is final and will not be retried automatically. */
int svc_job_over(const hodei_job *job);

#endif

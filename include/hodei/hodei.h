/*
 * libhodei: an embeddable job-execution engine.  Include this one header.
 *
 *   hodei_ctx_open()       open a job store and start the scheduler
 *   hodei_job_submit()     queue a job; hodei_job_wait() for it to end
 *   hodei_log_read()       read its output; hodei_sub_open() to follow live
 *   hodei_metrics_get()    totals, success rate, trend
 *   hodei_provider_*()     where workers come from
 *
 * See man/libhodei.3 and ARCHITECTURE.md.
 */
#ifndef HODEI_HODEI_H
#define HODEI_HODEI_H

#include "common.h"
#include "context.h"
#include "job.h"
#include "log.h"
#include "event.h"
#include "metrics.h"
#include "provider.h"
#include "process.h"
#include "token.h"

#endif

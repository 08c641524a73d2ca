/*
 * Pods, read and written: pure functions over JSON, no I/O.
 *
 * The pod a worker runs in is confined as the "restricted" Pod Security
 * Standard asks (SECURITY.md): not root, no privilege escalation, every
 * capability dropped, the RuntimeDefault seccomp profile, and (by default) a
 * read-only root filesystem with an emptyDir on /tmp, where jobs run.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s.h"

void hodei__k8s_dns_label(char *out, size_t max, const char *text)
{
	size_t o = 0;
	for (; *text && o + 1 < max; text++) {
		unsigned char ch = (unsigned char)*text;
		char c = (char)tolower(ch);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (o == 0 || out[o - 1] == '-'))
			continue;
		out[o++] = c;
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
}

static bool alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

bool hodei__k8s_label_value_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return true;
	if (n > 63 || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool hodei__k8s_label_key_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *name = slash ? slash + 1 : s;
	if (slash) {
		size_t n = (size_t)(slash - s);
		if (n == 0 || n > 253)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
			      s[i] == '-' || s[i] == '.'))
				return false;
	}
	return *name && hodei__k8s_label_value_ok(name);
}

static json_t *pod_labels(const k8s_config *c, const k8s_pod_spec *s)
{
	json_t *l = json_object();
	const char *key;
	json_t *v;
	if (!l)
		return NULL;
	/* the job's first, so that the provider's and ours win */
	for (size_t i = 0; i < s->njob_labels; i++) {
		char k[320];
		const char *eq = strchr(s->job_labels[i], '=');
		if (!eq || (size_t)(eq - s->job_labels[i]) >= sizeof(k))
			continue;
		snprintf(k, sizeof(k), "%.*s", (int)(eq - s->job_labels[i]), s->job_labels[i]);
		if (hodei__k8s_label_key_ok(k) && hodei__k8s_label_value_ok(eq + 1) &&
		    strncmp(k, "hodei.io/", 9) != 0)
			json_object_set_new(l, k, json_string(eq + 1));
	}
	json_object_foreach(c->labels, key, v) json_object_set(l, key, v);
	json_object_set_new(l, K8S_LABEL_MANAGED, json_string("hodei"));
	json_object_set_new(l, K8S_LABEL_PROVIDER, json_string(s->provider));
	json_object_set_new(l, K8S_LABEL_WORKER, json_string(s->worker));
	return l;
}

static json_t *env_var(const char *name, const char *value)
{
	return json_pack("{s:s, s:s}", "name", name, "value", value);
}

static json_t *pod_env(const k8s_config *c, const k8s_pod_spec *s)
{
	json_t *env = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(c->env, i, e) {
		const char *kv = json_string_value(e), *eq = strchr(kv, '=');
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		json_array_append_new(env, env_var(name, eq + 1));
	}
	json_array_append_new(env, env_var("HODEI_SERVER", c->server));
	json_array_append_new(env, env_var("HODEI_WORKER_TOKEN", s->token));
	json_array_append_new(env, env_var("HODEI_WORKER_ID", s->worker_id));
	if (c->ephemeral)
		json_array_append_new(env, env_var("HODEI_WORKER_EPHEMERAL", "1"));
	return env;
}

static json_t *resources(const k8s_pod_spec *s)
{
	json_t *q = json_object();
	char cpu[32], mem[32];
	if (s->cpu_millis) {
		snprintf(cpu, sizeof(cpu), "%um", s->cpu_millis);
		json_object_set_new(q, "cpu", json_string(cpu));
	}
	if (s->memory_bytes) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)s->memory_bytes);
		json_object_set_new(q, "memory", json_string(mem));
	}
	/* requests = limits: the scheduler places the pod where the job fits,
	 * and the pod gets the Guaranteed QoS class (evicted last) */
	return json_pack("{s:O, s:o}", "requests", q, "limits", q);
}

static json_t *container(const k8s_config *c, const k8s_pod_spec *s)
{
	json_t *sc = json_pack("{s:b, s:b, s:b, s:I, s:{s:[s]}, s:{s:s}}",
	                       "allowPrivilegeEscalation", 0, "runAsNonRoot", 1,
	                       "readOnlyRootFilesystem", c->read_only_root, "runAsUser",
	                       (json_int_t)c->run_as_user, "capabilities", "drop", "ALL",
	                       "seccompProfile", "type", "RuntimeDefault");
	json_t *ct = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:[{s:s, s:s}]}", "name",
	                       "hodei-worker", "image", c->image, "imagePullPolicy", c->pull_policy,
	                       "env", pod_env(c, s), "resources", resources(s), "securityContext",
	                       sc, "volumeMounts", "name", "tmp", "mountPath", "/tmp");
	if (ct && c->command)
		json_object_set(ct, "command", c->command);
	return ct;
}

char *hodei__k8s_pod_body(const k8s_config *c, const k8s_pod_spec *s)
{
	json_t *spec = json_pack(
		"{s:s, s:b, s:I, s:[o], s:{s:b, s:I, s:I, s:{s:s}}, s:[{s:s, s:{}}]}",
		"restartPolicy", "Never", "automountServiceAccountToken", 0,
		"terminationGracePeriodSeconds", (json_int_t)c->grace_period_s, "containers",
		container(c, s), "securityContext", "runAsNonRoot", 1, "runAsUser",
		(json_int_t)c->run_as_user, "fsGroup", (json_int_t)c->run_as_user, "seccompProfile",
		"type", "RuntimeDefault", "volumes", "name", "tmp", "emptyDir");
	if (spec && json_object_size(c->node_selector))
		json_object_set(spec, "nodeSelector", c->node_selector);
	if (spec && json_array_size(c->tolerations))
		json_object_set(spec, "tolerations", c->tolerations);
	if (spec && *c->service_account)
		json_object_set_new(spec, "serviceAccountName", json_string(c->service_account));
	if (spec && *c->runtime_class)
		json_object_set_new(spec, "runtimeClassName", json_string(c->runtime_class));
	if (spec && json_array_size(c->pull_secrets)) {
		json_t *a = json_array();
		size_t i;
		json_t *n;
		json_array_foreach(c->pull_secrets, i, n)
			json_array_append_new(a, json_pack("{s:O}", "name", n));
		json_object_set_new(spec, "imagePullSecrets", a);
	}
	json_t *pod = spec ? json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:o}", "apiVersion", "v1",
	                               "kind", "Pod", "metadata", "name", s->name, "namespace",
	                               c->namespace_, "labels", pod_labels(c, s), "spec", spec)
	                   : NULL;
	char *text = pod ? json_dumps(pod, JSON_COMPACT) : NULL;
	json_decref(pod);
	return text;
}

/* ---- reading a pod's status ---- */

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void clean_copy(char *out, size_t outlen, const char *text)
{
	size_t o = 0;
	for (; *text && o + 1 < outlen; text++)
		out[o++] = ((unsigned char)*text < 0x20 || *text == 0x7f) ? ' ' : *text;
	out[o] = '\0';
}

static void reason_of(k8s_pod_view *v, const char *reason, const char *message)
{
	char text[600];
	snprintf(text, sizeof(text), "%s%s%s", reason, *message ? ": " : "", message);
	clean_copy(v->reason, sizeof(v->reason), text);
}

/* Why a pending pod is not running yet: its container waits, or no node fits. */
static void pending_reason(const json_t *status, k8s_pod_view *v)
{
	static const char *const hopeless[] = { "InvalidImageName", "CreateContainerConfigError",
		                                "ErrImageNeverPull", NULL };
	size_t i;
	json_t *cs, *cond;
	json_array_foreach(json_object_get(status, "containerStatuses"), i, cs) {
		const json_t *w = json_object_get(json_object_get(cs, "state"), "waiting");
		const char *r = str(w, "reason");
		if (!*r || strcmp(r, "ContainerCreating") == 0 || strcmp(r, "PodInitializing") == 0)
			continue;
		reason_of(v, r, str(w, "message"));
		for (int k = 0; hopeless[k]; k++)
			if (strcmp(r, hopeless[k]) == 0)
				v->hopeless = true;
		return;
	}
	json_array_foreach(json_object_get(status, "conditions"), i, cond) {
		if (strcmp(str(cond, "type"), "PodScheduled") == 0 &&
		    strcmp(str(cond, "status"), "False") == 0) {
			reason_of(v, *str(cond, "reason") ? str(cond, "reason") : "Unschedulable",
			          str(cond, "message"));
			return;
		}
	}
}

/* Why a pod ended: evicted, OOM-killed, or its container's exit. */
static void end_reason(const json_t *status, k8s_pod_view *v)
{
	size_t i;
	json_t *cs;
	if (strcmp(str(status, "reason"), "Evicted") == 0) {
		v->evicted = true;
		reason_of(v, "Evicted", str(status, "message"));
		return;
	}
	json_array_foreach(json_object_get(status, "containerStatuses"), i, cs) {
		const json_t *t = json_object_get(json_object_get(cs, "state"), "terminated");
		if (!t)
			continue;
		json_t *code = json_object_get(t, "exitCode");
		v->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
		const char *r = str(t, "reason");
		v->oom_killed = strcmp(r, "OOMKilled") == 0;
		char text[300];
		snprintf(text, sizeof(text), "exit code %d", v->exit_code);
		reason_of(v, *r ? r : "Terminated", *str(t, "message") ? str(t, "message") : text);
		return;
	}
	if (*str(status, "reason"))
		reason_of(v, str(status, "reason"), str(status, "message"));
}

int hodei__k8s_pod_view(const json_t *pod, k8s_pod_view *v)
{
	memset(v, 0, sizeof(*v));
	v->exit_code = -1;
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *status = json_object_get(pod, "status");
	if (!*str(meta, "name") || strlen(str(meta, "name")) >= sizeof(v->name))
		return -1;
	snprintf(v->name, sizeof(v->name), "%s", str(meta, "name"));
	snprintf(v->uid, sizeof(v->uid), "%.63s", str(meta, "uid"));
	v->deleting = json_object_get(meta, "deletionTimestamp") != NULL &&
	              !json_is_null(json_object_get(meta, "deletionTimestamp"));
	const char *phase = str(status, "phase");
	if (strcmp(phase, "Running") == 0) {
		v->phase = K8S_POD_RUNNING;
	} else if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		v->phase = K8S_POD_DONE;
		end_reason(status, v);
	} else if (strcmp(phase, "Pending") == 0 || !*phase) {
		v->phase = K8S_POD_PENDING;
		pending_reason(status, v);
	} else {
		v->phase = K8S_POD_UNKNOWN;
	}
	return 0;
}

void hodei__k8s_status_message(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	const char *m = json_string_value(json_object_get(o, "message"));
	if (m) {
		clean_copy(out, outlen, m);
	} else {
		char first[512];
		size_t n = strcspn(body, "\r\n");
		snprintf(first, sizeof(first), "%.*s", (int)(n < len ? n : len), body);
		clean_copy(out, outlen, first);
	}
	json_decref(o);
}

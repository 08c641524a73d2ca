/*
 * The kubernetes provider's configuration: its options JSON, and where the
 * API server is and how to authenticate, from the pod's service account
 * (in-cluster) or from a kubeconfig file, as client-go finds them:
 *
 *   options.in_cluster true, or neither kubeconfig nor KUBECONFIG set and
 *   KUBERNETES_SERVICE_HOST set: https://$KUBERNETES_SERVICE_HOST:
 *   $KUBERNETES_SERVICE_PORT, the token and ca.crt in the service account
 *   directory (options.service_account_dir, for tests), its namespace file.
 *   Otherwise options.kubeconfig, $KUBECONFIG (its first file), or
 *   ~/.kube/config: the current context (or options.context), its cluster's
 *   server and CA, its user's token or client certificate.
 *
 * Every error names the field: "options.kubeconfig: ...".  Files are read
 * once, here (the token file again on each probe: bound tokens rotate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "k8s.h"
#include "../http/provkit.h"

/* ---- YAML to JSON (kubeconfig files are YAML; JSON is YAML too) ---- */

static json_t *yaml_to_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
	if (!node || depth > 32)
		return NULL;
	if (node->type == YAML_SCALAR_NODE)
		return json_stringn((const char *)node->data.scalar.value, node->data.scalar.length);
	if (node->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *i = node->data.sequence.items.start;
		     a && i < node->data.sequence.items.top; i++) {
			json_t *v = yaml_to_json(doc, yaml_document_get_node(doc, *i), depth + 1);
			if (!v || json_array_append_new(a, v) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	json_t *o = json_object();
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     o && p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (!k || k->type != YAML_SCALAR_NODE)
			continue;
		json_t *v = yaml_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)k->data.scalar.length,
		         (const char *)k->data.scalar.value);
		if (!v || json_object_set_new(o, key, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int load_yaml(const char *path, json_t **out)
{
	hodei__hbuf text = { 0 };
	int rc = hodei__hbuf_read_file(&text, path, K8S_MAX_FILE, "options.kubeconfig");
	if (rc != 0)
		return rc;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		hodei__hbuf_free(&text);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data, text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: not YAML: %s (line %zu)", path,
		                parser.problem ? parser.problem : "?", parser.problem_mark.line + 1);
	} else {
		*out = yaml_to_json(&doc, yaml_document_get_root_node(&doc), 0);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: not a kubeconfig (no "
			                              "mapping at the top)", path);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	hodei__hbuf_free(&text);
	return rc;
}

/* ---- reading parts of a kubeconfig ---- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The `key` of the entry named `name` in the list kc[list]. */
static const json_t *named(const json_t *kc, const char *list, const char *name,
                           const char *key)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(kc, list), i, e) {
		const char *n = jstr(e, "name");
		if (n && strcmp(n, name) == 0)
			return json_object_get(e, key);
	}
	return NULL;
}

/* A path relative to the kubeconfig's directory, as kubectl resolves them. */
static void resolve(char *out, size_t outlen, const char *kubeconfig, const char *path)
{
	const char *slash = strrchr(kubeconfig, '/');
	if (path[0] == '/' || !slash)
		snprintf(out, outlen, "%s", path);
	else
		snprintf(out, outlen, "%.*s/%s", (int)(slash - kubeconfig), kubeconfig, path);
}

/* PEM from `key`-data (base64) or from the file `key`. */
static int pem_of(hodei__hbuf *b, const json_t *o, const char *key, const char *kubeconfig,
                  const char *what)
{
	char dkey[64], path[1024];
	snprintf(dkey, sizeof(dkey), "%s-data", key);
	const char *data = jstr(o, dkey), *file = jstr(o, key);
	if (data) {
		size_t n;
		char *pem = hodei__base64_decode(data, &n);
		if (!pem)
			return hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: %s.%s is not base64",
			                  kubeconfig, what, dkey);
		int rc = n && hodei__hbuf_add(b, pem, n) == 0 ? 0
		         : n ? hodei__err(HODEI_ENOMEM, "out of memory")
		             : hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: %s.%s is empty",
		                          kubeconfig, what, dkey);
		explicit_bzero(pem, n);
		free(pem);
		return rc;
	}
	if (!file)
		return 0;
	resolve(path, sizeof(path), kubeconfig, file);
	return hodei__hbuf_read_file(b, path, K8S_MAX_FILE, "options.kubeconfig");
}

static int read_token_file(const char *path, char **out, const char *field)
{
	hodei__hbuf b = { 0 };
	int rc = hodei__hbuf_read_file(&b, path, 64 * 1024, field);
	if (rc != 0)
		return rc;
	b.data[strcspn(b.data, "\r\n")] = '\0';
	*out = b.data;
	return 0;
}

static int from_kubeconfig(k8s_config *c, const char *path, const char *context, bool ns_set)
{
	json_t *kc = NULL;
	int rc = load_yaml(path, &kc);
	if (rc != 0)
		return rc;
	const char *ctx_name = context && *context ? context : jstr(kc, "current-context");
	const json_t *ctx = ctx_name ? named(kc, "contexts", ctx_name, "context") : NULL;
	const char *cl_name = jstr(ctx, "cluster"), *user_name = jstr(ctx, "user");
	const json_t *cluster = cl_name ? named(kc, "clusters", cl_name, "cluster") : NULL;
	const json_t *user = user_name ? named(kc, "users", user_name, "user") : NULL;
	const char *server = jstr(cluster, "server");
	if (!ctx_name)
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: no current-context (set "
		                              "options.context)", path);
	else if (!ctx)
		rc = hodei__err(HODEI_EINVAL, "options.%s: context \"%s\" is not in %s",
		                context && *context ? "context" : "kubeconfig", ctx_name, path);
	else if (!cluster || !server || !*server)
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: context \"%s\" names no "
		                              "cluster with a server", path, ctx_name);
	else if (user_name && !user)
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: user \"%s\" is not there",
		                path, user_name);
	else if (json_object_get(user, "exec") || json_object_get(user, "auth-provider"))
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: user \"%s\" authenticates with "
		                              "an exec or auth-provider plug-in, which Hodei does not "
		                              "run; give it a token or a client certificate", path,
		                user_name);
	if (rc == 0 && !(c->api_url = strdup(server)))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pem_of(&c->ca, cluster, "certificate-authority", path, "cluster");
	if (rc == 0)
		rc = pem_of(&c->cert, user, "client-certificate", path, "user");
	if (rc == 0)
		rc = pem_of(&c->key, user, "client-key", path, "user");
	if (rc == 0 && (c->cert.len != 0) != (c->key.len != 0))
		rc = hodei__err(HODEI_EINVAL, "options.kubeconfig: %s: user \"%s\" has a client "
		                              "certificate without its key, or a key without its "
		                              "certificate", path, user_name);
	if (rc == 0 && jstr(user, "token") && !(c->token = strdup(jstr(user, "token"))))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0 && !c->token && jstr(user, "tokenFile")) {
		char tf[1024];
		resolve(tf, sizeof(tf), path, jstr(user, "tokenFile"));
		rc = read_token_file(tf, &c->token, "options.kubeconfig");
	}
	c->insecure = rc == 0 && json_is_string(json_object_get(cluster, "insecure-skip-tls-verify")) &&
	              strcmp(jstr(cluster, "insecure-skip-tls-verify"), "true") == 0;
	if (rc == 0 && !ns_set && jstr(ctx, "namespace")) {
		free(c->namespace_);
		if (!(c->namespace_ = strdup(jstr(ctx, "namespace"))))
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		size_t n = strlen(path) + strlen(ctx_name) + 32;
		if ((c->source = malloc(n)))
			snprintf(c->source, n, "kubeconfig %s (context %s)", path, ctx_name);
		else
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	json_decref(kc);
	return rc;
}

static int from_cluster(k8s_config *c, const char *dir, bool ns_set)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[1100];
	if (!host || !*host)
		return hodei__err(HODEI_EINVAL, "options.in_cluster: KUBERNETES_SERVICE_HOST is not "
		                                "set: hodeid is not in a pod (give options.kubeconfig)");
	size_t n = strlen(host) + 32;
	c->api_url = malloc(n);
	c->source = strdup("in-cluster service account");
	if (!c->api_url || !c->source)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	/* an IPv6 service address needs brackets */
	snprintf(c->api_url, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
	         port && *port ? port : "443");
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	int rc = hodei__hbuf_read_file(&c->ca, path, K8S_MAX_FILE, "options.service_account_dir");
	snprintf(path, sizeof(path), "%s/token", dir);
	if (rc == 0)
		rc = read_token_file(path, &c->token, "options.service_account_dir");
	if (rc == 0 && !(c->token_file = strdup(path)))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/namespace", dir);
	char *ns = NULL;
	if (rc == 0 && !ns_set && read_token_file(path, &ns, "options.service_account_dir") == 0) {
		free(c->namespace_);
		c->namespace_ = ns;
	}
	return rc;
}

char *hodei__k8s_token_reread(k8s_config *c)
{
	char *t = NULL;
	if (!c->token_file || read_token_file(c->token_file, &t, "token") != 0)
		return NULL;
	if (c->token && strcmp(t, c->token) == 0) {
		free(t);
		return NULL;
	}
	free(c->token);
	c->token = t;
	return strdup(t);
}

/* ---- options ---- */

static const char *const known_options[] = {
	"kubeconfig", "context", "in_cluster", "service_account_dir", "namespace", "image",
	"image_pull_policy", "server", "labels", "node_selector", "tolerations",
	"service_account", "image_pull_secrets", "runtime_class", "run_as_user",
	"read_only_root", "ephemeral", "pending_timeout_ms", "register_timeout_ms",
	"grace_period_s", "env", "command", NULL
};

static int opt_int(json_t *o, const char *key, int64_t def, int64_t min, int64_t max,
                   int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (v && (!json_is_integer(v) || json_integer_value(v) < min ||
	          json_integer_value(v) > max))
		return hodei__err(HODEI_EINVAL, "options.%s: must be an integer from %lld to %lld",
		                  key, (long long)min, (long long)max);
	*out = v ? json_integer_value(v) : def;
	return 0;
}

/* A string map whose keys and values are valid labels (node selectors too). */
static int opt_labels(json_t *o, const char *key, json_t **out)
{
	json_t *v = json_object_get(o, key);
	const char *k;
	json_t *e;
	if (v && !json_is_object(v))
		return hodei__err(HODEI_EINVAL, "options.%s: must be an object of strings", key);
	json_object_foreach(v, k, e) {
		if (!json_is_string(e) || !hodei__k8s_label_key_ok(k) ||
		    !hodei__k8s_label_value_ok(json_string_value(e)))
			return hodei__err(HODEI_EINVAL, "options.%s.%s: not a valid label (a key of "
			                  "[prefix/]name and a value of up to 63 of [A-Za-z0-9._-])", key,
			                  k);
		if (strncmp(k, "hodei.io/", 9) == 0 || strcmp(k, K8S_LABEL_MANAGED) == 0)
			return hodei__err(HODEI_EINVAL, "options.%s.%s: Hodei's own label", key, k);
	}
	*out = v ? json_incref(v) : json_object();
	return *out ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

static int opt_strings(json_t *o, const char *key, bool need_eq, json_t **out)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;
	if (v && !json_is_array(v))
		return hodei__err(HODEI_EINVAL, "options.%s: must be an array of strings", key);
	if (json_array_size(v) > 256)
		return hodei__err(HODEI_EINVAL, "options.%s: more than 256 entries", key);
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		if (!s || !*s || strlen(s) > 4096 || (need_eq && (!strchr(s, '=') || *s == '=')))
			return hodei__err(HODEI_EINVAL, "options.%s[%zu]: must be %s", key, i,
			                  need_eq ? "\"NAME=value\"" : "a non-empty string");
	}
	*out = v ? json_incref(v) : json_array();
	return *out ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

static int opt_tolerations(json_t *o, json_t **out)
{
	static const char *const keys[] = { "key", "operator", "value", "effect",
		                            "tolerationSeconds", NULL };
	json_t *v = json_object_get(o, "tolerations"), *e, *f;
	size_t i;
	const char *k;
	if (v && !json_is_array(v))
		return hodei__err(HODEI_EINVAL, "options.tolerations: must be an array of objects");
	json_array_foreach(v, i, e) {
		if (!json_is_object(e))
			return hodei__err(HODEI_EINVAL, "options.tolerations[%zu]: must be an object", i);
		json_object_foreach(e, k, f) {
			int n = 0;
			while (keys[n] && strcmp(keys[n], k) != 0)
				n++;
			if (!keys[n])
				return hodei__err(HODEI_EINVAL, "options.tolerations[%zu].%s: unknown field",
				                  i, k);
			if (strcmp(k, "tolerationSeconds") == 0 ? !json_is_integer(f) : !json_is_string(f))
				return hodei__err(HODEI_EINVAL, "options.tolerations[%zu].%s: wrong type", i,
				                  k);
		}
	}
	*out = v ? json_incref(v) : json_array();
	return *out ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

static int check_known(json_t *o)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		size_t i = 0;
		while (known_options[i] && strcmp(known_options[i], key) != 0)
			i++;
		if (!known_options[i])
			return hodei__err(HODEI_EINVAL, "options.%s: unknown option", key);
	}
	return 0;
}

static const char *default_image(void)
{
	const char *e = getenv("HODEI_WORKER_IMAGE");
	return e && *e ? e : "hodei-worker:latest";
}

static int pod_options(k8s_config *c, json_t *o, const char *provider_name)
{
	const char *env_server = getenv("HODEI_SERVER");
	int64_t v = 10;
	int rc = hodei__opt_string(o, "image", default_image(), &c->image);
	if (rc == 0)
		rc = hodei__opt_string(o, "image_pull_policy", "IfNotPresent", &c->pull_policy);
	if (rc == 0 && strcmp(c->pull_policy, "Always") != 0 &&
	    strcmp(c->pull_policy, "IfNotPresent") != 0 && strcmp(c->pull_policy, "Never") != 0)
		rc = hodei__err(HODEI_EINVAL, "options.image_pull_policy: Always, IfNotPresent or "
		                              "Never");
	if (rc == 0)
		rc = hodei__opt_string(o, "server", env_server && *env_server ? env_server : "hodeid:50051",
		                &c->server);
	if (rc == 0)
		rc = hodei__opt_string(o, "service_account", "", &c->service_account);
	if (rc == 0)
		rc = hodei__opt_string(o, "runtime_class", "", &c->runtime_class);
	if (rc == 0)
		rc = opt_labels(o, "labels", &c->labels);
	if (rc == 0)
		rc = opt_labels(o, "node_selector", &c->node_selector);
	if (rc == 0)
		rc = opt_tolerations(o, &c->tolerations);
	if (rc == 0)
		rc = opt_strings(o, "image_pull_secrets", false, &c->pull_secrets);
	if (rc == 0)
		rc = opt_strings(o, "env", true, &c->env);
	if (rc == 0 && json_object_get(o, "command"))
		rc = opt_strings(o, "command", false, &c->command);
	if (rc == 0)
		rc = opt_int(o, "run_as_user", 65532, 1, 2147483647, &c->run_as_user);
	if (rc == 0)
		rc = hodei__opt_bool(o, "read_only_root", true, &c->read_only_root);
	if (rc == 0)
		rc = hodei__opt_bool(o, "ephemeral", false, &c->ephemeral);
	if (rc == 0)
		rc = opt_int(o, "pending_timeout_ms", 120000, 1, 86400000, &c->pending_timeout_ms);
	if (rc == 0)
		rc = opt_int(o, "register_timeout_ms", 60000, 1, 86400000, &c->register_timeout_ms);
	if (rc == 0)
		rc = opt_int(o, "grace_period_s", 10, 0, 3600, &v);
	c->grace_period_s = (int)v;
	char prefix[40];
	hodei__k8s_dns_label(prefix, sizeof(prefix), provider_name);
	if (rc == 0 && !(c->prefix = strdup(*prefix ? prefix : "hodei")))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	return rc;
}

/* Where the cluster is: options, then the environment, as client-go looks. */
static int cluster_options(k8s_config *c, json_t *o)
{
	char *kubeconfig = NULL, *context = NULL, *sa_dir = NULL;
	bool in_cluster = false;
	json_t *ns = json_object_get(o, "namespace");
	int rc = hodei__opt_string(o, "kubeconfig", "", &kubeconfig);
	if (rc == 0)
		rc = hodei__opt_string(o, "context", "", &context);
	if (rc == 0)
		rc = hodei__opt_string(o, "service_account_dir", K8S_SA_DIR, &sa_dir);
	const char *env_kc = getenv("KUBECONFIG"), *svc = getenv("KUBERNETES_SERVICE_HOST");
	bool any_kc = (kubeconfig && *kubeconfig) || (env_kc && *env_kc);
	if (rc == 0)
		rc = hodei__opt_bool(o, "in_cluster", !any_kc && svc && *svc, &in_cluster);
	if (rc == 0)
		rc = hodei__opt_string(o, "namespace", "default", &c->namespace_);
	if (rc == 0 && (!*c->namespace_ || strlen(c->namespace_) > 63))
		rc = hodei__err(HODEI_EINVAL, "options.namespace: 1 to 63 characters");
	if (rc == 0 && in_cluster) {
		rc = from_cluster(c, sa_dir, ns != NULL);
	} else if (rc == 0) {
		char path[1024];
		const char *home = getenv("HOME");
		if (*kubeconfig)
			snprintf(path, sizeof(path), "%s", kubeconfig);
		else if (env_kc && *env_kc)
			snprintf(path, sizeof(path), "%.*s", (int)strcspn(env_kc, ":"), env_kc);
		else
			snprintf(path, sizeof(path), "%s/.kube/config", home ? home : "");
		rc = from_kubeconfig(c, path, context, ns != NULL);
	}
	char dns[64];
	if (rc == 0) {
		hodei__k8s_dns_label(dns, sizeof(dns), c->namespace_);
		if (strcmp(dns, c->namespace_) != 0)
			rc = hodei__err(HODEI_EINVAL, "options.namespace: \"%s\" is not a DNS label "
			                              "(lower-case letters, digits, '-')", c->namespace_);
	}
	free(kubeconfig);
	free(context);
	free(sa_dir);
	return rc;
}

int hodei__k8s_config_load(k8s_config *c, const char *provider_name, const char *endpoint,
                           const char *options_json)
{
	json_error_t jerr;
	memset(c, 0, sizeof(*c));
	json_t *o = options_json && *options_json ? json_loads(options_json, 0, &jerr)
	                                          : json_object();
	if (!o)
		return hodei__err(HODEI_EINVAL, "options_json: %s (line %d)", jerr.text, jerr.line);
	int rc = json_is_object(o) ? check_known(o)
	                           : hodei__err(HODEI_EINVAL, "options_json: not an object");
	if (rc == 0)
		rc = pod_options(c, o, provider_name);
	if (rc == 0)
		rc = cluster_options(c, o);
	if (rc == 0 && endpoint && *endpoint) {
		if (strncmp(endpoint, "https://", 8) != 0 && strncmp(endpoint, "http://", 7) != 0)
			rc = hodei__err(HODEI_EINVAL, "endpoint: \"%s\" is not https://host[:port]",
			                endpoint);
		free(c->api_url);
		c->api_url = rc == 0 ? strdup(endpoint) : NULL;
		if (rc == 0 && !c->api_url)
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		size_t n = strlen(c->api_url);
		while (n > 0 && c->api_url[n - 1] == '/')
			c->api_url[--n] = '\0';
	}
	json_decref(o);
	if (rc != 0)
		hodei__k8s_config_free(c);
	return rc;
}

void hodei__k8s_config_free(k8s_config *c)
{
	free(c->api_url);
	free(c->namespace_);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	hodei__hbuf_free(&c->ca);
	hodei__hbuf_free(&c->cert);
	if (c->key.data)
		explicit_bzero(c->key.data, c->key.len);
	hodei__hbuf_free(&c->key);
	free(c->source);
	free(c->image);
	free(c->pull_policy);
	free(c->server);
	free(c->service_account);
	free(c->runtime_class);
	json_decref(c->labels);
	json_decref(c->node_selector);
	json_decref(c->tolerations);
	json_decref(c->pull_secrets);
	json_decref(c->env);
	json_decref(c->command);
	free(c->prefix);
	memset(c, 0, sizeof(*c));
}

void hodei__k8s_http_options(const k8s_config *c, hodei__httpc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->base_url = c->api_url;
	o->ca_pem = c->ca.data;
	o->ca_len = c->ca.len;
	o->cert_pem = c->cert.data;
	o->cert_len = c->cert.len;
	o->key_pem = c->key.data;
	o->key_len = c->key.len;
	o->insecure = c->insecure;
	o->bearer_token = c->token;
}

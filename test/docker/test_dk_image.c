/*
 * The image builder without a daemon: the docker-load tar it writes has a
 * manifest naming the tag, a config whose diff_id is the layer's sha256, and
 * a layer with the agent, its libraries, the loader and busybox as /bin/sh.
 */
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dk.h"

typedef struct entry {
	char *name;
	char *data;
	size_t len;
	int type;
	char *link;
} entry;

typedef struct tarlist {
	entry *v;
	size_t n;
} tarlist;

static void read_tar(const void *buf, size_t len, tarlist *out)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	CHECK(archive_read_open_memory(a, buf, len) == ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		out->v = realloc(out->v, (out->n + 1) * sizeof(entry));
		entry *x = &out->v[out->n++];
		x->name = strdup(archive_entry_pathname(e));
		x->type = (int)archive_entry_filetype(e);
		x->link = archive_entry_symlink(e) ? strdup(archive_entry_symlink(e)) : NULL;
		x->len = (size_t)archive_entry_size(e);
		x->data = malloc(x->len + 1);
		CHECK(archive_read_data(a, x->data, x->len) == (la_ssize_t)x->len);
		x->data[x->len] = '\0';
	}
	archive_read_free(a);
}

static entry *find(tarlist *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static void free_list(tarlist *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].data);
		free(t->v[i].link);
	}
	free(t->v);
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static void t_deps(const char *self)
{
	hodei__dk_dep *deps = NULL;
	size_t n = 0;
	CHECK(hodei__dk_deps(self, &deps, &n) == 0);
	int libc = 0, loader = 0;
	for (size_t i = 0; i < n; i++) {
		libc |= strncmp(deps[i].name, "libc.so", 7) == 0;
		loader |= deps[i].is_loader && deps[i].name[0] == '/';
	}
	CHECK(libc && loader);
	hodei__dk_deps_free(deps, n);
	/* busybox-static needs nothing. */
	CHECK(hodei__dk_deps("/bin/busybox", &deps, &n) == 0 && n == 0);
	CHECK(hodei__dk_deps("/nonexistent/agent", &deps, &n) == HODEI_ENOTFOUND);
}

/* libc as ldd finds it for self, relative ("lib/x86_64-linux-gnu/libc.so.6"). */
static const char *host_libc(const char *self)
{
	static char rel[4096];
	hodei__dk_dep *deps = NULL;
	size_t n = 0;
	CHECK(hodei__dk_deps(self, &deps, &n) == 0);
	rel[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (strcmp(deps[i].name, "libc.so.6") == 0)
			snprintf(rel, sizeof(rel), "%s", deps[i].path + strspn(deps[i].path, "/"));
	hodei__dk_deps_free(deps, n);
	CHECK(rel[0]);
	return rel;
}

static void t_image(const char *self)
{
	hodei__hbuf tar = { 0 };
	CHECK(hodei__dk_image_tar("hodei-unit:1", self, "/bin/busybox", &tar) == 0);
	tarlist outer = { 0 };
	read_tar(tar.data, tar.len, &outer);
	entry *m = find(&outer, "manifest.json");
	CHECK(m);
	json_t *manifest = json_loads(m->data, 0, NULL);
	json_t *first = json_array_get(manifest, 0);
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(first, "RepoTags"), 0)),
	             "hodei-unit:1") == 0);
	entry *cfg = find(&outer, json_string_value(json_object_get(first, "Config")));
	entry *layer =
		find(&outer, json_string_value(json_array_get(json_object_get(first, "Layers"), 0)));
	CHECK(cfg && layer);
	json_t *config = json_loads(cfg->data, 0, NULL);
	char hex[65], want[80];
	sha256_hex(layer->data, layer->len, hex);
	snprintf(want, sizeof(want), "sha256:%s", hex);
	json_t *diff = json_array_get(json_object_get(json_object_get(config, "rootfs"), "diff_ids"), 0);
	CHECK(strcmp(json_string_value(diff), want) == 0);
	json_t *ep = json_object_get(json_object_get(config, "config"), "Entrypoint");
	CHECK(strcmp(json_string_value(json_array_get(ep, 0)), "/usr/local/bin/hodei-worker") == 0);

	tarlist files = { 0 };
	read_tar(layer->data, layer->len, &files);
	entry *agent = find(&files, "usr/local/bin/hodei-worker");
	CHECK(agent && agent->type == AE_IFREG && agent->len > 0);
	entry *sh = find(&files, "bin/sh");
	CHECK(sh && sh->type == AE_IFLNK && strcmp(sh->link, "busybox") == 0);
	CHECK(find(&files, "bin/busybox") && find(&files, "bin/ls") && find(&files, "bin/cat"));
	/* The libraries where the loader looks without LD_LIBRARY_PATH (jobs, and
	 * the job guard started with a job's environment, have none): the
	 * directory of this host's libc, one of its loader's system directories. */
	CHECK(find(&files, host_libc(self)));
	json_t *env = json_object_get(json_object_get(config, "config"), "Env");
	for (size_t i = 0; i < json_array_size(env); i++)
		CHECK(strncmp(json_string_value(json_array_get(env, i)), "LD_", 3) != 0);
	CHECK((find(&files, "tmp") || find(&files, "tmp/")) && find(&files, "etc/passwd"));
	int loader = 0;
	for (size_t i = 0; i < files.n; i++)
		loader |= strstr(files.v[i].name, "ld-linux") != NULL;
	CHECK(loader);
	free_list(&files);
	json_decref(config);
	json_decref(manifest);
	free_list(&outer);
	hodei__hbuf_free(&tar);

	/* Names that would break the manifest are refused. */
	CHECK(hodei__dk_image_tar("bad\"tag", self, "/bin/busybox", &tar) == HODEI_EINVAL);
	CHECK(hodei__dk_image_tar("x:1", "/nonexistent/agent", "/bin/busybox", &tar) ==
	      HODEI_ENOTFOUND);
	hodei__hbuf_free(&tar);
}

int main(int argc, char **argv)
{
	const char *self = "/proc/self/exe";
	char path[4096];
	ssize_t n = readlink(self, path, sizeof(path) - 1);
	CHECK(n > 0);
	path[n] = '\0';
	t_deps(path);
	t_image(path);
	fprintf(stderr, "ok\n");
	return 0;
}

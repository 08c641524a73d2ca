/*
 * The hodei-worker image, built without a registry or a Dockerfile: one
 * layer holding the agent, the shared libraries it needs (found with ldd)
 * and busybox as /bin/sh with its applets, wrapped in the `docker load`
 * format (manifest.json, the image config, the layer tar).
 *
 * Layout inside the image:
 *   /usr/local/bin/hodei-worker     the agent (the entrypoint)
 *   /lib/x86_64-linux-gnu/<soname>  its libraries, in the directory of the host's
 *                                   libc: one the loader searches by default, so
 *                                   no LD_LIBRARY_PATH (which jobs, and the job
 *                                   guard exec'd with a job's environment, lack)
 *   /lib64/ld-linux-x86-64.so.2     the loader, at the path the binary names
 *   /bin/busybox, /bin/sh, /bin/ls  busybox and its applets
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dk.h"
#include "dk_module.h"

/* Paths in the image. Tar entries are relative, so each path is spelled
 * once without its leading '/' (the tar name) and once with it. */
#define WORKER_IN_TAR "usr/local/bin/hodei-worker"
#define LIBDIR_FALLBACK "usr/lib" /* no libc among the libraries: a guess */
#define WORKER_IN_IMAGE "/" WORKER_IN_TAR


static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	hodei__dk_arch *t = data;
	return hodei__hbuf_add(t->out, buf, len) == 0 ? (la_ssize_t)len : -1;
}

int hodei__dk_arch_open(hodei__dk_arch *t, hodei__hbuf *out, int format)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->mtime = time(NULL);
	t->a = archive_write_new();
	if (!t->a)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (format == HODEI__DK_ARCH_CPIO)
		archive_write_set_format_cpio_newc(t->a);
	else
		archive_write_set_format_pax_restricted(t->a);
	archive_write_set_bytes_in_last_block(t->a, 1);
	if (archive_write_open(t->a, t, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
		return hodei__err(HODEI_EIO, "tar: %s", archive_error_string(t->a));
	return 0;
}

int hodei__dk_arch_close(hodei__dk_arch *t)
{
	int rc = 0;
	if (t->a && archive_write_close(t->a) != ARCHIVE_OK)
		rc = hodei__err(HODEI_EIO, "tar: %s", archive_error_string(t->a));
	if (t->a)
		archive_write_free(t->a);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i]);
	free(t->dirs);
	t->a = NULL;
	return rc;
}

int hodei__dk_arch_entry(hodei__dk_arch *t, const char *path, int type, int mode, const void *data,
                     size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, (unsigned int)type);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_mtime(e, (time_t)t->mtime, 0);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (link)
		archive_entry_set_symlink(e, link);
	int rc = 0;
	if (archive_write_header(t->a, e) != ARCHIVE_OK ||
	    (type == AE_IFREG && len > 0 && archive_write_data(t->a, data, len) != (la_ssize_t)len))
		rc = hodei__err(HODEI_EIO, "tar %s: %s", path, archive_error_string(t->a));
	archive_entry_free(e);
	return rc;
}

/* Add every missing parent directory of path ("usr/lib/x"). */
int hodei__dk_arch_parents(hodei__dk_arch *t, const char *path)
{
	char dir[PATH_MAX];
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		size_t n = (size_t)(s - path);
		if (n == 0 || n >= sizeof(dir))
			continue;
		memcpy(dir, path, n);
		dir[n] = '\0';
		int seen = 0;
		for (size_t i = 0; i < t->ndirs && !seen; i++)
			seen = strcmp(t->dirs[i], dir) == 0;
		if (seen)
			continue;
		char **v = realloc(t->dirs, (t->ndirs + 1) * sizeof(*v));
		if (!v || !(v[t->ndirs] = strdup(dir)))
			return hodei__err(HODEI_ENOMEM, "out of memory");
		t->dirs = v;
		t->ndirs++;
		int rc = hodei__dk_arch_entry(t, dir, AE_IFDIR, strcmp(dir, "tmp") == 0 ? 01777 : 0755, NULL,
		                   0, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int hodei__dk_read_file(const char *path, hodei__hbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hodei__err(errno == ENOENT ? HODEI_ENOTFOUND : HODEI_EIO, "%s: %s", path,
		                  strerror(errno));
	char chunk[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || hodei__hbuf_add(out, chunk, (size_t)n) != 0) {
			rc = hodei__err(HODEI_EIO, "%s: %s", path, strerror(errno));
			break;
		}
	}
	close(fd);
	return rc;
}

/* Copy a host file (symlinks followed) to `dest` (relative) in the layer. */
int hodei__dk_arch_copy(hodei__dk_arch *t, const char *dest, const char *src, int mode)
{
	hodei__hbuf data = { 0 };
	int rc = hodei__dk_read_file(src, &data);
	if (rc == 0)
		rc = hodei__dk_arch_parents(t, dest);
	if (rc == 0)
		rc = hodei__dk_arch_entry(t, dest, AE_IFREG, mode, data.data, data.len, NULL);
	hodei__hbuf_free(&data);
	return rc;
}

static int add_busybox(hodei__dk_arch *t, const char *busybox)
{
	int rc = hodei__dk_arch_copy(t, "bin/busybox", busybox, 0755);
	if (rc != 0)
		return rc;
	hodei__hbuf list = { 0 };
	int status = 0;
	char *argv[] = { (char *)busybox, "--list", NULL };
	rc = hodei__dk_run_capture(argv, &list, &status);
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !list.data))
		rc = hodei__err(HODEI_EIO, "%s --list failed: is it busybox?", busybox);
	int has_sh = 0;
	for (char *name = list.data; rc == 0 && name && *name;) {
		char *eol = strchr(name, '\n');
		if (eol)
			*eol = '\0';
		char path[300];
		if (*name && !strchr(name, '/') && strcmp(name, "busybox") != 0 &&
		    snprintf(path, sizeof(path), "bin/%s", name) < (int)sizeof(path)) {
			has_sh |= strcmp(name, "sh") == 0;
			rc = hodei__dk_arch_entry(t, path, AE_IFLNK, 0777, NULL, 0, "busybox");
		}
		name = eol ? eol + 1 : NULL;
	}
	if (rc == 0 && !has_sh)
		rc = hodei__dk_arch_entry(t, "bin/sh", AE_IFLNK, 0777, NULL, 0, "busybox");
	hodei__hbuf_free(&list);
	return rc;
}

/*
 * Where the libraries go (relative): the directory the host's loader found
 * libc in.  libc lives in the loader's own system directory (Debian's
 * /lib/x86_64-linux-gnu, Fedora's /lib64, Arch's /usr/lib), which it
 * searches without ld.so.cache or LD_LIBRARY_PATH.
 */
static void lib_dir(const hodei__dk_dep *deps, size_t ndeps, char *out, size_t len)
{
	snprintf(out, len, "%s", LIBDIR_FALLBACK);
	for (size_t i = 0; i < ndeps; i++) {
		const char *path = deps[i].path, *slash = strrchr(path, '/');
		if (deps[i].is_loader || strncmp(deps[i].name, "libc.so.", 8) != 0 || !slash)
			continue;
		path += strspn(path, "/");
		if (slash > path && !strstr(path, ".."))
			snprintf(out, len, "%.*s", (int)(slash - path), path);
	}
}

static int add_worker(hodei__dk_arch *t, const char *worker)
{
	hodei__dk_dep *deps = NULL;
	size_t ndeps = 0;
	char libdir[PATH_MAX];
	int rc = hodei__dk_deps(worker, &deps, &ndeps);
	if (rc == 0)
		rc = hodei__dk_arch_copy(t, WORKER_IN_TAR, worker, 0755);
	lib_dir(deps, ndeps, libdir, sizeof(libdir));
	for (size_t i = 0; rc == 0 && i < ndeps; i++) {
		char dest[2 * PATH_MAX];
		const char *base = strrchr(deps[i].name, '/');
		base = base ? base + 1 : deps[i].name;
		if (deps[i].is_loader)
			snprintf(dest, sizeof(dest), "%s", deps[i].name + 1);
		else
			snprintf(dest, sizeof(dest), "%s/%s", libdir, base);
		rc = hodei__dk_arch_copy(t, dest, deps[i].path, 0755);
	}
	hodei__dk_deps_free(deps, ndeps);
	return rc;
}

int hodei__dk_arch_rootfs(hodei__dk_arch *t, const char *worker, const char *busybox)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
	                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
	static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
	int rc = hodei__dk_arch_parents(t, "tmp/");
	if (rc == 0)
		rc = hodei__dk_arch_parents(t, "root/");
	if (rc == 0)
		rc = add_busybox(t, busybox);
	if (rc == 0)
		rc = add_worker(t, worker);
	if (rc == 0)
		rc = hodei__dk_arch_parents(t, "etc/");
	if (rc == 0)
		rc = hodei__dk_arch_entry(t, "etc/passwd", AE_IFREG, 0644, passwd,
		                          sizeof(passwd) - 1, NULL);
	if (rc == 0)
		rc = hodei__dk_arch_entry(t, "etc/group", AE_IFREG, 0644, group, sizeof(group) - 1,
		                          NULL);
	return rc;
}

static int build_layer(const char *worker, const char *busybox, hodei__hbuf *layer)
{
	hodei__dk_arch t;
	int rc = hodei__dk_arch_open(&t, layer, HODEI__DK_ARCH_TAR);
	if (rc == 0)
		rc = hodei__dk_arch_rootfs(&t, worker, busybox);
	int rc2 = hodei__dk_arch_close(&t);
	return rc ? rc : rc2;
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[64] = '\0';
}

static const char *docker_arch(void)
{
	struct utsname u;
	if (uname(&u) != 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (strncmp(u.machine, "arm", 3) == 0)
		return "arm";
	return "amd64";
}

/* The image config; tag is only used for a label. */
static char *image_config(const char *layer_hex)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	size_t n = 2048;
	char *s = malloc(n);
	if (!s)
		return NULL;
	snprintf(s, n,
	         "{\"architecture\":\"%s\",\"os\":\"linux\",\"created\":\"%s\","
	         "\"config\":{\"Entrypoint\":[\"" WORKER_IN_IMAGE "\"],"
	         "\"Env\":[\"PATH=/usr/local/bin:/bin\"],"
	         "\"WorkingDir\":\"/tmp\","
	         "\"Labels\":{\"io.hodei.image\":\"hodei-worker\",\"io.hodei.version\":\"%s\"}},"
	         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]},"
	         "\"history\":[{\"created\":\"%s\",\"created_by\":\"hodei image build\"}]}",
	         docker_arch(), when, HODEI_VERSION_STRING, layer_hex, when);
	return s;
}

static int json_ok_tag(const char *tag)
{
	for (const char *p = tag; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return 0;
	return *tag != '\0';
}

int hodei__dk_image_tar(const char *tag, const char *worker_path, const char *busybox_path,
                        hodei__hbuf *out)
{
	if (!json_ok_tag(tag))
		return hodei__err(HODEI_EINVAL, "tag: \"%s\" is not an image name", tag);
	hodei__hbuf layer = { 0 };
	int rc = build_layer(worker_path, busybox_path, &layer);
	if (rc != 0) {
		hodei__hbuf_free(&layer);
		return rc;
	}
	char layer_hex[65], config_hex[65], path[128];
	sha256_hex(layer.data, layer.len, layer_hex);
	char *config = image_config(layer_hex);
	char *manifest = malloc(strlen(tag) + 256);
	hodei__dk_arch t;
	rc = config && manifest ? hodei__dk_arch_open(&t, out, HODEI__DK_ARCH_TAR)
	                        : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0) {
		sha256_hex(config, strlen(config), config_hex);
		sprintf(manifest, "[{\"Config\":\"%s.json\",\"RepoTags\":[\"%s\"],"
		                  "\"Layers\":[\"%s/layer.tar\"]}]",
		        config_hex, tag, layer_hex);
		snprintf(path, sizeof(path), "%s.json", config_hex);
		rc = hodei__dk_arch_entry(&t, path, AE_IFREG, 0644, config, strlen(config), NULL);
		if (rc == 0)
			rc = hodei__dk_arch_entry(&t, layer_hex, AE_IFDIR, 0755, NULL, 0, NULL);
		snprintf(path, sizeof(path), "%s/layer.tar", layer_hex);
		if (rc == 0)
			rc = hodei__dk_arch_entry(&t, path, AE_IFREG, 0644, layer.data, layer.len, NULL);
		if (rc == 0)
			rc = hodei__dk_arch_entry(&t, "manifest.json", AE_IFREG, 0644, manifest,
			               strlen(manifest), NULL);
		int rc2 = hodei__dk_arch_close(&t);
		rc = rc ? rc : rc2;
	}
	free(config);
	free(manifest);
	hodei__hbuf_free(&layer);
	return rc;
}

/* ---- finding the agent and the shell ---- */

static char *exe_relative(const char *rel)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	size_t len = strlen(self) + strlen(rel) + 2;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s/%s", self, rel);
	return p;
}

static char *path_lookup(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	while (*path) {
		size_t n = strcspn(path, ":");
		size_t len = n + strlen(name) + 2;
		char *p = malloc(len);
		if (!p)
			return NULL;
		snprintf(p, len, "%.*s/%s", (int)n, path, name);
		if (n > 0 && access(p, X_OK) == 0)
			return p;
		free(p);
		path += n + (path[n] == ':');
	}
	return NULL;
}

char *hodei__dk_find_worker(const char *explicit_path)
{
	if (explicit_path && *explicit_path)
		return strdup(explicit_path);
	const char *env = getenv("HODEI_WORKER_BIN");
	if (env && *env)
		return strdup(env);
	/* Beside the running program, installed or in the build tree. */
	static const char *const near[] = { "hodei-worker", "../bin/hodei-worker",
		                            "../hodei-worker/hodei-worker" };
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		char *p = exe_relative(near[i]);
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return path_lookup("hodei-worker");
}

const char *hodei__dk_find_busybox(const char *explicit_path)
{
	if (explicit_path && *explicit_path)
		return explicit_path;
	return "/bin/busybox";
}

/* ---- the public, blocking build ---- */

static int write_out(const char *path, const hodei__hbuf *tar)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return hodei__err(HODEI_EIO, "output %s: %s", path, strerror(errno));
	size_t n = fwrite(tar->data, 1, tar->len, f);
	if (fclose(f) != 0 || n != tar->len)
		return hodei__err(HODEI_EIO, "output %s: write failed", path);
	return 0;
}

static int load_image(const char *endpoint, hodei__hbuf *tar)
{
	long status = 0;
	char *reply = NULL, *error = NULL;
	int rc = hodei__dk_send_sync(endpoint, "POST", "/images/load?quiet=1", tar->data,
	                             tar->len, 1, 0, &status, &reply, &error);
	tar->data = NULL;
	tar->len = tar->cap = 0;
	if (rc == 0 && error)
		rc = hodei__err(HODEI_EIO, "docker at %s: %s",
		                endpoint && *endpoint ? endpoint : "the default socket", error);
	else if (rc == 0 && (status != 200 || (reply && strstr(reply, "\"error"))))
		rc = hodei__err(HODEI_EIO, "docker refused the image (HTTP %ld): %s", status,
		                reply ? reply : "");
	free(reply);
	free(error);
	return rc;
}

const char *hodei__dk_default_image(void)
{
	const char *img = getenv("HODEI_WORKER_IMAGE");
	return img && *img ? img : "hodei-worker:latest";
}

int hodei__dk_image_build(const hodei_docker_image_options *opts)
{
	hodei_docker_image_options defaults = HODEI_DOCKER_IMAGE_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (opts->version != HODEI_DOCKER_IMAGE_OPTIONS_VERSION)
		return hodei__err(HODEI_EVERSION, "hodei_docker_image_options: version %u unknown",
		                  opts->version);
	if (opts->no_load && !opts->output_path)
		return hodei__err(HODEI_EINVAL, "output_path: required with no_load");
	char *worker = hodei__dk_find_worker(opts->worker_path);
	if (!worker)
		return hodei__err(HODEI_ENOTFOUND,
		                  "hodei-worker not found: set HODEI_WORKER_BIN or pass its path");
	hodei__hbuf tar = { 0 };
	const char *tag = opts->tag && *opts->tag ? opts->tag : hodei__dk_default_image();
	int rc = hodei__dk_image_tar(tag, worker, hodei__dk_find_busybox(opts->busybox_path), &tar);
	if (rc == 0 && opts->output_path)
		rc = write_out(opts->output_path, &tar);
	if (rc == 0 && !opts->no_load)
		rc = load_image(opts->endpoint, &tar);
	hodei__hbuf_free(&tar);
	free(worker);
	return rc;
}

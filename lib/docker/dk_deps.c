/*
 * The shared libraries a binary needs, as the loader resolves them on this
 * host: the output of ldd(1), which covers DT_NEEDED recursively, RUNPATH
 * and ld.so.cache the way the real loader does.  A static binary needs none.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dk.h"

extern char **environ;

int hodei__dk_run_capture(char *const argv[], hodei__hbuf *out, int *status)
{
	int fds[2];
	if (pipe(fds) != 0)
		return hodei__err(HODEI_EIO, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err != 0) {
		close(fds[0]);
		return hodei__err(HODEI_ENOTFOUND, "cannot run %s: %s", argv[0], strerror(err));
	}
	char chunk[4096];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && hodei__hbuf_add(out, chunk, (size_t)n) != 0)
			break;
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int add_dep(hodei__dk_dep **deps, size_t *n, const char *name, size_t nlen,
                   const char *path, size_t plen, int loader)
{
	hodei__dk_dep *v = realloc(*deps, (*n + 1) * sizeof(**deps));
	if (!v)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	*deps = v;
	v[*n].name = strndup(name, nlen);
	v[*n].path = strndup(path, plen);
	v[*n].is_loader = loader;
	(*n)++;
	if (!v[*n - 1].name || !v[*n - 1].path)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

/* One line of ldd output: "name => /path (0x..)", "/loader (0x..)", "vdso (0x..)". */
static int parse_line(const char *binary, const char *line, hodei__dk_dep **deps, size_t *n)
{
	line += strspn(line, " \t");
	const char *arrow = strstr(line, " => ");
	if (arrow) {
		const char *path = arrow + 4;
		if (strncmp(path, "not found", 9) == 0)
			return hodei__err(HODEI_ENOTFOUND, "%s needs %.*s, which is not installed",
			                  binary, (int)(arrow - line), line);
		if (*path != '/')
			return 0; /* vdso shown as "name =>  (0x..)" */
		return add_dep(deps, n, line, (size_t)(arrow - line), path, strcspn(path, " \t"),
		               0);
	}
	if (*line == '/') {
		size_t len = strcspn(line, " \t");
		return add_dep(deps, n, line, len, line, len, 1);
	}
	return 0; /* linux-vdso.so.1 and friends: provided by the kernel */
}

int hodei__dk_deps(const char *binary, hodei__dk_dep **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (access(binary, X_OK) != 0)
		return hodei__err(HODEI_ENOTFOUND, "%s: %s", binary, strerror(errno));
	hodei__hbuf text = { 0 };
	int status = 0;
	char *argv[] = { "ldd", (char *)binary, NULL };
	int rc = hodei__dk_run_capture(argv, &text, &status);
	if (rc != 0)
		return rc;
	if (!text.data || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
		int is_static = text.data && (strstr(text.data, "not a dynamic executable") ||
		                              strstr(text.data, "statically linked"));
		if (!is_static)
			rc = hodei__err(HODEI_EIO, "ldd %s failed: %s", binary,
			                text.data ? text.data : "no output");
		hodei__hbuf_free(&text);
		return rc;
	}
	for (char *line = text.data; rc == 0 && line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		rc = parse_line(binary, line, out, n);
		line = eol ? eol + 1 : NULL;
	}
	hodei__hbuf_free(&text);
	if (rc != 0) {
		hodei__dk_deps_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void hodei__dk_deps_free(hodei__dk_dep *deps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(deps[i].name);
		free(deps[i].path);
	}
	free(deps);
}

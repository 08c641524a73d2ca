/*
 * The dashboard's files, opened so that nothing outside the web directory
 * can be served: the path must be clean (starts with '/', no "..", ".",
 * NUL or backslash), and each component is opened with openat() and
 * O_NOFOLLOW below the directory, so no symbolic link is followed, whether
 * it points inside or out.  Only regular files are served.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hodeid.h"

#define WEB_PATH_MAX 1024

static int clean_path(const char *path)
{
	if (path[0] != '/' || strlen(path) > WEB_PATH_MAX || strchr(path, '\\'))
		return 0;
	for (const char *p = path; *p;) {
		p += strspn(p, "/");
		size_t len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += len;
	}
	return 1;
}

int web_open(const char *dir, const char *path, struct stat *st)
{
	char comp[WEB_PATH_MAX + 1];
	if (!clean_path(path)) {
		errno = EINVAL;
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *p = path;
	while (fd >= 0) {
		p += strspn(p, "/");
		size_t len = strcspn(p, "/");
		if (len == 0)
			break; /* the path names a directory: not served */
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		int last = p[strspn(p, "/")] == '\0';
		int next = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY));
		close(fd);
		fd = next;
		if (fd >= 0 && last) {
			if (fstat(fd, st) == 0 && S_ISREG(st->st_mode))
				return fd;
			close(fd);
			errno = EISDIR;
			return -1;
		}
	}
	if (fd >= 0) {
		close(fd);
		errno = EISDIR;
	}
	return -1;
}

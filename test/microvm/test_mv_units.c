/*
 * The microvm provider's pieces that need no VM: the initramfs (cpio newc)
 * with the modules in dependency order from a modules.dep, /init and
 * /dev/console; a required module that is missing; the console tail that
 * becomes a failure's reason.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "mv.h"

static char tmp[] = "/tmp/hodei-mv-unit.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs(text, f);
	fclose(f);
}

static void t_initramfs(const char *self)
{
	static const char *const dirs[] = { "mods", "mods/kernel", "mods/kernel/drivers",
		                            "mods/kernel/drivers/virtio", "mods/kernel/net",
		                            "mods/kernel/drivers/block", NULL };
	for (size_t i = 0; dirs[i]; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", tmp, dirs[i]);
		CHECK(mkdir(path, 0755) == 0);
	}
	put("mods/kernel/drivers/virtio/virtio_ring.ko", "ring");
	put("mods/kernel/drivers/virtio/virtio.ko", "virtio");
	put("mods/kernel/drivers/virtio/virtio_mmio.ko", "mmio");
	put("mods/kernel/net/failover.ko", "failover");
	put("mods/kernel/net/net_failover.ko", "net_failover");
	put("mods/kernel/net/virtio_net.ko", "net");
	put("mods/kernel/drivers/block/virtio_blk.ko", "blk");
	/* modules.dep lists a module's dependencies last-loaded first */
	put("mods/modules.dep",
	    "kernel/drivers/virtio/virtio_ring.ko:\n"
	    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
	    "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko "
	    "kernel/drivers/virtio/virtio_ring.ko\n"
	    "kernel/net/failover.ko:\n"
	    "kernel/net/net_failover.ko: kernel/net/failover.ko\n"
	    "kernel/net/virtio_net.ko: kernel/net/net_failover.ko kernel/net/failover.ko "
	    "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
	    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko "
	    "kernel/drivers/virtio/virtio_ring.ko\n");
	char out[512], mods[512];
	snprintf(out, sizeof(out), "%s/initramfs.cpio", tmp);
	snprintf(mods, sizeof(mods), "%s/mods", tmp);
	size_t nmod = 0, bytes = 0;
	CHECK(hodei__mv_initramfs_build(out, self, "/bin/busybox", mods, &nmod, &bytes) == 0);
	CHECK(nmod == 7 && bytes > 0);

	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	CHECK(archive_read_open_filename(a, out, 65536) == ARCHIVE_OK);
	struct archive_entry *e;
	int init = 0, console = 0, agent = 0, sh = 0, ring = 0;
	char order[256] = "";
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (strcmp(name, "init") == 0) {
			char buf[4096] = "";
			CHECK((archive_entry_perm(e) & 0111) != 0);
			archive_read_data(a, buf, sizeof(buf) - 1);
			init = strstr(buf, "hodei-worker") && strstr(buf, "/dev/vda") &&
			       !strstr(buf, "TOKEN=");
		} else if (strcmp(name, "dev/console") == 0) {
			console = archive_entry_filetype(e) == AE_IFCHR;
		} else if (strcmp(name, "etc/hodei/modules") == 0) {
			archive_read_data(a, order, sizeof(order) - 1);
		} else if (strcmp(name, "usr/local/bin/hodei-worker") == 0) {
			agent = 1;
		} else if (strcmp(name, "bin/sh") == 0) {
			sh = archive_entry_filetype(e) == AE_IFLNK;
		} else if (strcmp(name, "lib/modules/virtio_ring.ko") == 0) {
			char buf[16] = "";
			archive_read_data(a, buf, sizeof(buf) - 1);
			ring = strcmp(buf, "ring") == 0;
		}
	}
	archive_read_free(a);
	CHECK(init && console && agent && sh && ring);
	/* each module after what it needs, each once */
	CHECK(strcmp(order, "virtio_ring.ko\nvirtio.ko\nvirtio_mmio.ko\nfailover.ko\n"
	                    "net_failover.ko\nvirtio_net.ko\nvirtio_blk.ko\n") == 0);

	/* a required module missing: the error names it; vsock is optional */
	put("mods/modules.dep", "kernel/drivers/virtio/virtio_ring.ko:\n");
	CHECK(hodei__mv_initramfs_build(out, self, "/bin/busybox", mods, &nmod, &bytes) ==
	      HODEI_ENOTFOUND);
	CHECK(strstr(hodei_error_last(), "virtio_mmio") != NULL);
}

static void t_console_tail(void)
{
	char dir[512], tail[200];
	snprintf(dir, sizeof(dir), "%s/vm", tmp);
	CHECK(mkdir(dir, 0700) == 0);
	hodei__mv_console_tail(dir, tail, sizeof(tail));
	CHECK(tail[0] == '\0'); /* no console yet */
	put("vm/console.log", "one\r\ntwo\n\n\x1b[0mthree\r\nfour\nfive\nsix\nseven\n\n");
	hodei__mv_console_tail(dir, tail, sizeof(tail));
	CHECK(strcmp(tail, "two |  [0mthree | four | five | six | seven") == 0);
	char small[12];
	hodei__mv_console_tail(dir, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
}

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0 && mkdtemp(tmp));
	self[n] = '\0';
	t_initramfs(self);
	t_console_tail();
	hodei__mv_remove_tree(tmp);
	CHECK(access(tmp, F_OK) != 0);
	fprintf(stderr, "ok\n");
	return 0;
}

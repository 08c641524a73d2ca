/* CHECK(cond): on failure print where, the condition and the library's last error; exit 1. */
#ifndef HODEI_TEST_DOCKER_CHECK_H
#define HODEI_TEST_DOCKER_CHECK_H

#include <hodei/hodei.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, \
			        #cond, hodei_error_last());                             \
			exit(1);                                                        \
		}                                                                       \
	} while (0)

#endif

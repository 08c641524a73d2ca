/* A GNU extension (a zero-length array) that -std=c11 -pedantic refuses. */
#ifndef BAD_NOT_PEDANTIC_H
#define BAD_NOT_PEDANTIC_H
#ifdef __cplusplus
extern "C" {
#endif
struct bad_flex { int n; int items[0]; };
#ifdef __cplusplus
}
#endif
#endif

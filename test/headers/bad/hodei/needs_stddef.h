/* Uses size_t without including <stddef.h>: does not compile alone. */
#ifndef BAD_NEEDS_STDDEF_H
#define BAD_NEEDS_STDDEF_H
#ifdef __cplusplus
extern "C" {
#endif
typedef struct bad_buf { size_t len; } bad_buf;
#ifdef __cplusplus
}
#endif
#endif

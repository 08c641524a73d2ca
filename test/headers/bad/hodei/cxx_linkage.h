/* Compiles as C and as C++, but without extern "C" its function gets C++
 * linkage: a C++ program would not link against the C library. */
#ifndef BAD_CXX_LINKAGE_H
#define BAD_CXX_LINKAGE_H
#define HODEI_EXTERN
HODEI_EXTERN int hodei_bad_function(void);
#endif

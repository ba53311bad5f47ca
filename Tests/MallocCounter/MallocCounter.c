// Counts heap allocations for the allocation-per-step tests. On Linux/glibc the test binary
// defines malloc & co., which take precedence over libc's for every library in the process
// (Swift runtime included), counts the call and forwards it to glibc's own implementation.
// Nothing else changes: the memory still comes from, and goes back to, glibc's allocator.
#include "MallocCounter.h"
#include <errno.h>
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long counter;

static inline void count(void) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { count(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

long kd_malloc_count(void) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }
#else
long kd_malloc_count(void) { return -1; }
#endif

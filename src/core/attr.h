/* Compiler attributes the code relies on, in one place: where the compiler has none, they are
 * empty and the code means the same. */
#ifndef SMV_CORE_ATTR_H
#define SMV_CORE_ATTR_H

/* Argument a is a printf format whose arguments start at b (GCC and clang check the calls). */
#if defined(__GNUC__)
#define SMV__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SMV__PRINTF(a, b)
#endif

#endif

/* Test helper: files of the external suites in ../shared/testdata (ctest sets SMV_TESTDATA). */
#ifndef SMV_TEST_TESTDATA_H
#define SMV_TEST_TESTDATA_H

#include <stddef.h>

/* The whole of $SMV_TESTDATA/name, NUL-terminated (free it), its length in *len. The test fails when
 * SMV_TESTDATA is not set or the file cannot be read: a suite that cannot run is not a pass. */
char *smv_test_read_testdata(const char *name, size_t *len);

#endif

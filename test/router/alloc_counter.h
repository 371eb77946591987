// Counts global operator new calls so tests can assert that a hot path does not allocate.
// The replacement operators live in alloc_counter.cc: kept out of the test's translation unit
// because GCC 12's -Wmismatched-new-delete misreads inlined replacement operators.
#pragma once

namespace mgw::test {

long allocationCount();

}  // namespace mgw::test

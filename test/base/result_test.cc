#include "mgw/base/result.h"

#include <gtest/gtest.h>

namespace mgw {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0)
    return makeError("odd", "value is odd");
  return v / 2;
}

TEST(ResultTest, CarriesValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "odd");
  Status s = makeError("x");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Status().ok());
}

}  // namespace
}  // namespace mgw

// DefaultMessageStore.getMessage's scan limit: maxFilterMessageCount = max(16000, maxMsgNums * 20) BYTES of
// consume queue, so a pull whose filter takes nothing moves on by at most 800 entries (or maxMsgNums), and a
// huge maxMsgNums does not overflow.
#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

TEST(PlainStorePullLimitTest, FilteredPullScansAtMost16000BytesOfConsumeQueue) {
  TempDir dir;
  auto store = DefaultMessageStore::open(small_config(dir.path(), 1 << 20, 20 * 4000));
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(put(*store, make_message("T", 0, "m", "a")).status, PutStatus::kOk);
  const TagsCodeFilter none = [](std::int64_t) { return false; };

  GetResult r = store->get_messages("T", 0, 0, 32, 1 << 20, none);
  EXPECT_EQ(r.status, GetStatus::kNoMatchedMessage);
  EXPECT_EQ(r.next_begin_offset, 800) << "16000 bytes / 20 bytes per entry";

  r = store->get_messages("T", 0, 100, 1000, 1 << 20, none);
  EXPECT_EQ(r.next_begin_offset, 1100) << "maxMsgNums * 20 bytes = 1000 entries";

  r = store->get_messages("T", 0, 0, std::numeric_limits<std::int32_t>::max(), 1 << 20, none);
  EXPECT_EQ(r.next_begin_offset, kCount) << "a huge maxMsgNums scans to the end, no int32 overflow";

  r = store->get_messages("T", 0, 0, 32, 1 << 20, nullptr);
  EXPECT_EQ(r.status, GetStatus::kFound);
  EXPECT_EQ(r.message_count, 32);
  EXPECT_EQ(r.next_begin_offset, 32);
}

}  // namespace
}  // namespace rmq::store

#include "tools/gen_store/broker_files.h"

#include "broker/common/bytes.h"
#include "broker/common/java_properties.h"
#include "tools/gen_store/output_file.h"

namespace rmq::tools {
namespace {

constexpr std::size_t kCheckpointFileBytes = 4096;  // OS_PAGE_SIZE

}  // namespace

std::string broker_conf_text(const std::filesystem::path& store_root, BrokerRole role,
                             std::uint64_t commitlog_file_size_bytes) {
  const bool master = role == BrokerRole::kMaster;
  common::JavaProperties conf;
  conf.set("brokerClusterName", "DefaultCluster");
  conf.set("brokerName", "broker-a");
  conf.set("brokerId", master ? "0" : "1");
  conf.set("brokerRole", master ? "ASYNC_MASTER" : "SLAVE");
  conf.set("storePathRootDir", store_root.string());
  conf.set("storePathCommitLog", (store_root / "commitlog").string());
  conf.set("mappedFileSizeCommitLog", std::to_string(commitlog_file_size_bytes));
  conf.set("namesrvAddr", "127.0.0.1:9876");
  conf.set("listenPort", master ? "10911" : "10921");
  return std::string("# Written by rmq-gen-store: one broker of a legacy RocketMQ Master-Slave pair.\n") +
         conf.to_string();
}

void write_checkpoint(const std::filesystem::path& store_root, std::int64_t last_store_timestamp_ms) {
  common::Bytes bytes;
  common::ByteWriter w(bytes);
  w.i64(last_store_timestamp_ms);  // physicMsgTimestamp
  w.i64(last_store_timestamp_ms);  // logicsMsgTimestamp
  w.i64(0);                        // indexMsgTimestamp
  bytes.resize(kCheckpointFileBytes, 0);
  OutputFile file(store_root / "checkpoint");
  file.write_at(0, common::ByteSpan(bytes));
  file.close();
}

void write_lock_file(const std::filesystem::path& store_root) { write_new_text_file(store_root / "lock", "lock"); }

}  // namespace rmq::tools

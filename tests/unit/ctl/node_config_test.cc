// Loading a group's configs for rmqctl start/stop/status (ctl/node_config.h) and the pid files (ctl/pid_file.h).
#include <gtest/gtest.h>

#include <fstream>

#include "broker/common/java_properties.h"
#include "ctl/node_config.h"
#include "ctl/pid_file.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::ctl {
namespace {

namespace fs = std::filesystem;

fs::path write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p;
}

std::string dledger_conf(const fs::path& dir, const std::string& self, int port,
                         const std::string& peers = "n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913") {
  return "brokerClusterName=RaftCluster\nbrokerName=RaftNode00\nbrokerIP1=127.0.0.1\nlistenPort=" +
         std::to_string(port) + "\nnamesrvAddr=127.0.0.1:9876\nstorePathRootDir=" + (dir / self).string() +
         "\nenableDLegerCommitLog=true\ndLegerGroup=RaftNode00\ndLegerPeers=" + peers + "\ndLegerSelfId=" + self + "\n";
}

TEST(NodeConfig, DLedgerGroupFromADirectory) {
  rmq::testing::TempDir dir;
  write(dir.path() / "broker-n1.conf", dledger_conf(dir.path(), "n1", 30921));
  write(dir.path() / "broker-n0.conf", dledger_conf(dir.path(), "n0", 30911));
  write(dir.path() / "README", "not a config");
  const auto paths = conf_files_in(dir.path());
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].filename(), "broker-n0.conf");
  const auto nodes = load_group(paths);
  EXPECT_EQ(nodes[0].node_id, "n0");
  EXPECT_TRUE(nodes[0].dledger());
  EXPECT_EQ(nodes[1].address(), "127.0.0.1:30921");
  EXPECT_EQ(nodes[1].pid_path(), dir.path() / "n1" / "rmq-broker.pid");
  EXPECT_EQ(group_namesrv_addresses(nodes), std::vector<std::string>{"127.0.0.1:9876"});
}

TEST(NodeConfig, ConfigsThatCannotRunTogether) {
  rmq::testing::TempDir dir;
  const auto a = write(dir.path() / "a.conf", dledger_conf(dir.path(), "n0", 30911));
  const auto same_port = write(dir.path() / "b.conf", dledger_conf(dir.path(), "n1", 30911));
  const auto same_id = write(dir.path() / "c.conf", dledger_conf(dir.path() / "x", "n0", 30931));
  const auto other_peers =
      write(dir.path() / "d.conf", dledger_conf(dir.path(), "n1", 30921, "n0-127.0.0.1:40911;n1-127.0.0.1:40999"));
  const auto bad = write(dir.path() / "e.conf", "listenPort=abc\n");
  EXPECT_THROW(load_group({a, same_port}), common::ConfigError);
  EXPECT_THROW(load_group({a, same_id}), common::ConfigError);
  try {
    load_group({a, other_peers});
    ADD_FAILURE() << "different dLegerPeers accepted";
  } catch (const common::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("n0-127.0.0.1:40911;n1-127.0.0.1:40999"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_group({bad}), common::ConfigError);
  EXPECT_THROW(load_group({dir.path() / "missing.conf"}), common::ConfigError);
  EXPECT_THROW(load_group({}), common::ConfigError);
  EXPECT_THROW(conf_files_in(dir.path() / "nope"), common::ConfigError);
}

TEST(NodeConfig, HostPortAndLocalHosts) {
  EXPECT_EQ(split_host_port("127.0.0.1:9876").port, 9876);
  EXPECT_THROW(split_host_port("127.0.0.1"), common::ConfigError);
  EXPECT_THROW(split_host_port("h:70000"), common::ConfigError);
  EXPECT_THROW(split_host_port("h:12x"), common::ConfigError);
  EXPECT_TRUE(is_local_host("127.0.0.1"));
  EXPECT_TRUE(is_local_host("localhost"));
  EXPECT_FALSE(is_local_host("192.0.2.1"));  // TEST-NET-1: never assigned to a host
}

TEST(PidFile, WriteReadAndGarbage) {
  rmq::testing::TempDir dir;
  const auto p = dir.path() / "x.pid";
  EXPECT_FALSE(read_pid_file(p).has_value());
  write_pid_file(p, 4242);
  EXPECT_EQ(read_pid_file(p), 4242);
  remove_pid_file_if(p, 1234);
  EXPECT_TRUE(fs::exists(p)) << "a file naming another pid is kept";
  remove_pid_file_if(p, 4242);
  EXPECT_FALSE(fs::exists(p));
  for (const char* text : {"", "abc\n", "-5\n", "1\n", "12 13\n", "99999999999999999999\n"}) {
    write(p, text);
    EXPECT_FALSE(read_pid_file(p).has_value()) << text;
  }
}

}  // namespace
}  // namespace rmq::ctl

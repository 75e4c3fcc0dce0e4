// What clients get from a DLedger node that is not the writable leader (dledger-group.md 2.3, remoting.md
// 3.4 and 4.3): a send answered 14 with upstream's remark and nothing stored or created, a send-back answered
// 1, pulls served with suggestWhichBrokerId as upstream, offsets piggy-backed on pulls not stored on a
// follower; and the broker.conf checks of DLedger mode.
#include <gtest/gtest.h>

#include <regex>

#include "broker/server/broker_role_state.h"
#include "broker/server/dledger_mode_config.h"
#include "broker/server/pull_suggest.h"
#include "broker/server/service_not_available.h"
#include "tests/unit/server/broker_fixture.h"

namespace rmq::server::testing {
namespace {

constexpr int kCommitFlag = 0x1;
constexpr int kSubscriptionFlag = 0x4;

// The 4.9.x remark, with diskUtil()'s "%5.2f" ratios (-1.00 for a directory that does not exist).
const std::regex kRemark(
    R"(service not available now\. It may be caused by one of the following reasons: the broker's disk is full )"
    R"(\[CL: [ -]\d\.\d\d CQ: [ -]\d\.\d\d INDEX: [ -]\d\.\d\d\], messages are put to the slave, message store )"
    R"(has been shut down, etc\.)");

TEST(DLedgerRolesInProcessors, SendToAFollowerIsRefusedWith14AndNothingIsWritten) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 2)).code, rc::kSuccess);
  f.services().role().set(3, BrokerRole::kSlave);
  const auto topics_before = f.services().topics().data_version();
  auto r = f.call(send_v2("T", 0, "hello"));
  EXPECT_EQ(r.code, rc::kServiceNotAvailable);
  EXPECT_TRUE(std::regex_match(r.remark.value_or(""), kRemark)) << r.remark.value_or("");
  // An unknown topic is not auto-created on a follower either.
  EXPECT_EQ(f.call(send_v2("NewTopic", 0, "hello")).code, rc::kServiceNotAvailable);
  EXPECT_FALSE(f.services().topics().select("NewTopic").has_value());
  EXPECT_EQ(f.services().topics().data_version(), topics_before);
  EXPECT_EQ(f.store().stats().put_message_count, 0);
  EXPECT_EQ(f.store().max_offset_in_queue("T", 0), 0);
  // Once it is the writable leader the same send is stored.
  f.services().role().set(0, BrokerRole::kSyncMaster);
  EXPECT_EQ(f.call(send_v2("T", 0, "hello")).code, rc::kSuccess);
  EXPECT_EQ(f.store().max_offset_in_queue("T", 0), 1);
}

TEST(DLedgerRolesInProcessors, LeaderStillCatchingUpIsNotWritable) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  f.services().role().set(-1, BrokerRole::kSlave);  // DLedger start-up state (BrokerRoleState::from_config)
  EXPECT_EQ(f.call(send_v2("T", 0, "x")).code, rc::kServiceNotAvailable);
  f.services().role().set(0, BrokerRole::kSyncMaster);
  f.services().role().demote();  // stepped down: refused before the handler re-registers
  EXPECT_EQ(f.call(send_v2("T", 0, "x")).code, rc::kServiceNotAvailable);
  EXPECT_EQ(f.store().max_offset_in_queue("T", 0), 0);
}

TEST(DLedgerRolesInProcessors, SendBackToAFollowerIsRefused) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "m")).code, rc::kSuccess);
  f.services().role().set(2, BrokerRole::kSlave);
  RemotingCommand back = remoting::make_request(code::kConsumerSendMsgBack);
  back.ext_fields = remoting::ExtFields{{"offset", "0"}, {"group", "G"}, {"delayLevel", "0"}};
  auto r = f.call(back);
  EXPECT_EQ(r.code, rc::kSystemError);
  EXPECT_EQ(r.remark.value_or(""), "SERVICE_NOT_AVAILABLE");
  EXPECT_FALSE(f.services().topics().select("%RETRY%G").has_value());
}

TEST(DLedgerRolesInProcessors, FollowerServesPullsSuggestsTheMasterAndStoresNoOffset) {
  BrokerFixture f;
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "committed")).code, rc::kSuccess);
  f.services().role().set(2, BrokerRole::kSlave);
  auto r = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag | kCommitFlag, 0, "*", 1));
  ASSERT_EQ(r.code, rc::kSuccess) << r.remark.value_or("");
  EXPECT_EQ(r.ext_fields.get("suggestWhichBrokerId"), "0");
  store::MessageRecord record;
  ASSERT_EQ(store::decode_record(r.body, false, &record).status, store::DecodeStatus::kOk);
  EXPECT_EQ(text_of(record.body), "committed");
  EXPECT_EQ(f.services().offsets().query("G", "T", 0), std::nullopt);
  // The leader stores it.
  f.services().role().set(0, BrokerRole::kSyncMaster);
  f.call(pull_request("G", "T", 0, 1, kSubscriptionFlag | kCommitFlag, 0, "*", 1));
  EXPECT_EQ(f.services().offsets().query("G", "T", 0), 1);
}

TEST(DLedgerRolesInProcessors, SlaveReadEnableSuggestsTheGroupsBrokerId) {
  BrokerFixture f("slaveReadEnable=true\n");
  ASSERT_EQ(f.call(create_topic("T", 1)).code, rc::kSuccess);
  ASSERT_EQ(f.call(send_v2("T", 0, "m")).code, rc::kSuccess);
  SubscriptionGroupConfig group;
  group.group_name = "G";
  group.broker_id = 2;
  group.which_broker_when_consume_slowly = 3;
  f.services().groups().update(group);
  auto r = f.call(pull_request("G", "T", 0, 0, kSubscriptionFlag));
  ASSERT_EQ(r.code, rc::kSuccess);
  EXPECT_EQ(r.ext_fields.get("suggestWhichBrokerId"), "2");  // not slow: the group's brokerId
}

TEST(PullSuggest, UpstreamRule) {
  SubscriptionGroupConfig group;
  group.broker_id = 2;
  group.which_broker_when_consume_slowly = 1;
  EXPECT_EQ(suggest_which_broker_id(false, true, group), 0);
  EXPECT_EQ(suggest_which_broker_id(false, false, group), 0);
  EXPECT_EQ(suggest_which_broker_id(true, true, group), 1);
  EXPECT_EQ(suggest_which_broker_id(true, false, group), 2);
  // 40 % of 1000 bytes of RAM = 400.
  EXPECT_FALSE(suggest_pulling_from_slave(1400, 1000, 1000, 40));
  EXPECT_TRUE(suggest_pulling_from_slave(1401, 1000, 1000, 40));
}

TEST(PullSuggest, LastRecordPhysicalOffsetFromHandMadeRecords) {
  // Two records of 40 bytes each; PHYSICALOFFSET is the 8 bytes at 28 (storage.md 1.2).
  common::Bytes body(80, 0);
  auto put_record = [&body](std::size_t at, std::int64_t physical_offset) {
    common::store_u32_be(body.data() + at, 40);
    common::store_u64_be(body.data() + at + 28, static_cast<std::uint64_t>(physical_offset));
  };
  put_record(0, 1000);
  put_record(40, 1040);
  EXPECT_EQ(last_record_physical_offset(body), 1040);
  body.resize(70);  // the second record cut short
  EXPECT_EQ(last_record_physical_offset(body), std::nullopt);
  EXPECT_EQ(last_record_physical_offset(common::Bytes{}), std::nullopt);
}

TEST(ServiceNotAvailable, DiskUtilFormat) {
  BrokerConfig config;
  config.store_path_root_dir = "/nonexistent-rmq-dir";
  EXPECT_EQ(disk_util_text(config), "CL: -1.00 CQ: -1.00 INDEX: -1.00");
  config.store_path_root_dir = "/";
  config.store_path_commit_log = "/";
  const std::string text = disk_util_text(config);
  EXPECT_TRUE(std::regex_match(text, std::regex(R"(CL: [ 01]\d?\.\d\d CQ: -1\.00 INDEX: -1\.00)"))) << text;
}

// ---- broker.conf in DLedger mode ----

BrokerConfigLoad parse(const std::string& text) {
  return parse_broker_config(common::JavaProperties::parse(text, "n1.conf"), "n1.conf", std::nullopt, std::nullopt);
}

const std::string kDLedgerConf =
    "brokerName=RaftNode00\nbrokerIP1=127.0.0.1\nlistenPort=30911\nhaListenPort=5555\nenableDLegerCommitLog=true\n"
    "dLegerGroup=RaftNode00\ndLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913\n";

TEST(DLedgerModeConfig, ValidGroupIsAccepted) {
  auto load = parse(kDLedgerConf + "dLegerSelfId=n1\n");
  EXPECT_TRUE(load.config.enable_dleger_commit_log);
  EXPECT_EQ(load.config.ha_listen_port, 30912);  // forced to listenPort + 1, as BrokerStartup does
  auto settings = check_dledger_mode_config(load.config);
  EXPECT_EQ(settings.follower_broker_id, 2);
  ASSERT_EQ(settings.peers.size(), 3u);
  EXPECT_EQ(settings.peers[2].port, 40913);
  EXPECT_EQ(BrokerRoleState::from_config(load.config).broker_id(), -1);
  EXPECT_TRUE(BrokerRoleState::from_config(load.config).is_slave());
}

TEST(DLedgerModeConfig, BadKeysAreRefusedNamingTheKey) {
  auto message_of = [](const std::string& text) -> std::string {
    try {
      parse(text);
    } catch (const common::ConfigError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_NE(message_of(kDLedgerConf).find("key dLegerSelfId"), std::string::npos);                       // missing
  EXPECT_NE(message_of(kDLedgerConf + "dLegerSelfId=n7\n").find("is not one of the ids"), std::string::npos);
  EXPECT_NE(message_of(kDLedgerConf + "dLegerSelfId=node\n").find("key dLegerSelfId"), std::string::npos);
  const std::string no_group =
      "enableDLegerCommitLog=true\nbrokerIP1=127.0.0.1\ndLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912\n"
      "dLegerSelfId=n0\n";
  EXPECT_NE(message_of(no_group).find("key dLegerGroup"), std::string::npos);
  const std::string bad_peers = "enableDLegerCommitLog=true\nbrokerIP1=127.0.0.1\ndLegerGroup=g\n"
                                "dLegerPeers=n0-127.0.0.1:40911;n0-127.0.0.1:40912;n2-127.0.0.1:40913\ndLegerSelfId=n0\n";
  const std::string message = message_of(bad_peers);
  EXPECT_NE(message.find("n1.conf: key dLegerPeers"), std::string::npos) << message;
  // Plain mode ignores the three keys, as before.
  EXPECT_EQ(message_of("brokerIP1=127.0.0.1\ndLegerSelfId=node\n"), "(accepted)");
}

}  // namespace
}  // namespace rmq::server::testing

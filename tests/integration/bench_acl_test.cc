// rmq-bench against a broker with aclEnable=true (issue 14, Done-when 4's measurement needs a signing client):
// with --access-key and --secret-key(-file) every request to the broker is signed with the broker's own signing
// code (broker/acl/signature.h, through ctl/credentials.h), so produce (creating the topic with an admin account) and
// consume work; unsigned, with a wrong secret, or with an account that may not publish, the sends are refused
// (exit 1, code 16) and nothing is stored. A real rmq-namesrv and rmq-broker on free loopback ports.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "broker/acl/signature.h"
#include "tests/cli/run_process.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::integration {
namespace {

constexpr const char* kAclFile = R"(accounts:
  - accessKey: benchAdmin
    secretKey: bench-admin-secret-1
    admin: true
  - accessKey: benchProducer
    secretKey: bench-producer-secret-1
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - BenchAclTopic=PUB|SUB
  - accessKey: readOnly
    secretKey: read-only-secret-12
    defaultTopicPerm: SUB
)";

class BenchAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<BrokerHarness>("");
    std::ofstream(harness_->dir() / "plain_acl.yml") << kAclFile;
    std::ofstream(harness_->dir() / "producer.secret") << "bench-producer-secret-1\n";
    std::ofstream(harness_->conf_path(), std::ios::app)
        << "aclEnable=true\nplainAclFile=" << (harness_->dir() / "plain_acl.yml").string()
        << "\naccessKey=benchAdmin\nsecretKey=bench-admin-secret-1\nautoCreateTopicEnable=false\n";
    harness_->start_broker();
  }

  test_support::ProcessResult bench(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {RMQ_BINARY_DIR "/rmq-bench"};
    argv.insert(argv.end(), args.begin(), args.end());
    test_support::ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    return test_support::run_process(argv, options);
  }
  std::string namesrv() const { return "127.0.0.1:" + std::to_string(harness_->namesrv_port()); }
  std::vector<std::string> produce(int count) const {
    return {"produce", "--namesrv", namesrv(), "--topic", "BenchAclTopic", "--size", "100", "--inflight", "8",
            "--count", std::to_string(count), "--timeout-ms", "5000"};
  }
  static std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  // The queue's max offset, asked with the admin's signature.
  std::int64_t stored(int queue_id) {
    RemotingCommand r = remoting::make_request(code::kGetMaxOffset);
    r.ext_fields.set("topic", "BenchAclTopic");
    r.ext_fields.set_int("queueId", queue_id);
    acl_sign(r);
    const RemotingCommand answer = harness_->call(std::move(r));
    EXPECT_EQ(answer.code, rc::kSuccess) << answer.remark.value_or("");
    return answer.ext_fields.get_int64("offset").value_or(-1);
  }
  std::int64_t stored_total() {
    std::int64_t total = 0;
    for (int q = 0; q < 2; ++q) total += stored(q);
    return total;
  }
  static void acl_sign(RemotingCommand& r) {
    acl::sign_request(r, "benchAdmin", "bench-admin-secret-1");
  }

  std::unique_ptr<BrokerHarness> harness_;
};

TEST_F(BenchAclTest, SignedProduceAndConsumeWorkUnsignedWrongOrNotAllowedAreRefused) {
  // The topic is created by the admin account (UPDATE_AND_CREATE_TOPIC is admin-only).
  const auto created = bench(with(produce(100), {"--create-topic", "--queues", "2", "--access-key", "benchAdmin",
                                                  "--secret-key", "bench-admin-secret-1"}));
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_EQ(stored_total(), 100);

  const auto signed_run =
      bench(with(produce(500), {"--access-key", "benchProducer", "--secret-key-file",
                                (harness_->dir() / "producer.secret").string()}));
  EXPECT_EQ(signed_run.exit_code, 0) << signed_run.out << signed_run.err;
  EXPECT_NE(signed_run.out.find("ok 500, failed 0"), std::string::npos) << signed_run.out;
  EXPECT_EQ(stored_total(), 600);
  EXPECT_EQ(signed_run.out.find("bench-producer-secret-1"), std::string::npos);

  for (const auto& [what, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"unsigned", produce(50)},
           {"wrong secret", with(produce(50), {"--access-key", "benchProducer", "--secret-key", "guessed-secret-99"})},
           {"no PUB", with(produce(50), {"--access-key", "readOnly", "--secret-key", "read-only-secret-12"})}}) {
    const auto refused = bench(args);
    EXPECT_EQ(refused.exit_code, 1) << what << "\n" << refused.out << refused.err;
    EXPECT_NE(refused.out.find("code 16"), std::string::npos) << what << "\n" << refused.out;
    EXPECT_EQ(refused.err.find("guessed-secret-99"), std::string::npos);
    EXPECT_EQ(refused.out.find("guessed-secret-99"), std::string::npos);
  }
  EXPECT_EQ(stored_total(), 600) << "a refused send was stored";

  // consume: PULL_MESSAGE, QUERY/UPDATE_CONSUMER_OFFSET signed too (the producer account has SUB on the topic
  // and on every group by default).
  const auto consumed = bench({"consume", "--namesrv", namesrv(), "--topic", "BenchAclTopic", "--group",
                               "GID_bench_acl", "--count", "600", "--timeout", "60", "--access-key", "benchProducer",
                               "--secret-key", "bench-producer-secret-1"});
  EXPECT_EQ(consumed.exit_code, 0) << consumed.out << consumed.err;

  // Usage: a key without its secret, both secret forms, an unreadable secret file.
  EXPECT_EQ(bench(with(produce(1), {"--access-key", "benchProducer"})).exit_code, 2);
  EXPECT_EQ(bench(with(produce(1), {"--access-key", "a", "--secret-key", "b", "--secret-key-file", "/dev/null"})).exit_code,
            2);
  const auto missing = bench(with(produce(1), {"--access-key", "a", "--secret-key-file", "/nonexistent/secret"}));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--secret-key-file: cannot read '/nonexistent/secret'"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace rmq::integration

// PULL_MESSAGE (11): remoting.md 4.3, as 4.9.x PullMessageProcessor does it.
//
// Checks (permission, group, topic, queue, subscription), a read from the store on the pull pool (mapped
// files may fault in from disk, so never on an I/O thread), the status -> code mapping of the spec's table,
// the four header fields on every answer, the consumer offset committed when sysFlag has COMMIT_OFFSET, and
// long polling through PullRequestHoldService when nothing is there yet. Nothing here persists; offsets
// committed by a pull go to ConsumerOffsetManager.
#pragma once

#include <memory>

#include "broker/remoting/remoting_server.h"
#include "broker/server/broker_services.h"
#include "broker/server/pull_request_hold_service.h"

namespace rmq::server {

class PullMessageProcessor {
 public:
  explicit PullMessageProcessor(BrokerServices& services);
  ~PullMessageProcessor();

  void register_on(remoting::RemotingServer& server);
  // Starts the long-polling timer and subscribes to the store's arrivals.
  void start();
  // Answers every parked pull (re-run, so 19 or what arrived meanwhile). Idempotent.
  void shutdown();

  // One pass over a pull request; `first_pass` allows suspending and committing the offset.
  void process(const remoting::RemotingCommand& request, const remoting::Responder& responder, bool first_pass);

  PullRequestHoldService& hold_service() { return *hold_; }

 private:
  BrokerServices& services_;
  std::unique_ptr<PullRequestHoldService> hold_;
};

}  // namespace rmq::server

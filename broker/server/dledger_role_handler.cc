// Role changes in DLedger mode (see dledger_role_handler.h).
#include "broker/server/dledger_role_handler.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace rmq::server {
namespace {

const char* role_text(store::ReplicaRole role) {
  switch (role) {
    case store::ReplicaRole::kLeader:
      return "LEADER";
    case store::ReplicaRole::kCandidate:
      return "CANDIDATE";
    case store::ReplicaRole::kFollower:
      break;
  }
  return "FOLLOWER";
}

}  // namespace

std::optional<std::int64_t> follower_broker_id(std::string_view self_id) {
  if (self_id.size() < 2 || self_id.size() > 19) return std::nullopt;
  if (!std::isalpha(static_cast<unsigned char>(self_id[0]))) return std::nullopt;
  std::int64_t number = 0;
  for (char c : self_id.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    number = number * 10 + (c - '0');
    if (number > 1000000000) return std::nullopt;
  }
  const std::int64_t id = number + 1;
  return id == 0 ? 1 : id;
}

DLedgerRoleHandler::DLedgerRoleHandler(store::DLedgerReplicator& replicator, BrokerRoleState& role,
                                       std::string self_id, DLedgerRoleHooks hooks, DLedgerRoleHandlerOptions options)
    : replicator_(replicator),
      role_(role),
      self_id_(std::move(self_id)),
      follower_id_([this] {
        auto id = follower_broker_id(self_id_);
        if (!id) throw std::invalid_argument("dLegerSelfId '" + self_id_ + "' is not a letter followed by a number");
        return *id;
      }()),
      hooks_(std::move(hooks)),
      options_(options) {
  if (!hooks_.dispatch_behind_bytes) throw std::invalid_argument("DLedgerRoleHandler needs a dispatch-behind figure");
  if (options_.poll_interval_ms <= 0) options_.poll_interval_ms = 1;
}

DLedgerRoleHandler::~DLedgerRoleHandler() { shutdown(); }

void DLedgerRoleHandler::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  worker_ = std::thread([this] { run(); });
  replicator_.set_role_listener([this](const store::ReplicaStatus& status) { on_status(status); });
  // No event may have fired yet (or it fired before the listener was installed): act on what is true now.
  on_status(replicator_.status());
}

void DLedgerRoleHandler::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (worker_.joinable()) {
    replicator_.set_role_listener({});
    worker_.join();
  }
}

bool DLedgerRoleHandler::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

std::uint64_t DLedgerRoleHandler::handled_events() const {
  std::lock_guard lock(mutex_);
  return handled_;
}

std::uint64_t DLedgerRoleHandler::promotions() const {
  std::lock_guard lock(mutex_);
  return promotions_;
}

void DLedgerRoleHandler::on_status(const store::ReplicaStatus& status) {
  // Not leading any more: refuse sends from this instant, before the worker gets to re-register.
  if (status.role != store::ReplicaRole::kLeader) role_.demote();
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  pending_ = status;
  wake_.notify_all();
}

void DLedgerRoleHandler::run() {
  while (true) {
    store::ReplicaStatus status;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || pending_.has_value(); });
      if (stopping_) return;
      status = std::move(*pending_);  // only the newest event counts
      pending_.reset();
    }
    try {
      handle(status);
    } catch (const std::exception& e) {
      // A failing hook must not end the thread: the next event (or the periodic registration) repairs it.
      spdlog::error("broker: handling role {} of term {} failed: {}", role_text(status.role), status.term, e.what());
    }
    std::lock_guard lock(mutex_);
    ++handled_;
  }
}

void DLedgerRoleHandler::handle(const store::ReplicaStatus& status) {
  spdlog::info("broker: DLedger role {} term {} leader '{}' (self {}, committed {}, end {})", role_text(status.role),
               status.term, status.leader_id, self_id_, status.committed_index, status.end_index);
  switch (status.role) {
    case store::ReplicaRole::kCandidate:
      if (role_.get().is_slave() && role_.broker_id() == follower_id_) return;
      change_to_slave(status);
      return;
    case store::ReplicaRole::kFollower:
      change_to_slave(status);
      return;
    case store::ReplicaRole::kLeader:
      break;
  }
  if (!role_.get().is_slave() && role_.broker_id() == 0) return;  // already master in this term's leadership
  const auto started = std::chrono::steady_clock::now();
  if (!wait_until_caught_up(status.term)) {
    spdlog::info("broker: no longer leader of term {} before catching up; not becoming master", status.term);
    return;
  }
  if (hooks_.before_master) hooks_.before_master();
  if (hooks_.on_master) hooks_.on_master();
  role_.set(0, BrokerRole::kSyncMaster);
  {
    std::lock_guard lock(mutex_);
    ++promotions_;
  }
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("broker: leader of term {} caught up after {} ms; now brokerId 0 (SYNC_MASTER), registering",
               status.term, waited_ms);
  if (hooks_.register_now) hooks_.register_now();
}

void DLedgerRoleHandler::change_to_slave(const store::ReplicaStatus& status) {
  role_.set(follower_id_, BrokerRole::kSlave);
  if (hooks_.on_slave) hooks_.on_slave(follower_id_);
  spdlog::info("broker: now brokerId {} (SLAVE, leader '{}', term {}), registering", follower_id_, status.leader_id,
               status.term);
  if (hooks_.register_now) hooks_.register_now();
}

bool DLedgerRoleHandler::wait_until_caught_up(std::int64_t term) {
  while (true) {
    const store::ReplicaStatus now = replicator_.status();
    if (now.role != store::ReplicaRole::kLeader || now.term != term) return false;
    const bool empty = now.end_index == -1;
    if (empty || (now.end_index == now.committed_index && hooks_.dispatch_behind_bytes() == 0)) return true;
    std::unique_lock lock(mutex_);
    // A newer event ends the wait too: it is re-checked against the replicator's status above.
    if (wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                       [this] { return stopping_; })) {
      return false;
    }
    if (pending_ && (pending_->role != store::ReplicaRole::kLeader || pending_->term != term)) return false;
  }
}

}  // namespace rmq::server

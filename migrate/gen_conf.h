// gen-conf: the three (or more) broker configs of a RocketMQ-on-DLedger group, the upgrade guide's step 1.1
// ("write 3 configuration files") done by a program, because a hand-written set goes wrong silently: a peer
// list that differs between nodes, two nodes on one host sharing a port, a Master-Slave leftover such as
// brokerRole that now means nothing, a store path pointing at the old broker's directory.
//
// Three stages, so that `rmqctl migrate` can reuse the first two:
//   plan_gen_conf      options (+ the old broker.conf) -> one NodeConf per peer; pure, throws ConfigError
//   render_broker_conf NodeConf -> the file's text, keys in the guide's order; pure
//   write_gen_conf     writes the files atomically, refusing to replace a differing file unless forced
//
// Ports. A broker listens on listenPort, on listenPort-2 (fastListenPort, the VIP channel) and on
// listenPort+1 (haListenPort), and its DLedger member on the peer's port. All of those must differ among
// the nodes that share a machine. Default listenPort: 30911 (the guide's n0), plus 10 for each earlier node
// on the same machine, so a group on one host gets 30911, 30921, 30931 and a group on three hosts gets
// 30911 each. An old config's listenPort, --listen-port-base or --listen-ports replace the default; every
// choice is checked, and only the default moves (by 1000) to get out of the way of the DLedger ports.
//
// --from. The old broker's settings carry over (flushDiskType, mappedFileSizeCommitLog, deleteWhen, ...),
// except what identifies a Master-Slave member or its files, which DLedger replaces: brokerId, brokerRole,
// haMasterAddress, storePath*, listenPort (it becomes the listen port base), haListenPort, brokerIP1/2 and
// every dLeger* key. brokerClusterName, brokerName and namesrvAddr carry over unless given explicitly.
// Each change is reported as a note ("old.conf:3: brokerRole=ASYNC_MASTER dropped: DLedger elects roles").
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "broker/common/file_system.h"
#include "broker/common/java_properties.h"
#include "migrate/peers.h"

namespace rmq::migrate {

inline constexpr int kDefaultListenPort = 30911;        // the guide's broker-n0.conf
inline constexpr int kListenPortStepPerNode = 10;       // between nodes on one machine
inline constexpr int kDefaultListenPortRetryStep = 1000;  // moving the default away from DLedger ports
inline constexpr int kMinListenPort = 3;                // listenPort-2 must be a port
inline constexpr int kMaxListenPort = 65534;            // listenPort+1 must be a port

// std::thread::hardware_concurrency(), at least 1: the guide's advice for sendMessageThreadPoolNums.
int machine_core_count();

struct GenConfOptions {
  std::string peers;                              // --peers (required)
  std::optional<std::string> group;               // --group: brokerName and dLegerGroup
  std::optional<std::string> cluster;             // --cluster: brokerClusterName
  std::optional<std::string> namesrv;             // --namesrv: namesrvAddr
  std::string store_root;                         // --store-root (required): node i's store is <root>/nodeNN
  std::filesystem::path out_dir;                  // --out (required): where broker-<id>.conf go
  std::optional<common::JavaProperties> from;     // --from: the old broker.conf, already loaded
  std::string from_name;                          // its path as given, for notes
  std::optional<int> listen_port_base;            // --listen-port-base
  std::vector<int> listen_ports;                  // --listen-ports, one per peer in peers order; empty: unset
  std::optional<int> send_thread_count;           // --send-threads
  int default_send_thread_count = machine_core_count();
  bool allow_two_nodes = false;                   // --allow-two-nodes
};

// One node's broker config. Everything render_broker_conf writes comes from here.
struct NodeConf {
  std::string cluster_name;   // brokerClusterName
  std::string broker_name;    // brokerName
  int listen_port = 0;        // listenPort
  std::string namesrv_addr;   // namesrvAddr
  std::string store_root_dir; // storePathRootDir
  std::string commitlog_dir;  // storePathCommitLog
  std::string group;          // dLegerGroup
  std::string peers;          // dLegerPeers, normalized (format_peers)
  std::string self_id;        // dLegerSelfId
  int send_thread_count = 0;  // sendMessageThreadPoolNums
  std::vector<std::pair<std::string, std::string>> carried;  // other keys from the old config, its order
  std::string carried_from;   // where `carried` came from, named in a comment; empty when nothing carried
};

struct PlannedConf {
  std::filesystem::path path;  // <out>/broker-<id>.conf
  NodeConf node;
  std::string text;            // render_broker_conf(node)
};

struct GenConfPlan {
  std::filesystem::path out_dir;       // --out
  std::vector<Peer> peers;
  std::vector<PlannedConf> files;      // one per peer, in peers order
  std::vector<std::string> notes;      // what --from changed or dropped, defaults chosen; for stderr
  std::vector<std::string> warnings;   // accepted but risky: a two-node group, a relative store root
};

// What an old broker.conf contributes (the --from rules above), independent of the other options.
struct CarriedSettings {
  std::optional<std::string> cluster_name;   // brokerClusterName
  std::optional<std::string> broker_name;    // brokerName
  std::optional<std::string> namesrv_addr;   // namesrvAddr
  std::optional<int> listen_port;            // listenPort
  std::optional<int> send_thread_count;      // sendMessageThreadPoolNums
  std::vector<std::pair<std::string, std::string>> tuning;  // every other kept key, in file order
  std::vector<std::string> notes;            // "old.conf:4: brokerRole=ASYNC_MASTER dropped: DLedger elects roles"
};

// Throws common::ConfigError naming source_name:line for a listenPort or sendMessageThreadPoolNums that is
// not a number in range.
CarriedSettings carry_over(const common::JavaProperties& old_conf, const std::string& source_name);

// The listenPort of each peer (peers order). Throws common::ConfigError when a port is out of range or
// two ports collide on one machine.
std::vector<int> choose_listen_ports(const std::vector<Peer>& peers, const GenConfOptions& options,
                                     std::optional<int> carried_listen_port, std::vector<std::string>& notes);

// Throws common::ConfigError naming both users of the first port that two of them share on one machine
// (listenPort, listenPort-2, listenPort+1 of every node and every DLedger port).
void check_port_collisions(const std::vector<Peer>& peers, const std::vector<int>& listen_ports);

// Validates everything and lays out the group. Throws common::ConfigError with a one-line message.
GenConfPlan plan_gen_conf(const GenConfOptions& options);

// "broker-n0.conf".
std::string conf_file_name(const std::string& self_id);

// The config text: a comment header, the guide's keys in the guide's order, then the carried keys.
std::string render_broker_conf(const NodeConf& node);

enum class WriteStatus { kCreated, kReplaced, kUnchanged };
const char* to_string(WriteStatus status);

// What a write would do to one file, without writing: kUnchanged when it holds exactly `text`.
WriteStatus classify_existing(common::FileSystem& fs, const std::filesystem::path& path, const std::string& text);

// The planned files that exist with different content: what write_gen_conf refuses to replace.
std::vector<std::filesystem::path> conflicting_files(common::FileSystem& fs, const GenConfPlan& plan);

// Writes `text` to `path` so that a crash leaves the old file or the new one: a temporary file beside it
// (migrate/copy_file.h's temp_path_for), synced, renamed over `path`, directory synced. Throws IoError.
void write_file_atomically(common::FileSystem& fs, const std::filesystem::path& path, const std::string& text);

// A planned file exists with different content and --force was not given: nothing was written.
class ConflictError : public std::runtime_error {
 public:
  explicit ConflictError(std::vector<std::filesystem::path> paths);
  const std::vector<std::filesystem::path>& paths() const { return paths_; }

 private:
  std::vector<std::filesystem::path> paths_;
};

// Creates the output directory and writes every file that is missing or differs; identical files are left
// alone. Checks every file before writing any: a differing file without `force` throws ConflictError and
// nothing is written. Throws common::IoError on I/O errors. Returns each file's status, in plan order.
std::vector<WriteStatus> write_gen_conf(common::FileSystem& fs, const GenConfPlan& plan, bool force);

}  // namespace rmq::migrate

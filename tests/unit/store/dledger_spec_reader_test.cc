// A store written by us, on a real directory, read back by a decoder written here from storage.md 5 alone,
// the way DLedger 0.3.1.2's loader and recovery would read it (MmapFileList.load, DLedgerMmapFileStore.recover,
// get): every file exactly the configured size and named by its offset, every entry where its pos says,
// blanks as -1 + remaining + zeros, zeros after the last entry, index units in magic/pos/size/index/term
// order, currterm and checkpoint as key=value lines. It shares no code with the store's codecs.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "broker/common/file_system_posix.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_member_state_file.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;

// Independent big-endian reads.
std::int32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | b.at(at + i);
  return static_cast<std::int32_t>(v);
}
std::int64_t be64(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b.at(at + i);
  return static_cast<std::int64_t>(v);
}

std::vector<std::uint8_t> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The files of a DLedger directory as MmapFileList.load sees them: name -> content, every one fileSize long.
std::map<std::int64_t, std::vector<std::uint8_t>> load_file_list(const fs::path& dir, std::int64_t file_size) {
  std::map<std::int64_t, std::vector<std::uint8_t>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.size(), 20u) << name;
    EXPECT_EQ(name.find_first_not_of("0123456789"), std::string::npos) << name;
    auto content = slurp(entry.path());
    EXPECT_EQ(static_cast<std::int64_t>(content.size()), file_size) << name << " (upstream refuses to load it)";
    files[std::stoll(name)] = std::move(content);
  }
  std::int64_t expected = files.empty() ? 0 : files.begin()->first;
  for (const auto& [start, content] : files) {  // MmapFileList.checkSelf
    EXPECT_EQ(start, expected) << "files are not contiguous";
    expected = start + file_size;
  }
  return files;
}

struct SpecEntry {
  std::int64_t index, term, pos;
  std::vector<std::uint8_t> body;
};

// DLedgerMmapFileStore.recover's scan over all files, strict: anything that is not an entry, a blank or the
// zeros after the last entry fails the test.
std::vector<SpecEntry> scan_entries(const std::map<std::int64_t, std::vector<std::uint8_t>>& files, std::int64_t file_size) {
  std::vector<SpecEntry> out;
  bool ended = false;
  for (const auto& [start, b] : files) {
    EXPECT_FALSE(ended) << "a data file after the end of data";
    std::size_t at = 0;
    while (true) {
      const std::int32_t magic = be32(b, at);
      if (magic == -1) {  // blank: -1, remaining length, zeros to the end of the file
        EXPECT_EQ(be32(b, at + 4), file_size - static_cast<std::int64_t>(at));
        for (std::size_t i = at + 8; i < b.size(); ++i) EXPECT_EQ(b[i], 0) << "blank not zero-filled";
        break;
      }
      const std::int32_t size = be32(b, at + 4);
      if (size == 0) {  // end of data: the rest of the file is zeros
        for (std::size_t i = at; i < b.size(); ++i) {
          if (b[i] != 0) {
            ADD_FAILURE() << "non-zero byte after the end of data at " << start + static_cast<std::int64_t>(i);
            break;
          }
        }
        ended = true;
        break;
      }
      SpecEntry e;
      EXPECT_EQ(magic, 1);
      e.index = be64(b, at + 8);
      e.term = be64(b, at + 16);
      e.pos = be64(b, at + 24);
      EXPECT_EQ(be32(b, at + 32), 0);  // channel
      EXPECT_EQ(be32(b, at + 36), 0);  // chainCrc, never computed by 0.3.1.2
      EXPECT_EQ(be32(b, at + 40), 0);  // bodyCrc, never computed by 0.3.1.2
      const std::int32_t body_len = be32(b, at + 44);
      EXPECT_EQ(body_len + 48, size);
      EXPECT_GT(size, 44);
      EXPECT_EQ(e.pos, start + static_cast<std::int64_t>(at));
      EXPECT_LE(at + static_cast<std::size_t>(size) + 8, b.size()) << "an entry must leave room for a blank";
      if (!out.empty()) {
        EXPECT_EQ(e.index, out.back().index + 1);
        EXPECT_GE(e.term, out.back().term);
      }
      e.body.assign(b.begin() + static_cast<std::ptrdiff_t>(at + 48), b.begin() + static_cast<std::ptrdiff_t>(at + static_cast<std::size_t>(size)));
      out.push_back(std::move(e));
      at += static_cast<std::size_t>(size);
      if (::testing::Test::HasFailure()) return out;
    }
  }
  return out;
}

std::map<std::string, std::string> properties_lines(const fs::path& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(std::string(std::istreambuf_iterator<char>(std::ifstream(path).rdbuf()), {}));
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    EXPECT_NE(eq, std::string::npos) << line;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

TEST(DLedgerSpecReader, StoreWrittenByUsLoadsAsUpstreamWouldReadIt) {
  rmq::testing::TempDir tmp;
  common::PosixFileSystem posix;
  constexpr std::int64_t kFileBytes = 64 * 1024;
  constexpr std::int64_t kIndexBytes = 32 * 64;
  DLedgerStoreOptions options;
  options.store_root = tmp.path();
  options.self_id = "n1";
  options.data_file_bytes = kFileBytes;
  options.index_file_bytes = kIndexBytes;
  options.first_entry_pos = 3 * kFileBytes;  // after a legacy commitlog of three files
  std::vector<DLedgerEntry> expected;
  {
    auto store = DLedgerEntryStore::open(posix, options);
    for (int i = 0; i < 400; ++i) {
      common::Bytes body(static_cast<std::size_t>(100 + (i * 131) % 1900), static_cast<std::uint8_t>(i));
      expected.push_back(store->append_as_leader(1 + i / 100, body, write_commitlog_physical_offset));
    }
    store->truncate_after(349);  // a follower's conflict resolution, then a new leader's entries
    expected.resize(350);
    for (int i = 0; i < 30; ++i) {
      expected.push_back(store->append_as_leader(9, common::Bytes(500, 0xEE), write_commitlog_physical_offset));
    }
    store->set_committed_index(360);
    store->save_checkpoint();
    DLedgerMemberStateFile(posix, store->dir()).save_hard_state(DLedgerHardState{9, "n1"});
  }

  const fs::path dir = tmp.path() / "dledger-n1";
  const auto data = load_file_list(dir / "data", kFileBytes);
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.begin()->first, 3 * kFileBytes);  // dividedCommitlogOffset = first file's name
  const auto entries = scan_entries(data, kFileBytes);
  ASSERT_EQ(entries.size(), expected.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].index, static_cast<std::int64_t>(i));
    EXPECT_EQ(entries[i].term, expected[i].term);
    EXPECT_EQ(entries[i].pos, expected[i].pos);
    EXPECT_EQ(entries[i].body, expected[i].body);
    EXPECT_EQ(be64(entries[i].body, 28), entries[i].pos + 48) << "PHYSICALOFFSET = pos + 48";
  }
  EXPECT_EQ(entries.front().pos, 3 * kFileBytes);

  // Index units: entry i at byte i * 32 of the index file space, magic/pos/size/index/term.
  const auto index = load_file_list(dir / "index", kIndexBytes);
  ASSERT_FALSE(index.empty());
  EXPECT_EQ(index.begin()->first, 0);
  for (const auto& e : entries) {
    const std::int64_t offset = e.index * 32;
    const auto& file = index.at(offset - offset % kIndexBytes);
    const auto at = static_cast<std::size_t>(offset % kIndexBytes);
    EXPECT_EQ(be32(file, at), 1);
    EXPECT_EQ(be64(file, at + 4), e.pos);
    EXPECT_EQ(be32(file, at + 12), static_cast<std::int32_t>(e.body.size() + 48));
    EXPECT_EQ(be64(file, at + 16), e.index);
    EXPECT_EQ(be64(file, at + 24), e.term);
  }
  // After the last unit the index space is zeros (upstream's recovery truncates it there anyway).
  const std::int64_t end = static_cast<std::int64_t>(entries.size()) * 32;
  const auto& last_index_file = index.rbegin()->second;
  for (std::int64_t off = end; off < index.rbegin()->first + kIndexBytes; ++off) {
    ASSERT_EQ(last_index_file[static_cast<std::size_t>(off - index.rbegin()->first)], 0) << off;
  }

  auto term = properties_lines(dir / "currterm");
  EXPECT_EQ(term["currTerm"], "9");
  EXPECT_EQ(term["voteLeader"], "n1");
  auto checkpoint = properties_lines(dir / "checkpoint");
  EXPECT_EQ(checkpoint["endIndex"], "379");
  EXPECT_EQ(checkpoint["committedIndex"], "360");
  EXPECT_FALSE(fs::exists(dir / "currterm.tmp"));
  EXPECT_FALSE(fs::exists(dir / "checkpoint.tmp"));
}

}  // namespace
}  // namespace rmq::store

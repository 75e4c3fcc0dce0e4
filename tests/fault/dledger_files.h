// Reads a stopped node's DLedger store straight from its files, as storage.md 5 lays them out, and compares
// the nodes' data regions byte for byte up to their common committed index: the fault suite's last check
// ("after healing, the three nodes' DLedger regions are byte-identical up to the common committed index").
//
// Written from the spec, not with the store's own code (broker/store/dledger_*), so a bug in our reader cannot
// hide the same bug in our writer. What it reads:
//   {root}/dledger-{selfId}/data/<20-digit absolute offset>   entries (5.2) and blank padding (5.3)
//   {root}/dledger-{selfId}/index/<20-digit byte offset>      32-byte index units (5.4), unit i at byte i*32
//   {root}/dledger-{selfId}/checkpoint                        committedIndex=<long> (5.1)
// Every entry header is checked (magic 1, size = 48 + bodyLen, pos = its absolute offset, indexes consecutive,
// terms non-decreasing) against its index unit, like the recovery scan of 5.6. Followers write the leader's
// bytes as received (5.5), so replicas are byte-identical: any difference below the committed index is a
// divergent log.
#pragma once

#include <algorithm>
#include <cstdio>
#include <limits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace rmq::fault {

struct DLedgerEntryRef {
  std::int64_t index = 0;
  std::int64_t term = 0;
  std::int64_t pos = 0;
  std::int32_t size = 0;
  bool operator==(const DLedgerEntryRef&) const = default;
};

struct DLedgerScan {
  std::filesystem::path dir;
  std::optional<std::int64_t> committed_index;  // from checkpoint
  std::vector<DLedgerEntryRef> entries;         // from the first entry up to the last index asked for
  std::vector<std::string> problems;
};

namespace detail {

inline std::int64_t be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int64_t>(v);
}
inline std::int32_t be32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<std::int32_t>(v);
}

// The 20-digit-named files of `dir`, sorted: (start offset, path).
inline std::vector<std::pair<std::int64_t, std::filesystem::path>> numbered_files(const std::filesystem::path& dir) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 20 && name.find_first_not_of("0123456789") == std::string::npos) {
      out.emplace_back(std::stoll(name), e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::optional<std::int64_t> property(const std::filesystem::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) {
      try {
        return std::stoll(line.substr(key.size() + 1));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace detail

inline constexpr std::int32_t kEntryHeaderBytes = 48;
inline constexpr std::int64_t kIndexUnitBytes = 32;

// Walks `dir` (= storePathRootDir/dledger-<selfId>) from its first data file through the entry `last_index`.
inline DLedgerScan scan_dledger_store(const std::filesystem::path& dir, std::int64_t data_file_size,
                                      std::int64_t last_index) {
  DLedgerScan s;
  s.dir = dir;
  s.committed_index = detail::property(dir / "checkpoint", "committedIndex");
  const auto data = detail::numbered_files(dir / "data");
  const auto index = detail::numbered_files(dir / "index");
  if (data.empty() || index.empty()) {
    s.problems.push_back(dir.string() + ": no data or no index file");
    return s;
  }
  for (std::size_t i = 1; i < data.size(); ++i) {
    if (data[i].first != data[i - 1].first + data_file_size) {
      s.problems.push_back(data[i].second.string() + ": data files not contiguous");
      return s;
    }
  }
  const std::int64_t index_file_size = static_cast<std::int64_t>(std::filesystem::file_size(index[0].second));
  const auto index_unit = [&](std::int64_t i) -> std::optional<std::string> {
    const std::int64_t at = i * kIndexUnitBytes;
    for (const auto& [start, path] : index) {
      if (start <= at && at + kIndexUnitBytes <= start + index_file_size) {
        std::ifstream in(path, std::ios::binary);
        in.seekg(at - start);
        std::string unit(kIndexUnitBytes, '\0');
        if (!in.read(unit.data(), kIndexUnitBytes)) return std::nullopt;
        return unit;
      }
    }
    return std::nullopt;
  };

  std::optional<std::int64_t> expect_index;
  std::int64_t last_term = -1;
  for (const auto& [file_start, path] : data) {
    const std::string bytes = detail::read_whole(path);
    if (static_cast<std::int64_t>(bytes.size()) != data_file_size) {
      s.problems.push_back(path.string() + ": " + std::to_string(bytes.size()) + " bytes, not " +
                           std::to_string(data_file_size));
      return s;
    }
    std::int64_t at = 0;
    while (at + 8 <= data_file_size) {
      if (expect_index && *expect_index > last_index) return s;
      const std::string where = path.string() + " offset " + std::to_string(at);
      const std::int32_t magic = detail::be32(bytes.data() + at);
      const std::int32_t size = detail::be32(bytes.data() + at + 4);
      if (magic == -1) {  // blank padding to the end of the file
        if (size != data_file_size - at) s.problems.push_back(where + ": blank of " + std::to_string(size) + " bytes");
        break;
      }
      if (magic == 0 && size == 0) {
        s.problems.push_back(where + ": the data ends before index " + std::to_string(last_index));
        return s;
      }
      if (magic != 1 || size <= kEntryHeaderBytes || at + size > data_file_size) {
        s.problems.push_back(where + ": magic " + std::to_string(magic) + " size " + std::to_string(size));
        return s;
      }
      DLedgerEntryRef e;
      e.index = detail::be64(bytes.data() + at + 8);
      e.term = detail::be64(bytes.data() + at + 16);
      e.pos = detail::be64(bytes.data() + at + 24);
      e.size = size;
      const std::int32_t body_len = detail::be32(bytes.data() + at + 44);
      if (e.pos != file_start + at) s.problems.push_back(where + ": pos field " + std::to_string(e.pos));
      if (body_len + kEntryHeaderBytes != size) s.problems.push_back(where + ": bodyLen + 48 != size");
      if (expect_index && e.index != *expect_index) {
        s.problems.push_back(where + ": index " + std::to_string(e.index) + ", expected " + std::to_string(*expect_index));
        return s;
      }
      if (e.term < last_term) s.problems.push_back(where + ": term " + std::to_string(e.term) + " after " + std::to_string(last_term));
      const auto unit = index_unit(e.index);
      if (!unit || detail::be32(unit->data()) != 1 || detail::be64(unit->data() + 4) != e.pos ||
          detail::be32(unit->data() + 12) != e.size || detail::be64(unit->data() + 16) != e.index ||
          detail::be64(unit->data() + 24) != e.term) {
        s.problems.push_back(where + ": index unit " + std::to_string(e.index) + " does not match the entry");
      }
      if (s.problems.size() > 20) return s;
      if (e.index <= last_index) s.entries.push_back(e);
      last_term = e.term;
      expect_index = e.index + 1;
      at += size;
    }
  }
  if (!expect_index || *expect_index <= last_index) {
    s.problems.push_back(dir.string() + ": the data ends before index " + std::to_string(last_index));
  }
  return s;
}

struct RegionComparison {
  std::int64_t common_committed_index = -1;
  std::int64_t first_index = -1;   // first index every node still holds
  std::int64_t bytes_compared = 0;
  std::vector<std::string> problems;
};

// Compares the stopped nodes' stores (`dirs`, each storePathRootDir/dledger-<selfId>) up to the smallest
// committed index among their checkpoints: same entry list (index, term, pos, size) and identical bytes over
// [pos of the first entry all hold, end of the common committed entry), blank padding included.
inline RegionComparison compare_dledger_regions(const std::vector<std::filesystem::path>& dirs,
                                                std::int64_t data_file_size) {
  RegionComparison c;
  std::int64_t common = std::numeric_limits<std::int64_t>::max();
  for (const auto& d : dirs) {
    const auto committed = detail::property(d / "checkpoint", "committedIndex");
    if (!committed) {
      c.problems.push_back((d / "checkpoint").string() + ": no committedIndex");
      return c;
    }
    common = std::min(common, *committed);
  }
  c.common_committed_index = common;
  if (common < 0) return c;
  std::vector<DLedgerScan> scans;
  for (const auto& d : dirs) {
    scans.push_back(scan_dledger_store(d, data_file_size, common));
    for (const auto& p : scans.back().problems) c.problems.push_back(p);
  }
  if (!c.problems.empty()) return c;
  for (const auto& s : scans) {
    if (s.entries.empty() || s.entries.back().index != common) {
      c.problems.push_back(s.dir.string() + ": does not hold the common committed index " + std::to_string(common));
      return c;
    }
    c.first_index = std::max(c.first_index, s.entries.front().index);
  }
  const auto entry_at = [&](const DLedgerScan& s, std::int64_t i) {
    return s.entries[static_cast<std::size_t>(i - s.entries.front().index)];
  };
  for (std::size_t n = 1; n < scans.size(); ++n) {
    for (std::int64_t i = c.first_index; i <= common; ++i) {
      if (!(entry_at(scans[n], i) == entry_at(scans[0], i))) {
        const auto a = entry_at(scans[0], i);
        const auto b = entry_at(scans[n], i);
        c.problems.push_back("entry " + std::to_string(i) + ": " + scans[0].dir.string() + " has term " +
                             std::to_string(a.term) + " pos " + std::to_string(a.pos) + " size " + std::to_string(a.size) +
                             ", " + scans[n].dir.string() + " term " + std::to_string(b.term) + " pos " +
                             std::to_string(b.pos) + " size " + std::to_string(b.size));
        return c;
      }
    }
  }
  // Byte comparison, file by file over [lo, hi).
  const std::int64_t lo = entry_at(scans[0], c.first_index).pos;
  const auto last = entry_at(scans[0], common);
  const std::int64_t hi = last.pos + last.size;
  for (std::int64_t file_start = lo - lo % data_file_size; file_start < hi; file_start += data_file_size) {
    char name[32];
    std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(file_start));
    const std::int64_t from = std::max(lo, file_start) - file_start;
    const std::int64_t to = std::min(hi, file_start + data_file_size) - file_start;
    const auto slice = [&](const std::filesystem::path& path) -> std::optional<std::string> {
      const std::string whole = detail::read_whole(path);
      if (static_cast<std::int64_t>(whole.size()) < to) return std::nullopt;
      return whole.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
    };
    const auto first = slice(dirs[0] / "data" / name);
    if (!first) {
      c.problems.push_back((dirs[0] / "data" / name).string() + ": missing or short");
      return c;
    }
    for (std::size_t n = 1; n < dirs.size(); ++n) {
      const auto other = slice(dirs[n] / "data" / name);
      if (!other) {
        c.problems.push_back((dirs[n] / "data" / name).string() + ": missing or short");
        return c;
      }
      if (*other != *first) {
        std::size_t k = 0;
        while (k < first->size() && (*first)[k] == (*other)[k]) ++k;
        c.problems.push_back("data differs: " + (dirs[0] / "data" / name).string() + " and " +
                             (dirs[n] / "data" / name).string() + " at byte " +
                             std::to_string(from + static_cast<std::int64_t>(k)) +
                             " of the file (below the common committed index " + std::to_string(common) + ")");
        return c;
      }
    }
    c.bytes_compared += to - from;
  }
  return c;
}

}  // namespace rmq::fault

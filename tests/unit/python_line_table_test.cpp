// Line table decoders (src/python/line_table.hpp): hand-built tables, hostile
// input, and ground truth from every CPython 3.6–3.13 found on the machine.
// tests/targets/python/dump_line_tables.py compiles awkward sources in each
// interpreter and records the interpreter's own line for every code unit;
// every one must decode to the same line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "python/line_table.hpp"

#include "pyenv_dirs.hpp"

namespace fs = std::filesystem;
using namespace corostack::python;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b & 0xff));
  return out;
}

// ---------------------------------------------------------------------------
// Hand-built tables.

TEST(PythonLineTable, LnotabKnownAnswers) {
  // (6, +1), (8, -2): offsets 0..5 -> 10, 6..13 -> 11, 14.. -> 9.
  auto t = bytes({6, 1, 8, 0xfe});
  EXPECT_EQ(lnotab_line(t, 10, 0), 10);
  EXPECT_EQ(lnotab_line(t, 10, 5), 10);
  EXPECT_EQ(lnotab_line(t, 10, 6), 11);
  EXPECT_EQ(lnotab_line(t, 10, 13), 11);
  EXPECT_EQ(lnotab_line(t, 10, 14), 9);
  EXPECT_EQ(lnotab_line(t, 10, UINT32_MAX), 9);
  // Large line jump split as (0, 127), (0, 127), (2, 46): 300 lines from 0.
  auto big = bytes({0, 127, 0, 127, 2, 46});
  EXPECT_EQ(lnotab_line(big, 1, 0), 255);
  EXPECT_EQ(lnotab_line(big, 1, 2), 301);
  EXPECT_EQ(lnotab_line({}, 7, 100), 7);
  EXPECT_EQ(lnotab_line(bytes({2}), 7, 0), std::nullopt);  // odd length
}

// 2.7 (Objects/lnotab_notes.txt of 2.7): line increments are unsigned, and a
// position is a byte offset (instructions of 1 or 3 bytes).
TEST(PythonLineTable, Lnotab27KnownAnswers) {
  // (3, +1), (4, +200): offsets 0..2 -> 10, 3..6 -> 11, 7.. -> 211 (3.6+ would read -56).
  auto t = bytes({3, 1, 4, 200});
  EXPECT_EQ(lnotab27_line(t, 10, 0), 10);
  EXPECT_EQ(lnotab27_line(t, 10, 2), 10);
  EXPECT_EQ(lnotab27_line(t, 10, 3), 11);
  EXPECT_EQ(lnotab27_line(t, 10, 6), 11);
  EXPECT_EQ(lnotab27_line(t, 10, 7), 211);
  EXPECT_EQ(lnotab_line(t, 10, 7), 11 - 56);
  EXPECT_EQ(lnotab27_line({}, 7, 100), 7);
  EXPECT_EQ(lnotab27_line(bytes({2}), 7, 0), std::nullopt);  // odd length
  // line_for passes 2.7's position through as a byte offset: 3 is not 2 * 1.
  EXPECT_EQ(line_for(2, 7, t, 10, 3), 11);
  EXPECT_EQ(line_for(2, 7, t, 10, 7), 211);
  EXPECT_EQ(line_table_format(2, 7), LineTableFormat::kLnotab27);
  EXPECT_EQ(line_table_format(2, 6), std::nullopt);
}

TEST(PythonLineTable, Linetable310KnownAnswers) {
  // [0,4) +0; empty +127; [4,10) +3; [10,12) no line.
  auto t = bytes({4, 0, 0, 127, 6, 3, 2, 0x80});
  EXPECT_EQ(linetable_310_line(t, 5, 0), 5);
  EXPECT_EQ(linetable_310_line(t, 5, 3), 5);
  EXPECT_EQ(linetable_310_line(t, 5, 4), 135);
  EXPECT_EQ(linetable_310_line(t, 5, 9), 135);
  EXPECT_EQ(linetable_310_line(t, 5, 10), std::nullopt);
  EXPECT_EQ(linetable_310_line(t, 5, 12), std::nullopt);  // past the end
  // A "no line" entry does not move the running line.
  auto u = bytes({2, 0x80, 2, 1});
  EXPECT_EQ(linetable_310_line(u, 5, 2), 6);
  EXPECT_EQ(linetable_310_line({}, 5, 0), std::nullopt);
}

TEST(PythonLineTable, LocationTableKnownAnswers) {
  auto t = bytes({
      0x81, 0x12,              // short form code 0, 2 units, same line
      0xd8, 0x01, 0x02,        // one-line form code 11 (+1), 1 unit
      0xf8,                    // code 15: no location, 1 unit
      0xe8, 0x07,              // code 13 (no column), svarint -3
      0xf0, 0x48, 0x03, 0x00,  // code 14 (long), svarint +100 (200 = 0x48 0x03),
      0x05, 0x06,              //   end-line delta 0, columns 5 and 6
      0xfa,                    // code 15, 3 units
  });
  EXPECT_EQ(location_table_line(t, 50, 0), 50);
  EXPECT_EQ(location_table_line(t, 50, 1), 50);
  EXPECT_EQ(location_table_line(t, 50, 2), 51);
  EXPECT_EQ(location_table_line(t, 50, 3), std::nullopt);
  EXPECT_EQ(location_table_line(t, 50, 4), 48);
  EXPECT_EQ(location_table_line(t, 50, 5), 148);
  EXPECT_EQ(location_table_line(t, 50, 6), std::nullopt);
  EXPECT_EQ(location_table_line(t, 50, 8), std::nullopt);
  EXPECT_EQ(location_table_line(t, 50, 9), std::nullopt);  // past the end
  // Five-byte varint (30 bits) is accepted; six bytes are not.
  auto five = bytes({0xe8, 0x40, 0x40, 0x40, 0x40, 0x02});  // 2 << 24 -> +(1 << 24)
  EXPECT_EQ(location_table_line(five, 1, 0), 1 + (1 << 24));
  auto six = bytes({0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0x02});
  EXPECT_EQ(location_table_line(six, 1, 0), std::nullopt);
}

TEST(PythonLineTable, Dispatch) {
  auto lnotab = bytes({4, 1});
  EXPECT_EQ(line_for(3, 9, lnotab, 1, 1), 1);  // byte offset 2
  EXPECT_EQ(line_for(3, 9, lnotab, 1, 2), 2);  // byte offset 4
  auto l310 = bytes({4, 0, 4, 1});
  EXPECT_EQ(line_for(3, 10, l310, 1, 1), 1);
  EXPECT_EQ(line_for(3, 10, l310, 1, 2), 2);
  auto loc = bytes({0x81, 0x00, 0xd8, 0, 0});
  EXPECT_EQ(line_for(3, 11, loc, 1, 1), 1);
  EXPECT_EQ(line_for(3, 13, loc, 1, 2), 2);
  EXPECT_EQ(line_for(3, 5, lnotab, 1, 0), std::nullopt);
  EXPECT_EQ(line_for(3, 14, loc, 1, 2), 2);  // 3.14 and 3.15 keep the PEP 657 table
  EXPECT_EQ(line_for(2, 6, lnotab, 1, 0), std::nullopt);
  EXPECT_EQ(line_for(3, 9, lnotab, 1, UINT32_MAX), std::nullopt);  // * 2 overflows
  EXPECT_EQ(line_table_format(3, 6), LineTableFormat::kLnotab);
  EXPECT_EQ(line_table_format(3, 10), LineTableFormat::kLinetable310);
  EXPECT_EQ(line_table_format(3, 12), LineTableFormat::kLocationTable);
}

// ---------------------------------------------------------------------------
// Hostile input.

TEST(PythonLineTable, LineOverflowIsRejected) {
  EXPECT_EQ(lnotab_line(bytes({0, 1}), INT_MAX, 0), std::nullopt);
  EXPECT_EQ(lnotab_line(bytes({0, 0xff}), INT_MIN, 0), std::nullopt);
  EXPECT_EQ(linetable_310_line(bytes({2, 1}), INT_MAX, 0), std::nullopt);
  EXPECT_EQ(location_table_line(bytes({0xe8, 0x02}), INT_MAX, 0), std::nullopt);
  EXPECT_EQ(location_table_line(bytes({0xe8, 0x03}), INT_MIN, 0), std::nullopt);
  // Out of int range mid-way and back in range: still a line (arithmetic is
  // 64-bit and checked, not wrapped).
  EXPECT_EQ(location_table_line(bytes({0xe8, 0x02, 0xe8, 0x03}), INT_MAX, 1), INT_MAX);
  // Many maximal deltas: 64-bit accumulation with no wrap.
  std::vector<std::byte> many;
  for (int i = 0; i < 4096; ++i) {
    for (int b : {0xe8, 0x7e, 0x7f, 0x7f, 0x7f, 0x3f}) many.push_back(std::byte(b));
  }
  EXPECT_EQ(location_table_line(many, 0, 4095), std::nullopt);
}

TEST(PythonLineTable, MalformedLocationTables) {
  EXPECT_EQ(location_table_line(bytes({0x01}), 1, 0), std::nullopt);        // no entry bit
  EXPECT_EQ(location_table_line(bytes({0x80}), 1, 0), std::nullopt);        // short form cut
  EXPECT_EQ(location_table_line(bytes({0xd0, 1}), 1, 0), std::nullopt);     // one-line cut
  EXPECT_EQ(location_table_line(bytes({0xe8}), 1, 0), std::nullopt);        // varint missing
  EXPECT_EQ(location_table_line(bytes({0xe8, 0x40}), 1, 0), std::nullopt);  // varint cut
  EXPECT_EQ(location_table_line(bytes({0xe8, 0x82}), 1, 0), std::nullopt);  // bit 7 in varint
  EXPECT_EQ(location_table_line(bytes({0xf0, 0x02, 0x00, 0x00}), 1, 0), std::nullopt);
  EXPECT_EQ(location_table_line(bytes({0xf0, 0x02, 0x00, 0x00, 0x00}), 1, 0), 2);
  EXPECT_EQ(location_table_line(bytes({0xf8}), 1, UINT32_MAX), std::nullopt);
}

TEST(PythonLineTable, RandomGarbageNeverMisbehaves) {
  // Meaningful under the ASan/UBSan build: any out-of-bounds read or signed
  // overflow aborts there.
  std::mt19937_64 rng(0x1ea7ab1e);
  std::vector<std::byte> buf;
  const std::array<int, 6> firsts = {0, 1, -1, INT_MAX, INT_MIN, 123456};
  size_t lines = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    buf.resize(rng() % 80);
    const bool entries = iter % 2;  // half the time, bias towards valid entry bytes
    for (auto& b : buf) {
      uint8_t v = static_cast<uint8_t>(rng());
      if (entries && rng() % 3 == 0) v |= 0x80;
      b = std::byte(v);
    }
    const int first = firsts[rng() % firsts.size()];
    const uint32_t pos = (rng() % 4 == 0) ? static_cast<uint32_t>(rng()) : rng() % 200;
    for (int minor = 5; minor <= 14; ++minor) {
      lines += line_for(3, minor, buf, first, pos).has_value();
    }
    lines += lnotab_line(buf, first, pos).has_value();
    lines += linetable_310_line(buf, first, pos).has_value();
    lines += location_table_line(buf, first, pos).has_value();
  }
  EXPECT_GT(lines, 0u);
}

// ---------------------------------------------------------------------------
// Ground truth from real interpreters.

struct Interpreter {
  std::string name;  // "3.11.7" or "/usr/bin/python3.11"
  fs::path path;
  int minor;
};

using corostack::testing_support::pyenv_version_dirs;

// pyenv builds named 3.X.Y, plus /usr/bin/python3.X, for X in 6..13.
std::vector<Interpreter> find_interpreters() {
  std::vector<Interpreter> out;
  std::set<fs::path> seen;
  const std::regex pyenv_name(R"(^3\.([0-9]+)\.[0-9]+$)");
  const std::regex system_name(R"(^python3\.([0-9]+)$)");
  auto add = [&](const std::string& name, const fs::path& path, int minor) {
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);
    if (ec || minor < 6 || minor > 13 || !seen.insert(real).second) return;
    out.push_back({name, path, minor});
  };
  for (const auto& dir : pyenv_version_dirs()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string n = entry.path().filename().string();
      std::smatch m;
      if (std::regex_match(n, m, pyenv_name)) {
        add(n, entry.path() / "bin" / "python", std::stoi(m[1]));
      }
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/bin", ec)) {
    const std::string n = entry.path().filename().string();
    std::smatch m;
    if (std::regex_match(n, m, system_name))
      add(entry.path().string(), entry.path(), std::stoi(m[1]));
  }
  return out;
}

fs::path script_path() {
  return fs::path(__FILE__).parent_path() / ".." / "targets" / "python" / "dump_line_tables.py";
}

struct RunResult {
  bool ok = false;
  std::string output;  // stdout, or an error description
};

RunResult run_dumper(const Interpreter& interp) {
  // -I: ignore the environment and user site; -B: write no .pyc files.
  const std::string cmd =
      "'" + interp.path.string() + "' -I -B '" + script_path().string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {false, "popen failed"};
  std::string out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {false, "exit status " + std::to_string(status) + ": " + out.substr(0, 2000)};
  }
  return {true, std::move(out)};
}

// The interpreters of one minor version, each run once per test process (in
// parallel). Runs are per minor so that ctest, which starts one process per
// test, still runs every interpreter exactly once.
const std::vector<std::pair<Interpreter, RunResult>>& runs_for(int minor) {
  static std::map<int, std::vector<std::pair<Interpreter, RunResult>>> cache;
  auto it = cache.find(minor);
  if (it != cache.end()) return it->second;
  std::vector<Interpreter> interps;
  for (const auto& i : find_interpreters()) {
    if (i.minor == minor) interps.push_back(i);
  }
  std::vector<std::future<RunResult>> futures;
  for (const auto& i : interps) futures.push_back(std::async(std::launch::async, run_dumper, i));
  auto& out = cache[minor];
  for (size_t k = 0; k < interps.size(); ++k) out.emplace_back(interps[k], futures[k].get());
  return out;
}

std::vector<std::byte> from_hex(const std::string& hex) {
  std::vector<std::byte> out;
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length");
  for (size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

void check_interpreter(const Interpreter& interp, const RunResult& run) {
  SCOPED_TRACE(interp.name);
  ASSERT_TRUE(run.ok) << interp.path << ": " << run.output;
  const auto doc = nlohmann::json::parse(run.output);
  const int major = doc.at("major").get<int>();
  const int minor = doc.at("minor").get<int>();
  ASSERT_EQ(major, 3);
  ASSERT_EQ(minor, interp.minor);
  const std::string format = doc.at("format").get<std::string>();
  const auto expected_format = line_table_format(major, minor);
  ASSERT_TRUE(expected_format.has_value());
  ASSERT_EQ(format, *expected_format == LineTableFormat::kLnotab         ? "lnotab"
                    : *expected_format == LineTableFormat::kLinetable310 ? "linetable310"
                                                                         : "locations");
  size_t offsets = 0, codes = 0, no_line = 0, mismatches = 0;
  for (const auto& code : doc.at("code")) {
    ++codes;
    const auto table = from_hex(code.at("table").get<std::string>());
    const int first = code.at("firstlineno").get<int>();
    const auto& lines = code.at("lines");
    for (size_t i = 0; i < lines.size(); ++i) {
      ++offsets;
      std::optional<int> want;
      if (!lines[i].is_null()) want = lines[i].get<int>();
      if (!want) ++no_line;
      const uint32_t unit = static_cast<uint32_t>(i);
      const std::optional<int> got = line_for(major, minor, table, first, unit);
      // The per-format entry points must agree with the dispatcher.
      std::optional<int> direct;
      switch (*expected_format) {
        case LineTableFormat::kLnotab27:  // not run: the script needs Python 3
          direct = lnotab27_line(table, first, unit);
          break;
        case LineTableFormat::kLnotab:
          direct = lnotab_line(table, first, unit * 2);
          break;
        case LineTableFormat::kLinetable310:
          direct = linetable_310_line(table, first, unit * 2);
          break;
        case LineTableFormat::kLocationTable:
          direct = location_table_line(table, first, unit);
          break;
      }
      if (got != want || direct != want) {
        if (++mismatches <= 20) {
          ADD_FAILURE() << interp.name << " " << code.at("source").get<std::string>() << ":"
                        << code.at("name").get<std::string>() << " firstlineno=" << first
                        << " unit " << i << ": want " << (want ? std::to_string(*want) : "None")
                        << ", got " << (got ? std::to_string(*got) : "None") << " (direct "
                        << (direct ? std::to_string(*direct) : "None")
                        << ") table=" << code.at("table").get<std::string>().substr(0, 400);
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << interp.name << ": " << mismatches << " of " << offsets
                            << " offsets wrong";
  EXPECT_GT(codes, 100u);
  if (mismatches == 0) {
    std::cout << "[   INFO   ] " << doc.at("version").get<std::string>() << " (" << interp.name
              << "): " << offsets << " offsets in " << codes << " code objects OK (" << no_line
              << " without a line)\n";
  }
}

class PythonLineTableGroundTruth : public ::testing::TestWithParam<int> {};

TEST_P(PythonLineTableGroundTruth, EveryCodeUnitMatchesTheInterpreter) {
  const int minor = GetParam();
  bool any = false;
  for (const auto& [interp, run] : runs_for(minor)) {
    any = true;
    check_interpreter(interp, run);
  }
  if (!any) {
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no CPython 3." << minor << " (~/.pyenv/versions/3." << minor
                 << ".* or /usr/bin/python3." << minor << "): the 3." << minor
                 << " line table decoder is NOT checked against it";
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, PythonLineTableGroundTruth, ::testing::Range(6, 14),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "py3_" + std::to_string(info.param);
                         });

// A machine with pyenv must prove at least one version.
TEST(PythonLineTableGroundTruthCoverage, SomeInterpreterWasChecked) {
  const auto found = find_interpreters();
  if (pyenv_version_dirs().empty() && found.empty()) {
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no ~/.pyenv/versions and no /usr/bin/python3.X: no "
                    "line table checked against a real interpreter";
  }
  EXPECT_FALSE(found.empty()) << "pyenv exists but no CPython 3.6-3.13 interpreter found";
}

}  // namespace

// Our own interactive flame graph, one self-contained SVG (no external
// script, style or font): one <g> per merged frame with a <title> tooltip
// ("label (N samples, P%)"), a rectangle whose width is proportional to its
// samples, coloured by frame kind, and a label cut to fit. The inline script
// (in CDATA, no target data in it) adds click-to-zoom with Reset Zoom, a
// Search button / Ctrl-F regex search highlighting matches with "Matched: P%",
// Ctrl-I case toggle, Escape to clear, and keeps zoom and search in the URL
// (?x=&d=&s=). Target strings appear only XML-escaped in text and attributes.
// Frames narrower than 0.1 % of all samples are omitted (flamegraph.pl's
// --minwidth), so the file stays bounded whatever the number of stacks.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "render/profile_aggregate.hpp"

namespace corostack::profile_out {
namespace {

constexpr double kWidth = 1200;
constexpr double kXPad = 10;
constexpr double kFrameHeight = 16;
constexpr double kFontSize = 12;
constexpr double kCharWidth = kFontSize * 0.59;
constexpr double kTopPad = 4 * kFrameHeight + 6;     // title, subtitle, legend
constexpr double kBottomPad = 2 * kFrameHeight + 6;  // status line
constexpr double kMinFraction = 0.001;               // 0.1 % of all samples
constexpr size_t kMaxDepth = 2048;
constexpr uint32_t kNoFrame = UINT32_MAX;  // the "all" root, or an empty stack

struct Node {
  uint32_t frame;  // profile frame index; kNoFrame for the root / empty stack
  uint32_t depth;
  uint64_t total = 0;
  std::vector<uint32_t> children;
};

struct Rgb {
  int r, g, b;
};

// Base colour and spread per frame kind; the name's hash picks a shade.
Rgb kind_colour(const Node& node, const sample::Profile& profile, const std::string& label) {
  uint32_t h = 2166136261u;
  for (char c : label) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  auto v = [&](int shift) { return static_cast<int>((h >> shift) & 0x1F); };  // 0..31
  if (node.frame == kNoFrame) return {200, 200, 200};
  switch (profile.frames[node.frame].kind) {
    case sample::ProfileFrameKind::kPython:
      return {225 + v(0) / 2, 150 + v(5) * 2, 40 + v(10)};
    case sample::ProfileFrameKind::kNative:
      return {210 + v(0), 80 + v(5), 70 + v(10)};
    case sample::ProfileFrameKind::kKernel:
      return {80 + v(0), 140 + v(5), 220 + v(10) / 2};
    case sample::ProfileFrameKind::kIdle:
      return {175 + v(0) / 2, 175 + v(0) / 2, 175 + v(0) / 2};
    case sample::ProfileFrameKind::kGc:
      return {120 + v(0), 200 + v(5), 110 + v(10)};
    case sample::ProfileFrameKind::kTask:
      return {170 + v(0), 120 + v(5), 220 + v(10) / 2};
    case sample::ProfileFrameKind::kThread:
    case sample::ProfileFrameKind::kProcess:
    case sample::ProfileFrameKind::kInterpreter:
      return {80 + v(0), 195 + v(5), 195 + v(10)};
  }
  return {200, 200, 200};
}

// At most max_chars code points of clean UTF-8, ".." appended when cut.
std::string fit_label(const std::string& clean, size_t max_chars) {
  if (max_chars < 3) return {};
  size_t chars = 0;
  for (size_t i = 0; i < clean.size(); ++i)
    if ((static_cast<uint8_t>(clean[i]) & 0xC0) != 0x80) ++chars;
  if (chars <= max_chars) return clean;
  std::string out;
  size_t kept = 0;
  for (size_t i = 0; i < clean.size(); ++i) {
    bool lead = (static_cast<uint8_t>(clean[i]) & 0xC0) != 0x80;
    if (lead && kept++ == max_chars - 2) break;
    out += clean[i];
  }
  return out + "..";
}

constexpr const char* kStyle = R"(<style type="text/css">
text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: 12px; fill: #000; }
#title { text-anchor: middle; font-size: 17px; }
#subtitle { text-anchor: middle; fill: #555; }
#unzoom, #search { cursor: pointer; }
#search, #matched { text-anchor: end; }
g.f { cursor: pointer; }
g.f:hover rect { stroke: #000; stroke-width: 0.5; }
g.f text { pointer-events: none; }
.hide { display: none; }
.parent { opacity: 0.5; }
</style>
)";

// No target data in here: every name is read back from the document.
constexpr const char* kScript = R"JS(<script type="text/ecmascript"><![CDATA[
"use strict";
var svg, frames, details, matched, unzoombtn, searchbtn, all;
var W = 0, xpad = 10, fontw = 7.08, total = 1, searching = null, ignorecase = false, zoomed = null;
function num(g, n) { return parseFloat(g.getAttribute(n)); }
function nameOf(g) {
  var t = g.querySelector("title").textContent, i = t.lastIndexOf(" (");
  return i < 0 ? t : t.substring(0, i);
}
function place(g, x, w) {
  var r = g.querySelector("rect"), t = g.querySelector("text");
  r.setAttribute("x", x.toFixed(1));
  r.setAttribute("width", Math.max(w, 0).toFixed(1));
  t.setAttribute("x", (x + 3).toFixed(1));
  var name = nameOf(g), n = Math.floor((w - 3) / fontw);
  t.textContent = n < 3 ? "" : (name.length <= n ? name : name.substring(0, n - 2) + "..");
}
function updateUrl() {
  if (!window.history || !history.replaceState) return;
  var p = [];
  if (zoomed) p.push("x=" + zoomed.getAttribute("data-x"), "d=" + zoomed.getAttribute("data-d"));
  if (searching) p.push("s=" + encodeURIComponent(searching));
  try { history.replaceState(null, "", p.length ? "?" + p.join("&") : location.pathname); } catch (e) {}
}
function zoom(node) {
  var zx = num(node, "data-x"), zw = num(node, "data-w"), zd = num(node, "data-d");
  var scale = (W - 2 * xpad) / zw;
  for (var i = 0; i < all.length; i++) {
    var g = all[i], x = num(g, "data-x"), w = num(g, "data-w"), d = num(g, "data-d");
    if (d < zd && x <= zx && x + w >= zx + zw) {
      g.classList.remove("hide"); g.classList.add("parent"); place(g, xpad, W - 2 * xpad);
    } else if (d >= zd && x >= zx && x + w <= zx + zw) {
      g.classList.remove("hide"); g.classList.remove("parent"); place(g, xpad + (x - zx) * scale, w * scale);
    } else {
      g.classList.add("hide");
    }
  }
  zoomed = node;
  unzoombtn.classList.remove("hide");
  updateUrl();
}
function unzoom() {
  var scale = (W - 2 * xpad) / total;
  for (var i = 0; i < all.length; i++) {
    var g = all[i];
    g.classList.remove("hide"); g.classList.remove("parent");
    place(g, xpad + num(g, "data-x") * scale, num(g, "data-w") * scale);
  }
  zoomed = null;
  unzoombtn.classList.add("hide");
  updateUrl();
}
function resetSearch() {
  for (var i = 0; i < all.length; i++) {
    var r = all[i].querySelector("rect");
    if (r.hasAttribute("data-fill")) r.setAttribute("fill", r.getAttribute("data-fill"));
  }
  searching = null;
  matched.textContent = " ";
  searchbtn.textContent = "Search";
  updateUrl();
}
function search(term) {
  if (term === undefined) {
    term = prompt("Search (regular expression" + (ignorecase ? ", ignoring case" : "") +
                  "; Ctrl-I toggles case)", searching || "");
  }
  if (term === null) return;
  if (term === "") { resetSearch(); return; }
  var re;
  try { re = new RegExp(term, ignorecase ? "i" : ""); } catch (e) { matched.textContent = "Bad regex"; return; }
  var spans = [];
  for (var i = 0; i < all.length; i++) {
    var g = all[i], r = g.querySelector("rect");
    if (!r.hasAttribute("data-fill")) r.setAttribute("data-fill", r.getAttribute("fill"));
    if (re.test(nameOf(g))) {
      r.setAttribute("fill", "rgb(230,0,230)");
      spans.push([num(g, "data-x"), num(g, "data-x") + num(g, "data-w")]);
    } else {
      r.setAttribute("fill", r.getAttribute("data-fill"));
    }
  }
  spans.sort(function (a, b) { return a[0] - b[0]; });
  var sum = 0, end = -1;
  for (var k = 0; k < spans.length; k++) {
    var s = spans[k];
    if (s[0] >= end) { sum += s[1] - s[0]; end = s[1]; }
    else if (s[1] > end) { sum += s[1] - end; end = s[1]; }
  }
  searching = term;
  matched.textContent = "Matched: " + (100 * sum / total).toFixed(1) + "%";
  searchbtn.textContent = "Reset Search";
  updateUrl();
}
function init(evt) {
  svg = document.documentElement;
  frames = document.getElementById("frames");
  details = document.getElementById("details");
  matched = document.getElementById("matched");
  unzoombtn = document.getElementById("unzoom");
  searchbtn = document.getElementById("search");
  all = frames.querySelectorAll("g.f");
  W = parseFloat(svg.getAttribute("width"));
  total = parseFloat(frames.getAttribute("data-total")) || 1;
  frames.addEventListener("click", function (e) {
    var g = e.target.closest("g.f");
    if (g) zoom(g);
  });
  frames.addEventListener("mouseover", function (e) {
    var g = e.target.closest("g.f");
    if (g) details.textContent = "Function: " + g.querySelector("title").textContent;
  });
  frames.addEventListener("mouseout", function () { details.textContent = " "; });
  unzoombtn.addEventListener("click", unzoom);
  searchbtn.addEventListener("click", function () { if (searching) resetSearch(); else search(); });
  window.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === "f" || e.key === "F")) { e.preventDefault(); search(); }
    else if (e.ctrlKey && (e.key === "i" || e.key === "I")) {
      e.preventDefault(); ignorecase = !ignorecase; if (searching) search(searching);
    } else if (e.key === "Escape") { resetSearch(); }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("x") !== null && params.get("d") !== null) {
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("data-x") === params.get("x") &&
          all[i].getAttribute("data-d") === params.get("d")) { zoom(all[i]); break; }
    }
  }
  if (params.get("s")) search(params.get("s"));
}
]]></script>
)JS";

}  // namespace

bool write_flamegraph(const sample::Profile& profile, std::ostream& out, std::string& error) {
  // Merge stacks into a tree (node 0 = all samples).
  std::vector<uint64_t> counts = stack_counts(profile);
  std::vector<Node> nodes;
  nodes.push_back({kNoFrame, 0, 0, {}});
  std::unordered_map<uint64_t, uint32_t> child_of;  // parent << 32 | frame -> node
  size_t depth_cut = 0;
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    if (counts[s] == 0) continue;
    const std::vector<uint32_t>& stack = profile.stacks[s];
    nodes[0].total += counts[s];
    uint32_t cur = 0;
    auto descend = [&](uint32_t frame) {
      uint64_t key = (uint64_t{cur} << 32) | frame;
      auto [it, added] = child_of.try_emplace(key, static_cast<uint32_t>(nodes.size()));
      if (added) {
        uint32_t depth = nodes[cur].depth + 1;
        nodes[cur].children.push_back(it->second);
        nodes.push_back({frame, depth, 0, {}});
      }
      cur = it->second;
      nodes[cur].total += counts[s];
    };
    if (stack.empty()) descend(kNoFrame);
    for (size_t i = 0; i < stack.size(); ++i) {
      if (i >= kMaxDepth) {
        ++depth_cut;
        break;
      }
      descend(stack[i]);
    }
  }
  const uint64_t grand = nodes[0].total;

  // Labels (clean UTF-8, unescaped) of the frames that are drawn.
  const uint64_t min_total = static_cast<uint64_t>(static_cast<double>(grand) * kMinFraction);
  std::vector<std::string> labels(profile.frames.size());
  const std::string all_label = "all", empty_label(kEmptyStackLabel);
  auto label_of = [&](const Node& n) -> const std::string& {
    if (&n == &nodes[0]) return all_label;
    if (n.frame == kNoFrame) return empty_label;
    std::string& l = labels[n.frame];
    if (l.empty()) l = clean_utf8(frame_label(profile.frames[n.frame]), true, kMaxLabelBytes);
    return l;
  };
  // Children sorted by label (like flamegraph.pl's sorted input), then laid out.
  struct Placed {
    uint32_t node;
    uint64_t x;  // in samples
  };
  std::vector<Placed> placed;
  uint32_t max_depth = 0;
  std::vector<Placed> todo{{0, 0}};
  while (!todo.empty()) {
    Placed p = todo.back();
    todo.pop_back();
    Node& n = nodes[p.node];
    if (n.total < min_total || n.total == 0) continue;
    placed.push_back(p);
    max_depth = std::max(max_depth, n.depth);
    std::sort(n.children.begin(), n.children.end(),
              [&](uint32_t a, uint32_t b) { return label_of(nodes[a]) < label_of(nodes[b]); });
    uint64_t x = p.x;
    for (uint32_t c : n.children) {
      todo.push_back({c, x});
      x += nodes[c].total;
    }
  }

  const double height = kTopPad + (max_depth + 1) * kFrameHeight + kBottomPad;
  const double scale = grand > 0 ? (kWidth - 2 * kXPad) / static_cast<double>(grand) : 0;
  ChunkedWriter w(out);
  std::string& buf = w.buf();
  auto it = std::back_inserter(buf);
  fmt::format_to(it,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                 "<svg version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                 "onload=\"init(evt)\" xmlns=\"http://www.w3.org/2000/svg\">\n",
                 kWidth, height);
  buf += kStyle;
  buf += kScript;
  fmt::format_to(it, "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#f8f8f4\"/>\n");
  buf += "<text id=\"title\" x=\"600\" y=\"22\">";
  // One line that fits the 1200-pixel width: a `python -c` script's
  // newlines and tabs become spaces.
  std::string title = profile.command.empty() ? "corostack record" : profile.command;
  for (char& c : title)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  append_xml_text(buf, title, 110);
  buf += "</text>\n";
  fmt::format_to(
      it, "<text id=\"subtitle\" x=\"600\" y=\"40\">{} samples, {} time, {} Hz{}{}</text>\n", grand,
      profile.wall_time ? "wall" : "CPU", profile.rate_hz,
      profile.pid > 0 ? fmt::format(", pid {}", profile.pid) : "",
      depth_cut > 0 ? fmt::format(", {} stacks cut at depth {}", depth_cut, kMaxDepth) : "");
  // Legend: one swatch per frame kind.
  const std::pair<const char*, Rgb> legend[] = {
      {"Python", {235, 180, 55}}, {"native", {225, 95, 85}}, {"kernel", {95, 160, 230}},
      {"idle", {185, 185, 185}},  {"task", {185, 135, 230}}, {"thread/process", {95, 210, 210}},
  };
  double lx = kXPad;
  for (const auto& [name, c] : legend) {
    fmt::format_to(it,
                   "<rect x=\"{:.1f}\" y=\"48\" width=\"10\" height=\"10\" fill=\"rgb({},{},{})\"/>"
                   "<text x=\"{:.1f}\" y=\"57\">{}</text>\n",
                   lx, c.r, c.g, c.b, lx + 14, name);
    lx += 14 + 8 * std::string_view(name).size() + 16;
  }
  fmt::format_to(it,
                 "<text id=\"unzoom\" class=\"hide\" x=\"{:.1f}\" y=\"22\">Reset Zoom</text>\n"
                 "<text id=\"search\" x=\"{:.1f}\" y=\"22\">Search</text>\n"
                 "<text id=\"matched\" x=\"{:.1f}\" y=\"{:.1f}\"> </text>\n"
                 "<text id=\"details\" x=\"{:.1f}\" y=\"{:.1f}\"> </text>\n",
                 kXPad, kWidth - kXPad, kWidth - kXPad, height - 12, kXPad, height - 12);
  fmt::format_to(it, "<g id=\"frames\" data-total=\"{}\">\n", grand);
  for (const Placed& p : placed) {
    const Node& n = nodes[p.node];
    const std::string& label = label_of(n);
    const double x = kXPad + static_cast<double>(p.x) * scale;
    const double width = static_cast<double>(n.total) * scale;
    const double y = height - kBottomPad - (n.depth + 1) * kFrameHeight;
    const Rgb c = kind_colour(n, profile, label);
    fmt::format_to(it, "<g class=\"f\" data-x=\"{}\" data-w=\"{}\" data-d=\"{}\"><title>", p.x,
                   n.total, n.depth);
    append_xml_text(buf, label, kMaxLabelBytes);
    fmt::format_to(
        it, " ({} samples, {:.2f}%)</title>", n.total,
        grand > 0 ? 100.0 * static_cast<double>(n.total) / static_cast<double>(grand) : 0.0);
    fmt::format_to(it,
                   "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                   "fill=\"rgb({},{},{})\" rx=\"2\" ry=\"2\"/><text x=\"{:.1f}\" y=\"{:.1f}\">",
                   x, y, width, kFrameHeight - 1, c.r, c.g, c.b, x + 3, y + 11.5);
    append_xml_text(buf,
                    fit_label(label, static_cast<size_t>(std::max(0.0, (width - 3) / kCharWidth))));
    buf += "</text></g>\n";
    w.maybe_flush();
  }
  buf += "</g>\n</svg>\n";
  return w.finish(error);
}

}  // namespace corostack::profile_out

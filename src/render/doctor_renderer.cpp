#include "render/doctor_renderer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/escape.hpp"

namespace corostack {
namespace {

using diagnose::Finding;
using diagnose::Severity;

const char* severity_color(Severity s, bool color) {
  if (!color) return "";
  switch (s) {
    case Severity::kCritical:
      return "\x1b[1;31m";
    case Severity::kWarning:
      return "\x1b[33m";
    case Severity::kNotice:
      return "\x1b[36m";
  }
  return "";
}

std::string source_text(const ProcessSnapshot& snap) {
  if (snap.source == TargetKind::kCore) return "core " + snap.core_path;
  return "live";
}

}  // namespace

std::string doctor_summary_line(const diagnose::DoctorReport& report) {
  if (report.findings.empty()) return "no findings";
  size_t counts[3] = {0, 0, 0};
  for (const Finding& f : report.findings) ++counts[static_cast<int>(f.severity)];
  std::string s;
  const char* names[3] = {"notice", "warning", "critical"};
  for (int i = 2; i >= 0; --i) {
    if (counts[i] == 0) continue;
    if (!s.empty()) s += ", ";
    s += fmt::format("{} {}", counts[i], names[i]);
  }
  return fmt::format("{} finding{} ({}); first: {}", report.findings.size(),
                     report.findings.size() == 1 ? "" : "s", s, report.findings.front().summary);
}

void render_doctor_text(const ProcessSnapshot& snap, const diagnose::DoctorReport& report,
                        bool color, std::ostream& out) {
  const char* bold = color ? "\x1b[1m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  out << bold
      << fmt::format("Doctor: process {} {} ({}, {} thread{})", snap.pid,
                     escape_for_terminal(snap.command), escape_for_terminal(source_text(snap)),
                     snap.threads.size(), snap.threads.size() == 1 ? "" : "s")
      << reset << '\n';
  if (snap.python) out << "Python " << escape_for_terminal(snap.python->version) << '\n';
  for (const Finding& f : report.findings) {
    out << '\n'
        << severity_color(f.severity, color) << "[" << diagnose::severity_name(f.severity) << "] "
        << escape_for_terminal(f.summary) << reset << '\n';
    for (const std::string& e : f.evidence) out << "  " << escape_for_terminal(e) << '\n';
  }
  if (!report.healthy.empty()) {
    out << "\nChecked and healthy:\n";
    for (const std::string& h : report.healthy) out << "  " << escape_for_terminal(h) << '\n';
  }
  if (!report.not_checked.empty()) {
    out << "\nNot checked:\n";
    for (const std::string& n : report.not_checked) out << "  " << escape_for_terminal(n) << '\n';
  }
  out << '\n'
      << bold << "Summary: " << escape_for_terminal(doctor_summary_line(report)) << reset << '\n';
}

void render_doctor_json(const ProcessSnapshot& snap, const diagnose::DoctorReport& report,
                        std::ostream& out) {
  using nlohmann::json;
  json j;
  j["pid"] = snap.pid;
  j["command"] = sanitize_utf8(snap.command);
  j["source"] = snap.source == TargetKind::kCore ? "core" : "live";
  if (snap.source == TargetKind::kCore) j["core"] = sanitize_utf8(snap.core_path);
  if (snap.python) j["python"] = sanitize_utf8(snap.python->version);
  j["pause_ns"] = snap.pause_ns;
  json findings = json::array();
  for (const Finding& f : report.findings) {
    json jf;
    jf["kind"] = diagnose::finding_kind_name(f.kind);
    jf["severity"] = diagnose::severity_name(f.severity);
    jf["summary"] = sanitize_utf8(f.summary);
    jf["threads"] = f.threads;
    json edges = json::array();
    for (const diagnose::WaitEdge& e : f.edges) {
      json je;
      je["waiter"] = e.waiter;
      je["holder"] = e.holder;
      je["lock_kind"] = sanitize_utf8(e.lock_kind);
      je["lock_address"] = fmt::format("{:#x}", e.lock_address);
      je["lock_name"] = sanitize_utf8(e.lock_name);
      je["waiter_frame"] = sanitize_utf8(e.waiter_frame);
      edges.push_back(std::move(je));
    }
    jf["edges"] = std::move(edges);
    json ev = json::array();
    for (const std::string& e : f.evidence) ev.push_back(sanitize_utf8(e));
    jf["evidence"] = std::move(ev);
    findings.push_back(std::move(jf));
  }
  j["findings"] = std::move(findings);
  json healthy = json::array();
  for (const std::string& h : report.healthy) healthy.push_back(sanitize_utf8(h));
  j["healthy"] = std::move(healthy);
  json nc = json::array();
  for (const std::string& n : report.not_checked) nc.push_back(sanitize_utf8(n));
  j["not_checked"] = std::move(nc);
  j["summary"] = sanitize_utf8(doctor_summary_line(report));
  out << j.dump(2) << '\n';
}

}  // namespace corostack

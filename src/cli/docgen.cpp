#include "cli/docgen.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/exit_codes.hpp"

namespace corostack {
namespace {

constexpr const char* kFormats = "flamegraph folded speedscope pprof chrometrace";

struct OptionDoc {
  std::vector<std::string> names;  // "-p", "--pid"
  std::string value;               // "PID", "FILE"; empty for a flag
  std::string description;
  enum class Completes { kNothing, kPid, kFile, kFormat } completes = Completes::kNothing;
};

std::vector<OptionDoc> options_of(const CLI::App& cmd) {
  std::vector<OptionDoc> out;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    OptionDoc d;
    for (const std::string& s : opt->get_snames()) d.names.push_back("-" + s);
    for (const std::string& l : opt->get_lnames()) d.names.push_back("--" + l);
    if (d.names.empty()) continue;  // positional (CMD ARGS): in the synopsis
    d.description = opt->get_description();
    bool flag = opt->get_expected_max() == 0;
    auto has = [&](const char* n) {
      for (const std::string& x : d.names)
        if (x == n) return true;
      return false;
    };
    if (has("--pid") || (has("-p") && !flag)) {
      d.completes = OptionDoc::Completes::kPid;
      d.value = "PID";
    } else if (has("--format") && !flag) {
      d.completes = OptionDoc::Completes::kFormat;
      d.value = "FORMAT";
    } else if (has("--core") || has("--exe") || has("--output") || has("-o")) {
      d.completes = OptionDoc::Completes::kFile;
      d.value = "FILE";
    } else if (!flag) {
      // "FLOAT:NONNEGATIVE" and the like: the type, not the validator.
      std::string type = opt->get_type_name().substr(0, opt->get_type_name().find(':'));
      d.value = type.empty() ? "VALUE" : type;
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* c : app.get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(c);
  return out;
}

// roff: backslashes, and a leading dot or quote would be requests.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

// A footer is prose, then the exit codes line, then "Examples:" and indented lines.
void split_footer(const std::string& footer, std::string& prose, std::vector<std::string>& examples,
                  std::string& exit_extra) {
  std::string text = footer;
  size_t ex = text.find("Examples:\n");
  if (ex != std::string::npos) {
    std::istringstream lines(text.substr(ex + 10));
    for (std::string line; std::getline(lines, line);) {
      size_t b = line.find_first_not_of(' ');
      if (b != std::string::npos) examples.push_back(line.substr(b));
    }
    text.resize(ex);
  }
  size_t codes = text.find(kExitCodesHelp);
  if (codes != std::string::npos) {
    size_t end = text.find('\n', codes);
    exit_extra = text.substr(
        codes + std::strlen(kExitCodesHelp),
        end == std::string::npos ? std::string::npos : end - codes - std::strlen(kExitCodesHelp));
    text.erase(codes, (end == std::string::npos ? text.size() : end) - codes);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  prose = text;
}

std::string shell_quote(const std::string& s) {  // single quotes for sh, zsh and fish
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string first_sentence(const std::string& s) {
  size_t dot = s.find(". ");
  std::string out = dot == std::string::npos ? s : s.substr(0, dot);
  size_t nl = out.find('\n');
  return nl == std::string::npos ? out : out.substr(0, nl);
}

// How each shell completes an option's value, by what the value is.
enum class Shell { kBash, kZsh, kFish };
std::string value_completion(OptionDoc::Completes kind, Shell shell) {
  using C = OptionDoc::Completes;
  const std::string formats = kFormats;
  switch (kind) {
    case C::kPid:
      return shell == Shell::kBash  ? "COMPREPLY=($(compgen -W \"$(_corostack_pids)\" -- \"$cur\"))"
             : shell == Shell::kZsh ? ":pid:_pids"
                                    : " -a '(__fish_complete_pids)'";
    case C::kFile:
      return shell == Shell::kBash  ? "COMPREPLY=($(compgen -f -- \"$cur\"))"
             : shell == Shell::kZsh ? ":file:_files"
                                    : " -F";
    case C::kFormat:
      return shell == Shell::kBash  ? "COMPREPLY=($(compgen -W \"" + formats + "\" -- \"$cur\"))"
             : shell == Shell::kZsh ? ":format:(" + formats + ")"
                                    : " -a " + shell_quote(formats);
    case C::kNothing:
      break;
  }
  return "";
}

}  // namespace

std::string man_page(const CLI::App& app, const CLI::App* command) {
  std::ostringstream m;
  std::string version = COROSTACK_VERSION;
  std::string name = command ? "corostack-" + command->get_name() : "corostack";
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  m << ".TH " << roff(upper) << " 1 \"\" \"corostack " << version << "\" \"User Commands\"\n";
  m << ".SH NAME\n"
    << roff(name) << " \\- " << roff(command ? command->get_description() : app.get_description())
    << "\n";
  m << ".SH SYNOPSIS\n";
  if (!command) {
    m << ".B corostack\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n.B corostack\n\\-\\-help | "
         "\\-\\-version\n";
    m << ".SH DESCRIPTION\nOne tool for threads, native frames, Python frames and async frames "
         "(asyncio tasks and C++ coroutines) of a live process or a core file, read from "
         "outside.\n";
    m << ".SH COMMANDS\n";
    for (const CLI::App* c : commands_of(app))
      m << ".TP\n.B " << roff(c->get_name()) << "\n"
        << roff(c->get_description()) << " See \\fBcorostack\\-" << roff(c->get_name())
        << "\\fR(1).\n";
  } else {
    m << ".B corostack " << roff(command->get_name()) << "\n[\\fIOPTIONS\\fR]";
    for (const CLI::Option* opt : command->get_options())
      if (opt->get_snames().empty() && opt->get_lnames().empty() && !opt->get_group().empty())
        m << " [\\-\\- \\fI" << roff(opt->get_name(true)) << "\\fR...]";
    m << "\n";
    std::string prose, exit_extra;
    std::vector<std::string> examples;
    split_footer(command->get_footer(), prose, examples, exit_extra);
    if (!prose.empty()) {
      m << ".SH DESCRIPTION\n";
      std::string p = roff(prose);
      std::string paragraphs;  // each line of the footer is a paragraph
      for (char ch : p) paragraphs += ch == '\n' ? std::string("\n.PP\n") : std::string(1, ch);
      p = paragraphs;
      m << p << "\n";
    }
    m << ".SH OPTIONS\n";
    for (const OptionDoc& o : options_of(*command)) {
      m << ".TP\n";
      for (size_t i = 0; i < o.names.size(); ++i)
        m << (i ? ", " : "") << "\\fB" << roff(o.names[i]) << "\\fR";
      if (!o.value.empty()) m << " \\fI" << roff(o.value) << "\\fR";
      m << "\n" << roff(o.description) << "\n";
    }
    if (!examples.empty()) {
      m << ".SH EXAMPLES\n";
      for (const std::string& e : examples) m << ".nf\n" << roff(e) << "\n.fi\n";
    }
  }
  std::string exit_text = kExitCodesHelp;
  if (command) {
    std::string prose, extra;
    std::vector<std::string> examples;
    split_footer(command->get_footer(), prose, examples, extra);
    exit_text += extra;  // e.g. trace -- CMD: the command's own status
  }
  m << ".SH EXIT STATUS\n" << roff(exit_text) << "\n";
  m << ".SH SEE ALSO\n";
  if (command)
    m << "\\fBcorostack\\fR(1)";
  else
    for (size_t i = 0; const CLI::App* c : commands_of(app))
      m << (i++ ? ", " : "") << "\\fBcorostack\\-" << roff(c->get_name()) << "\\fR(1)";
  m << ", \\fBgdb\\fR(1), \\fBstrace\\fR(1)\n";
  return m.str();
}

std::string bash_completion(const CLI::App& app) {
  std::ostringstream b;
  b << "# bash completion for corostack (generated from its command-line definitions)\n";
  b << "_corostack_pids() {\n"
       "  # Processes you may inspect: yours, or every one for root.\n"
       "  if [[ $EUID -eq 0 ]]; then ps -e -o pid=; else ps -u \"$EUID\" -o pid=; fi\n"
       "}\n";
  b << "_corostack() {\n"
       "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  b << "  if [[ $COMP_CWORD -eq 1 ]]; then\n    COMPREPLY=($(compgen -W \"";
  for (const CLI::App* c : commands_of(app)) b << c->get_name() << ' ';
  b << "--help --version\" -- \"$cur\"))\n    return\n  fi\n";
  b << "  local words\n  case \"${COMP_WORDS[1]}\" in\n";
  for (const CLI::App* c : commands_of(app)) {
    std::vector<OptionDoc> opts = options_of(*c);
    b << "    " << c->get_name() << ")\n      case \"$prev\" in\n";
    for (const OptionDoc& o : opts) {
      if (o.value.empty()) continue;
      b << "        ";
      for (size_t i = 0; i < o.names.size(); ++i) b << (i ? "|" : "") << o.names[i];
      b << ") ";
      std::string action = value_completion(o.completes, Shell::kBash);
      b << (action.empty() ? std::string("return ;;\n") : action + "; return ;;\n");
    }
    b << "      esac\n      words=\"--help";
    for (const OptionDoc& o : opts)
      for (const std::string& n : o.names) b << ' ' << n;
    b << "\" ;;\n";
  }
  b << "    *) return ;;\n  esac\n  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n";
  b << "complete -F _corostack corostack\n";
  return b.str();
}

std::string zsh_completion(const CLI::App& app) {
  auto spec_text = [](const std::string& s) {  // inside '...[...]' specs
    std::string out;
    for (char c : s) {
      if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
      if (c == '\'')
        out += "'\\''";
      else if (c == '\n')
        out += ' ';
      else
        out += c;
    }
    return out;
  };
  std::ostringstream z;
  z << "#compdef corostack\n# zsh completion for corostack (generated from its command-line "
       "definitions)\n";
  z << "_corostack() {\n  local -a commands\n  commands=(\n";
  for (const CLI::App* c : commands_of(app))
    z << "    '" << c->get_name() << ":" << spec_text(first_sentence(c->get_description()))
      << "'\n";
  z << "  )\n  if (( CURRENT == 2 )); then\n    _describe 'command' commands\n    return\n  fi\n";
  z << "  case $words[2] in\n";
  for (const CLI::App* c : commands_of(app)) {
    z << "    " << c->get_name() << ")\n      _arguments";
    for (const OptionDoc& o : options_of(*c)) {
      for (const std::string& n : o.names) {
        z << " \\\n        '" << n << "[" << spec_text(first_sentence(o.description)) << "]";
        std::string action = value_completion(o.completes, Shell::kZsh);
        if (action.empty() && !o.value.empty()) action = ":" + spec_text(o.value) + ": ";
        z << action;
        z << "'";
      }
    }
    z << " ;;\n";
  }
  z << "  esac\n}\n_corostack \"$@\"\n";
  return z.str();
}

std::string fish_completion(const CLI::App& app) {
  std::ostringstream f;
  f << "# fish completion for corostack (generated from its command-line definitions)\n";
  f << "complete -c corostack -f\n";
  for (const CLI::App* c : commands_of(app))
    f << "complete -c corostack -n __fish_use_subcommand -a " << c->get_name() << " -d "
      << shell_quote(first_sentence(c->get_description())) << "\n";
  for (const CLI::App* c : commands_of(app)) {
    for (const OptionDoc& o : options_of(*c)) {
      f << "complete -c corostack -n '__fish_seen_subcommand_from " << c->get_name() << "'";
      for (const std::string& n : o.names) {
        if (n.rfind("--", 0) == 0)
          f << " -l " << n.substr(2);
        else
          f << " -s " << n.substr(1);
      }
      if (!o.value.empty()) f << " -r";
      f << value_completion(o.completes, Shell::kFish);
      f << " -d " << shell_quote(first_sentence(o.description)) << "\n";
    }
  }
  return f.str();
}

bool generate_docs(const CLI::App& app, const std::string& dir) {
  auto write = [](const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) std::cerr << "corostack: cannot write " << path << '\n';
    return static_cast<bool>(out);
  };
  for (const std::string& d : {dir, dir + "/man1", dir + "/completions"})
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
      std::cerr << "corostack: cannot create " << d << ": " << std::strerror(errno) << '\n';
      return false;
    }
  bool ok = write(dir + "/man1/corostack.1", man_page(app, nullptr));
  for (const CLI::App* c : commands_of(app))
    ok = write(dir + "/man1/corostack-" + c->get_name() + ".1", man_page(app, c)) && ok;
  ok = write(dir + "/completions/corostack.bash", bash_completion(app)) && ok;
  ok = write(dir + "/completions/_corostack", zsh_completion(app)) && ok;
  ok = write(dir + "/completions/corostack.fish", fish_completion(app)) && ok;
  return ok;
}

}  // namespace corostack

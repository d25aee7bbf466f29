#include "python/frame_decoder.hpp"

#include <algorithm>

#include "base/hex.hpp"
#include "python/line_table.hpp"
#include "python/stack_ref.hpp"

namespace corostack::python {
Result<PyFrame> FrameDecoder::decode(RemoteAddr frame, RemoteAddr code,
                                     std::optional<int64_t> code_unit, RemoteAddr localsplus) {
  auto info = codes_.get(code, opt_.locals);
  if (!info) {
    return make_error(info.error().kind,
                      "frame at " + hex_address(frame.value()) + ": " + info.error().message);
  }
  const CodeInfo& c = **info;
  PyFrame f;
  f.frame = frame;
  f.name = c.name;
  f.function = c.qualname.value_or(c.name);
  f.filename = c.filename;
  if (code_unit) {
    uint32_t pos =
        *code_unit < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(*code_unit, UINT32_MAX));
    if (*code_unit < 0) {
      f.line = c.firstlineno;  // not started yet: CPython reports the first line
    } else if (line_table_format(rt_.major, rt_.minor) == LineTableFormat::kLocationTable) {
      if (auto p = location_table_position(c.line_table, c.firstlineno, pos)) {
        f.line = p->line;
        f.end_line = p->end_line;
        f.column = p->column;
        f.end_column = p->end_column;
      }
    } else if (auto line = line_for(rt_.major, rt_.minor, c.line_table, c.firstlineno, pos)) {
      f.line = *line;
    }
  }
  if (opt_.locals && !localsplus.is_null()) read_locals(c, localsplus, f);
  return f;
}

Result<PyFrame> FrameDecoder::frame_object(RemoteAddr frame) {
  auto code = ro_.pointer_field(frame, l_.frame_code);
  auto lasti = ro_.field(frame, l_.frame_lasti);
  if (!code || !lasti) return make_error(ErrorKind::kUnreadable, "frame unreadable");
  auto localsplus = checked_offset(frame, static_cast<uint64_t>(l_.frame_localsplus.offset));
  return decode_lasti(frame, *code, static_cast<int32_t>(*lasti),
                      localsplus.value_or(RemoteAddr()));
}

Result<PyFrame> FrameDecoder::decode_lasti(RemoteAddr frame, RemoteAddr code, int32_t lasti,
                                           RemoteAddr localsplus) {
  int64_t units = lasti;
  // A byte offset before 3.10; -1 (not started) must stay negative, not round to 0.
  if (line_table_format(rt_.major, rt_.minor) == LineTableFormat::kLnotab)
    units = units < 0 ? -1 : units / 2;
  return decode(frame, code, units, localsplus);
}

Result<InterpreterFramePosition> FrameDecoder::position(RemoteAddr iframe) {
  FieldLoc instr = l_.iframe_prev_instr.present() ? l_.iframe_prev_instr : l_.iframe_instr_ptr;
  auto owner = ro_.field(iframe, l_.iframe_owner);
  auto executable = ro_.field(iframe, l_.iframe_code);
  auto ip = ro_.pointer_field(iframe, instr);
  if (!owner || !executable || !ip) return make_error(ErrorKind::kUnreadable, "frame unreadable");
  std::optional<int32_t> tlbc_index;
  if (l_.iframe_tlbc_index.present()) {
    auto index = ro_.field(iframe, l_.iframe_tlbc_index);
    if (!index) return make_error(ErrorKind::kUnreadable, "frame unreadable");
    tlbc_index = static_cast<int32_t>(*index);
  }
  return position_of(*executable, *owner, *ip, tlbc_index);
}

Result<InterpreterFramePosition> FrameDecoder::position_of(uint64_t executable, uint64_t owner,
                                                           RemoteAddr ip,
                                                           std::optional<int32_t> tlbc_index) {
  auto code = stack_ref_object(executable);
  if (!code) return make_error(ErrorKind::kCorrupt, "frame's executable is a tagged int");
  InterpreterFramePosition pos;
  pos.code = *code;
  pos.owner = owner;
  auto info = codes_.get(*code, false);
  std::optional<RemoteAddr> bytecode;
  if (info) bytecode = bytecode_start(*code, **info, tlbc_index);
  if (bytecode && !bytecode->is_null()) {
    auto start = bytecode->value();
    if (ip.value() >= start) {
      pos.code_unit = static_cast<int64_t>((ip.value() - start) / 2);
    } else {
      pos.started = false;
      pos.code_unit = -1;
    }
  }
  return pos;
}

std::optional<RemoteAddr> FrameDecoder::bytecode_start(RemoteAddr code, const CodeInfo& info,
                                                       std::optional<int32_t> tlbc_index) {
  if (!l_.iframe_tlbc_index.present() || !l_.code_tlbc.present()) return info.code_start;
  auto array = ro_.pointer_field(code, l_.code_tlbc);
  if (!tlbc_index || !array || array->is_null()) return std::nullopt;
  auto size = ro_.word(*array);
  int32_t i = *tlbc_index;
  if (!size || i < 0 || static_cast<uint64_t>(i) >= *size) return std::nullopt;
  auto entry = ro_.word(*array, 8 + 8 * static_cast<uint64_t>(i));
  if (!entry) return std::nullopt;
  return RemoteAddr(*entry);
}

Result<PyFrame> FrameDecoder::interpreter_frame(RemoteAddr iframe) {
  auto pos = position(iframe);
  if (!pos) return pos.error();
  auto localsplus = checked_offset(iframe, static_cast<uint64_t>(l_.iframe_localsplus.offset));
  return decode(iframe, pos->code, pos->code_unit, localsplus.value_or(RemoteAddr()));
}

void FrameDecoder::read_locals(const CodeInfo& code, RemoteAddr localsplus, PyFrame& f) {
  for (size_t i = 0; i < code.local_names.size(); ++i) {
    auto value = ro_.word(localsplus, 8 * i);
    if (!value) break;
    auto ref = stack_ref_object(*value);
    if (!ref || ref->is_null()) continue;  // unbound (or a tagged int, never a local)
    RemoteAddr obj = *ref;
    uint8_t kind = i < code.local_kinds.size() ? code.local_kinds[i] : kCoFastLocal;
    if (kind & (kCoFastCell | kCoFastFree)) {
      // After MAKE_CELL the slot holds a cell; show what it refers to.
      auto type = ro_.type_name_of(obj);
      if (type && *type == "cell") {
        auto ref = ro_.pointer_field(obj, l_.cell_ref);
        if (!ref || ref->is_null()) continue;  // empty cell: unbound
        obj = *ref;
      }
    } else if (!(kind & kCoFastLocal)) {
      continue;  // hidden or unknown kinds
    }
    PyLocal local;
    local.name = code.local_names[i];
    local.argument = static_cast<int64_t>(i) < code.argcount;
    if (locals_bytes_ >= opt_.max_locals_output) {
      local.repr = "<not read: locals output limit reached>";
    } else {
      local.repr = repr_object(ro_.memory(), l_, obj, opt_.repr);
      locals_bytes_ += local.repr.size() + local.name.size();
    }
    f.locals.push_back(std::move(local));
  }
}

}  // namespace corostack::python

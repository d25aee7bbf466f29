// bpf_python_layout: what the kernel program is told about each version's
// thread states and frames, against the walker's own layouts. Each frame
// model is checked where it applies (frame objects <= 3.10, cframe 3.11-3.12,
// current_frame 3.13+), with the shim owner and tlbc_index where they exist.
#include <gtest/gtest.h>

#include "python/python_versions.hpp"
#include "trace/bpf_python_stacks.hpp"

namespace corostack::trace {
namespace {

TEST(BpfPythonLayout, EveryVersionHasAWalkableLayout) {
  for (const auto& v : python::supported_python_versions()) {
    {
      bool ft = v.free_threaded;
      const python::PythonLayout* l = python::layout_for(v.major, v.minor, ft);
      ASSERT_NE(l, nullptr);
      SCOPED_TRACE(std::to_string(v.major) + "." + std::to_string(v.minor) + (ft ? "t" : ""));
      auto b = bpf_python_layout(*l, 0x1234);
      ASSERT_TRUE(b.has_value());
      EXPECT_EQ(b->interp_head_slot, 0x1234u);
      EXPECT_EQ(b->tstate_next, l->tstate_next.offset);
      EXPECT_EQ(b->interp_threads_head, l->interp_threads_head.offset);
      int minor = v.major == 2 ? 0 : v.minor;
      if (v.major == 3 && minor >= 11) {
        EXPECT_TRUE(b->match_native_tid);
        EXPECT_EQ(b->tstate_id, l->tstate_native_thread_id.offset);
        EXPECT_EQ(b->position_size, 8);
        EXPECT_EQ(b->frame_previous, l->iframe_previous.offset);
        EXPECT_EQ(b->frame_code, l->iframe_code.offset);
        EXPECT_EQ(b->frame_owner, l->iframe_owner.offset);
        // 3.11 marks entry frames with is_entry; 3.12+ push shim frames.
        EXPECT_EQ(b->shim_owner_min, minor >= 12 ? 3 : 0);
        if (minor >= 13) {
          EXPECT_EQ(b->model, BpfPythonLayout::kCurrentFrame);
          EXPECT_EQ(b->tstate_frame, l->tstate_current_frame.offset);
          EXPECT_EQ(b->frame_position, l->iframe_instr_ptr.offset);
        } else {
          EXPECT_EQ(b->model, BpfPythonLayout::kCFrame);
          EXPECT_EQ(b->tstate_cframe, l->tstate_cframe.offset);
          EXPECT_EQ(b->cframe_current_frame, l->cframe_current_frame.offset);
          EXPECT_EQ(b->frame_position, l->iframe_prev_instr.offset);
        }
        EXPECT_EQ(b->frame_tlbc_index >= 0, ft && minor >= 14);
      } else {
        // <= 3.10: pthread_self against thread_id, an int f_lasti.
        EXPECT_FALSE(b->match_native_tid);
        EXPECT_EQ(b->tstate_id, l->tstate_thread_id.offset);
        EXPECT_EQ(b->model, BpfPythonLayout::kFrameObjects);
        EXPECT_EQ(b->tstate_frame, l->tstate_frame.offset);
        EXPECT_EQ(b->frame_previous, l->frame_back.offset);
        EXPECT_EQ(b->frame_position, l->frame_lasti.offset);
        EXPECT_EQ(b->position_size, 4);
        EXPECT_EQ(b->frame_owner, -1);
      }
    }
  }
}

TEST(BpfPythonLayout, AMissingFieldGivesNoLayout) {
  const python::PythonLayout* l = python::layout_for(3, 12);
  ASSERT_NE(l, nullptr);
  python::PythonLayout broken = *l;
  broken.iframe_owner = {};
  EXPECT_FALSE(bpf_python_layout(broken, 1).has_value());
  broken = *l;
  broken.tstate_next.offset = 40000;  // past what the kernel's 16-bit offsets hold
  EXPECT_FALSE(bpf_python_layout(broken, 1).has_value());
}

}  // namespace
}  // namespace corostack::trace

// ggml, reached at run time. The addon links no ggml library: Windows' ggml-base.dll from
// node-llama-cpp ships without an import library, and a link-time dependency would pin one folder.
// Instead loadGgml() opens node-llama-cpp's libggml-base (the folder comes from JavaScript) and fills
// a table with every ggml function the addon calls. The macros below, in the manner of OpenGL
// loaders, make a call written `ggml_add(ctx, a, b)` go through that table, so the model code reads
// as plain ggml. Include this header instead of the ggml headers; it includes them first, so their
// declarations (used here only for the pointer types) are untouched by the macros.
#pragma once
#include <string>

#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml.h"

// Every ggml-base function the addon uses (the VQ-GAN graph, and the quantizer of src/quantize.cpp). A function missing from this list fails to compile
// (its declaration is never defined: nothing is linked); one missing from the library fails
// loadGgml() with its name.
#define VQGAN_GGML_FUNCTIONS(X) \
  X(ggml_add) \
  X(ggml_backend_alloc_ctx_tensors) \
  X(ggml_backend_buffer_free) \
  X(ggml_backend_buffer_set_usage) \
  X(ggml_backend_dev_description) \
  X(ggml_backend_dev_init) \
  X(ggml_backend_dev_type) \
  X(ggml_backend_free) \
  X(ggml_backend_reg_dev_count) \
  X(ggml_backend_reg_dev_get) \
  X(ggml_backend_reg_get_proc_address) \
  X(ggml_backend_reg_name) \
  X(ggml_backend_sched_alloc_graph) \
  X(ggml_backend_sched_free) \
  X(ggml_backend_sched_graph_compute) \
  X(ggml_backend_sched_new) \
  X(ggml_backend_sched_reset) \
  X(ggml_backend_sched_set_eval_callback) \
  X(ggml_backend_sched_synchronize) \
  X(ggml_backend_tensor_get) \
  X(ggml_backend_tensor_set) \
  X(ggml_build_forward_expand) \
  X(ggml_cont) \
  X(ggml_conv_2d_direct) \
  X(ggml_custom_4d) \
  X(ggml_free) \
  X(ggml_get_rows) \
  X(ggml_get_type_traits) \
  X(ggml_graph_overhead_custom) \
  X(ggml_group_norm) \
  X(ggml_init) \
  X(ggml_map_custom3) \
  X(ggml_mul) \
  X(ggml_mul_mat) \
  X(ggml_nelements) \
  X(ggml_new_graph_custom) \
  X(ggml_new_tensor_1d) \
  X(ggml_new_tensor_2d) \
  X(ggml_new_tensor_3d) \
  X(ggml_new_tensor_4d) \
  X(ggml_op_desc) \
  X(ggml_pad_ext) \
  X(ggml_quantize_chunk) \
  X(ggml_quantize_requires_imatrix) \
  X(ggml_reshape_2d) \
  X(ggml_reshape_4d) \
  X(ggml_row_size) \
  X(ggml_set_input) \
  X(ggml_set_name) \
  X(ggml_set_output) \
  X(ggml_silu) \
  X(ggml_soft_max_ext) \
  X(ggml_status_to_string) \
  X(ggml_tensor_overhead) \
  X(ggml_transpose) \
  X(ggml_type_name) \
  X(ggml_upscale)

namespace vqgan {

struct GgmlApi {
#define VQGAN_GGML_POINTER(name) decltype(&::name) name = nullptr;
  VQGAN_GGML_FUNCTIONS(VQGAN_GGML_POINTER)
#undef VQGAN_GGML_POINTER
};

// Filled once by loadGgml(); read-only afterwards.
extern GgmlApi ggmlApi;

// Resolves every function above from the libggml-base this process already holds (node-llama-cpp's,
// in the engine host: one ggml per process, whichever of its CPU/CUDA/Vulkan builds it chose), or
// else from the one in `dir` (node-llama-cpp's CPU build for this platform). Once it succeeded,
// later calls change nothing. Throws CodedError vqgan.backendUnavailable naming what is missing.
void loadGgml(const std::string& dir);
// The folder of the libggml-base in use; throws vqgan.backendUnavailable before loadGgml succeeded.
const std::string& ggmlDir();

}  // namespace vqgan


// The redirects (a macro cannot define macros, so this repeats the list above); ggmlApi.cpp, which
// fills the table by name, goes without them. One missing here
// would leave a call to the real symbol: the Windows link fails on it, and on Linux the test
// test/packaging/nativeAddonBuild.test.ts finds it among the addon's undefined symbols.
#ifndef VQGAN_GGML_NO_REDIRECT
#define ggml_add (::vqgan::ggmlApi.ggml_add)
#define ggml_backend_alloc_ctx_tensors (::vqgan::ggmlApi.ggml_backend_alloc_ctx_tensors)
#define ggml_backend_buffer_free (::vqgan::ggmlApi.ggml_backend_buffer_free)
#define ggml_backend_buffer_set_usage (::vqgan::ggmlApi.ggml_backend_buffer_set_usage)
#define ggml_backend_dev_description (::vqgan::ggmlApi.ggml_backend_dev_description)
#define ggml_backend_dev_init (::vqgan::ggmlApi.ggml_backend_dev_init)
#define ggml_backend_dev_type (::vqgan::ggmlApi.ggml_backend_dev_type)
#define ggml_backend_free (::vqgan::ggmlApi.ggml_backend_free)
#define ggml_backend_reg_dev_count (::vqgan::ggmlApi.ggml_backend_reg_dev_count)
#define ggml_backend_reg_dev_get (::vqgan::ggmlApi.ggml_backend_reg_dev_get)
#define ggml_backend_reg_get_proc_address (::vqgan::ggmlApi.ggml_backend_reg_get_proc_address)
#define ggml_backend_reg_name (::vqgan::ggmlApi.ggml_backend_reg_name)
#define ggml_backend_sched_alloc_graph (::vqgan::ggmlApi.ggml_backend_sched_alloc_graph)
#define ggml_backend_sched_free (::vqgan::ggmlApi.ggml_backend_sched_free)
#define ggml_backend_sched_graph_compute (::vqgan::ggmlApi.ggml_backend_sched_graph_compute)
#define ggml_backend_sched_new (::vqgan::ggmlApi.ggml_backend_sched_new)
#define ggml_backend_sched_reset (::vqgan::ggmlApi.ggml_backend_sched_reset)
#define ggml_backend_sched_set_eval_callback (::vqgan::ggmlApi.ggml_backend_sched_set_eval_callback)
#define ggml_backend_sched_synchronize (::vqgan::ggmlApi.ggml_backend_sched_synchronize)
#define ggml_backend_tensor_get (::vqgan::ggmlApi.ggml_backend_tensor_get)
#define ggml_backend_tensor_set (::vqgan::ggmlApi.ggml_backend_tensor_set)
#define ggml_build_forward_expand (::vqgan::ggmlApi.ggml_build_forward_expand)
#define ggml_cont (::vqgan::ggmlApi.ggml_cont)
#define ggml_conv_2d_direct (::vqgan::ggmlApi.ggml_conv_2d_direct)
#define ggml_custom_4d (::vqgan::ggmlApi.ggml_custom_4d)
#define ggml_free (::vqgan::ggmlApi.ggml_free)
#define ggml_get_rows (::vqgan::ggmlApi.ggml_get_rows)
#define ggml_get_type_traits (::vqgan::ggmlApi.ggml_get_type_traits)
#define ggml_graph_overhead_custom (::vqgan::ggmlApi.ggml_graph_overhead_custom)
#define ggml_group_norm (::vqgan::ggmlApi.ggml_group_norm)
#define ggml_init (::vqgan::ggmlApi.ggml_init)
#define ggml_map_custom3 (::vqgan::ggmlApi.ggml_map_custom3)
#define ggml_mul (::vqgan::ggmlApi.ggml_mul)
#define ggml_mul_mat (::vqgan::ggmlApi.ggml_mul_mat)
#define ggml_nelements (::vqgan::ggmlApi.ggml_nelements)
#define ggml_new_graph_custom (::vqgan::ggmlApi.ggml_new_graph_custom)
#define ggml_new_tensor_1d (::vqgan::ggmlApi.ggml_new_tensor_1d)
#define ggml_new_tensor_2d (::vqgan::ggmlApi.ggml_new_tensor_2d)
#define ggml_new_tensor_3d (::vqgan::ggmlApi.ggml_new_tensor_3d)
#define ggml_new_tensor_4d (::vqgan::ggmlApi.ggml_new_tensor_4d)
#define ggml_op_desc (::vqgan::ggmlApi.ggml_op_desc)
#define ggml_pad_ext (::vqgan::ggmlApi.ggml_pad_ext)
#define ggml_quantize_chunk (::vqgan::ggmlApi.ggml_quantize_chunk)
#define ggml_quantize_requires_imatrix (::vqgan::ggmlApi.ggml_quantize_requires_imatrix)
#define ggml_reshape_2d (::vqgan::ggmlApi.ggml_reshape_2d)
#define ggml_reshape_4d (::vqgan::ggmlApi.ggml_reshape_4d)
#define ggml_row_size (::vqgan::ggmlApi.ggml_row_size)
#define ggml_set_input (::vqgan::ggmlApi.ggml_set_input)
#define ggml_set_name (::vqgan::ggmlApi.ggml_set_name)
#define ggml_set_output (::vqgan::ggmlApi.ggml_set_output)
#define ggml_silu (::vqgan::ggmlApi.ggml_silu)
#define ggml_soft_max_ext (::vqgan::ggmlApi.ggml_soft_max_ext)
#define ggml_status_to_string (::vqgan::ggmlApi.ggml_status_to_string)
#define ggml_tensor_overhead (::vqgan::ggmlApi.ggml_tensor_overhead)
#define ggml_transpose (::vqgan::ggmlApi.ggml_transpose)
#define ggml_type_name (::vqgan::ggmlApi.ggml_type_name)
#define ggml_upscale (::vqgan::ggmlApi.ggml_upscale)
#endif

#pragma once
/// @file
/// Reaching the output of any submodule of a scripted network (an intermediate layer) by its
/// dotted name, e.g. `features.3`, when the module itself returns only its final output.

#include <xdream/torch/module.hpp>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace xdream::detail {

/// The dotted path of the submodules whose code a node of an inlined graph came from
/// ("features.3" for a node of `self.features[3].forward`), "" for the top module's own code.
inline std::string module_path(const ::torch::jit::Node* node) {
  std::string path;
  if (auto stack = node->callstack()) {
    for (const auto& frame : (*stack)->vec()) {
      const auto& info = std::get<2>(frame);
      // A module calling its own methods (Conv2d.forward -> _conv_forward) adds a frame "SELF".
      if (!info || info->instance_name() == "SELF") continue;
      if (!path.empty()) path += '.';
      path += info->instance_name();
    }
  }
  return path;
}

inline bool inside(const std::string& path, const std::string& scope) {
  return path == scope || (path.size() > scope.size() &&
                           path.compare(0, scope.size(), scope) == 0 && path[scope.size()] == '.');
}

/// A function of (self, images) that returns the output of submodule `name` of `module`'s
/// forward: the forward graph is inlined (every node keeps the path of the submodule it came
/// from), the value that the submodule's code hands to the code after it becomes the only
/// output, and the code after the tap is removed (so the pass stops at the tap).
/// Returns nullptr when `name` is not a submodule called (exactly once, with one output) by
/// forward.
inline std::shared_ptr<::torch::jit::GraphFunction> make_submodule_tap(
    const ::torch::jit::Module& module, const std::string& name) {
  bool exists = false;
  for (const auto& child : module.named_modules()) exists = exists || child.name == name;
  if (!exists || name.empty()) return nullptr;

  std::shared_ptr<::torch::jit::Graph> graph = module.get_method("forward").graph()->copy();
  ::torch::jit::Inline(*graph);
  // Values made inside the scope and used outside it (by a later node or as the graph's output).
  ::torch::jit::Value* tap = nullptr;
  int crossings = 0;
  for (::torch::jit::Node* node : graph->nodes()) {
    // Constants (pooled across scopes) and attribute reads (parameters) are not activations.
    if (node->kind() == ::torch::jit::prim::Constant ||
        node->kind() == ::torch::jit::prim::GetAttr || !inside(module_path(node), name)) {
      continue;
    }
    for (::torch::jit::Value* value : node->outputs()) {
      bool used_outside = false;
      for (const ::torch::jit::Use& use : value->uses()) {
        const ::torch::jit::Node* user = use.user;
        if (user->kind() == ::torch::jit::prim::Return || user->owningBlock() != graph->block() ||
            !inside(module_path(user), name)) {
          used_outside = true;
        }
      }
      if (used_outside) {
        tap = value;
        ++crossings;
      }
    }
  }
  if (tap == nullptr || crossings != 1 || !tap->type()->cast<c10::TensorType>()) return nullptr;
  // A copy taken right where the submodule returns: a later in-place op (torchvision's
  // ReLU(inplace=True)) would otherwise turn the pre-ReLU tap into a post-ReLU one.
  ::torch::jit::Value* copy = nullptr;
  {
    ::torch::jit::WithInsertPoint after(tap->node()->next());
    copy = graph->insert(::torch::jit::aten::clone, {tap});
  }
  while (!graph->outputs().empty()) graph->eraseOutput(graph->outputs().size() - 1);
  graph->registerOutput(copy);
  ::torch::jit::EliminateDeadCode(graph);
  return std::make_shared<::torch::jit::GraphFunction>("xdream_tap_" + name, graph, nullptr);
}

}  // namespace xdream::detail

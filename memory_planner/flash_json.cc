#include "core/json_util.h"
#include "memory_planner/flash.h"

namespace kilonas::memory_planner {
namespace {

constexpr int kCodeSizeSchemaVersion = 1;

CodeSize FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(kCodeSizeSchemaVersion);
  CodeSize c;
  c.core = r.String("core");
  c.source = r.String("source");
  const nlohmann::json& functions = r.Object("function_bytes");
  core::ObjectReader f(functions, "function_bytes");
  for (auto it = functions.begin(); it != functions.end(); ++it)
    c.function_bytes[it.key()] = f.IntInRange(it.key(), 1, 1 << 20);
  const nlohmann::json& kernels = r.Object("kernel_functions");
  core::ObjectReader k(kernels, "kernel_functions");
  for (auto it = kernels.begin(); it != kernels.end(); ++it) {
    const nlohmann::json& names = k.Array(it.key());
    for (const nlohmann::json& name : names) {
      if (!name.is_string() || !c.function_bytes.count(name.get<std::string>())) {
        k.Fail(it.key(), "must list functions named in function_bytes");
      }
      c.kernel_functions[it.key()].push_back(name.get<std::string>());
    }
  }
  if (c.kernel_functions.empty()) r.Fail("kernel_functions", "must list the kernel variants");
  c.conv_params_bytes = r.IntInRange("conv_params_bytes", 0, 1 << 16);
  c.add_params_bytes = r.IntInRange("add_params_bytes", 0, 1 << 16);
  c.pool_params_bytes = r.IntInRange("pool_params_bytes", 0, 1 << 16);
  c.call_bytes = r.IntInRange("call_bytes", 0, 1 << 16);
  c.model_base_bytes = r.IntInRange("model_base_bytes", 0, 1 << 20);
  r.RejectUnknownKeys();
  return c;
}

}  // namespace

core::Result<CodeSize> ParseCodeSize(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<CodeSize>(text, source, FromJson);
}

core::Result<CodeSize> LoadCodeSize(const std::string& path) { return core::LoadFileWith(path, ParseCodeSize); }

std::string CodeSizeToJson(const CodeSize& c) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = kCodeSizeSchemaVersion;
  doc["core"] = c.core;
  doc["source"] = c.source;
  doc["function_bytes"] = c.function_bytes;
  doc["kernel_functions"] = c.kernel_functions;
  doc["conv_params_bytes"] = c.conv_params_bytes;
  doc["add_params_bytes"] = c.add_params_bytes;
  doc["pool_params_bytes"] = c.pool_params_bytes;
  doc["call_bytes"] = c.call_bytes;
  doc["model_base_bytes"] = c.model_base_bytes;
  return doc.dump(2) + "\n";
}

}  // namespace kilonas::memory_planner

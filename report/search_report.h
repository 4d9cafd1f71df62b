// nas_search's outputs: the stage-1 table, the summary, and the files of the output directory
// (config_used.json, search_log.json, pareto.json, best_subnet.json, report.md and SVG plots).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/hw_profile.h"
#include "engine/export.h"
#include "latency_models/predictor.h"
#include "report/confusion.h"
#include "search/evolution.h"
#include "search/search_config.h"
#include "search/surrogate.h"

namespace kilonas::report {

struct SearchReport {
  core::HwProfile hw;
  search::Budgets budgets;
  search::SearchConfig config;
  std::vector<search::SpaceChoice> spaces;
  search::EvolutionResult evolution;
  std::optional<search::SurrogateQuality> surrogate;  // when the accuracy predictor was the fitness
  int supernet_evaluations = 0;
  std::optional<engine::ExportResult> export_result;
  std::string armnn_check;  // the export's model.tflite in Arm NN (tflite::ArmnnVerdict); empty: none written
  std::optional<core::Graph> best_graph;
  engine::ExecutionConfig execution;
  latency_models::LatencyPrediction predicted_latency;  // the winner's deployed plan, priced by the LUT
  double float_test_accuracy = 0, int8_test_accuracy = 0;
  int finetune_epochs = 0;  // the exported winner was fine-tuned this many epochs (0: supernet weights)
  bool plain_cnn = false;   // the winner is the plain-CNN baseline, not a subnet of the space
  int64_t test_images = 0;
  std::optional<ConfusionMatrix> int8_confusion;  // the int8 engine on those test images
  double seconds = 0;
};

std::string FormatSpaceTable(const SearchReport& report);
std::string FormatSummary(const SearchReport& report);
// The winner's firmware run against the budgets: a message when its measured latency (or arena)
// exceeds what the search promised, else nothing.
std::optional<std::string> BudgetBrokenInFirmware(const SearchReport& report);
double FirmwareMs(const SearchReport& report);  // measured instructions x cpi / clock; 0 without a run

core::Status WriteSearchOutputs(const std::string& dir, const SearchReport& report);

}  // namespace kilonas::report

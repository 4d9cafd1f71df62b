// Per-class results of a classifier on a labelled set: the confusion matrix (rows: true class,
// columns: predicted), each class's accuracy, the majority-class rate and chance, as a
// Markdown section and an SVG heat map. What a user of an imbalanced data set of their own
// needs to see that "92%" is not "always the biggest class".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kilonas::report {

class ConfusionMatrix {
 public:
  // Errors when a label or prediction lies outside 0..names.size()-1 or the counts differ.
  static core::Result<ConfusionMatrix> Count(const std::vector<int>& labels, const std::vector<int>& predicted,
                                             std::vector<std::string> class_names);

  int64_t At(int truth, int predicted) const {
    return counts_[static_cast<size_t>(truth)][static_cast<size_t>(predicted)];
  }
  int64_t Images(int truth) const;  // images of the class
  int64_t Total() const;
  double Accuracy() const;                // all classes
  double ClassAccuracy(int truth) const;  // recall; 0 for a class without images
  int MajorityClass() const;              // the class with the most images (the first of ties)
  int classes() const { return static_cast<int>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<int64_t>> counts_;
};

// "## Per-class test accuracy" section: the majority-class rate and chance, one row per class,
// and the matrix itself when there are at most kMaxMatrixClasses classes.
inline constexpr int kMaxMatrixClasses = 20;
std::string FormatConfusion(const ConfusionMatrix& m, const std::string& what);
// A heat map of the matrix, each row shaded by its share of the class's images.
std::string ConfusionSvg(const ConfusionMatrix& m, const std::string& title);

}  // namespace kilonas::report

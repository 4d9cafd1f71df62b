// Per-class results as report.md shows them: counts by true and predicted class, each class's
// accuracy, the majority-class rate and chance, the matrix up to 20 classes, and an SVG whose
// class names (folder names of the user's) cannot break the markup.
#include "report/confusion.h"

#include <gtest/gtest.h>

namespace kilonas::report {
namespace {

TEST(ConfusionMatrix, CountsPerClassAndNamesTheMajorityBaseline) {
  // 6 images of "cat" (5 right), 2 of "dog" (both called cat), 2 of "owl" (1 right).
  const std::vector<int> labels = {0, 0, 0, 0, 0, 0, 1, 1, 2, 2};
  const std::vector<int> predicted = {0, 0, 0, 0, 0, 2, 0, 0, 2, 0};
  const core::Result<ConfusionMatrix> m = ConfusionMatrix::Count(labels, predicted, {"cat", "dog", "owl"});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m.value().At(0, 0), 5);
  EXPECT_EQ(m.value().At(1, 0), 2);
  EXPECT_EQ(m.value().At(2, 0), 1);
  EXPECT_EQ(m.value().Images(0), 6);
  EXPECT_EQ(m.value().Total(), 10);
  EXPECT_DOUBLE_EQ(m.value().Accuracy(), 0.6);
  EXPECT_DOUBLE_EQ(m.value().ClassAccuracy(1), 0.0);
  EXPECT_DOUBLE_EQ(m.value().ClassAccuracy(2), 0.5);
  EXPECT_EQ(m.value().MajorityClass(), 0);
  const std::string text = FormatConfusion(m.value(), "int8 engine");
  EXPECT_NE(text.find("int8 engine: 60.00% on 10 images. Always answering the majority class (cat, 6 images) would "
                      "score 60.00%; chance is 33.33% (1 of 3 classes)."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| 1 dog | 2 | 0 | 0.00% |"), std::string::npos) << text;
  EXPECT_NE(text.find("| 1 dog | 2 | 0 | 0 |"), std::string::npos) << text;  // the matrix row
}

TEST(ConfusionMatrix, LabelsOutsideTheClassesAreAnError) {
  EXPECT_FALSE(ConfusionMatrix::Count({0, 3}, {0, 0}, {"a", "b"}).ok());
  EXPECT_FALSE(ConfusionMatrix::Count({0, 1}, {0, -1}, {"a", "b"}).ok());
  EXPECT_FALSE(ConfusionMatrix::Count({0, 1}, {0}, {"a", "b"}).ok());
}

TEST(ConfusionMatrix, ManyClassesKeepThePerClassTableButNotTheMatrix) {
  std::vector<std::string> names;
  std::vector<int> labels;
  for (int c = 0; c < kMaxMatrixClasses + 1; ++c) names.push_back("c" + std::to_string(c)), labels.push_back(c);
  const std::string text = FormatConfusion(ConfusionMatrix::Count(labels, labels, names).value(), "x");
  EXPECT_NE(text.find("| 20 c20 | 1 | 1 | 100.00% |"), std::string::npos);
  EXPECT_EQ(text.find("Confusion matrix"), std::string::npos);
}

TEST(ConfusionSvg, ClassNamesAreEscaped) {
  const ConfusionMatrix m = ConfusionMatrix::Count({0, 1}, {0, 1}, {"<script>", "a&b"}).value();
  const std::string svg = ConfusionSvg(m, "t");
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a&amp;b"), std::string::npos);
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

}  // namespace
}  // namespace kilonas::report
